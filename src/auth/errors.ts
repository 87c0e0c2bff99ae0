/**
 * Base of every error the auth module raises. `code` is stable (clients and logs may switch
 * on it); the HTTP layer maps `kind` to a status in one place: unauthenticated → 401,
 * conflict → 409, invalid → 422. Messages never contain a secret.
 */
export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: 'unauthenticated' | 'conflict' | 'invalid' = 'unauthenticated',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Another account already uses this email (compared after normalization). */
export class EmailTaken extends AuthError {
  constructor() {
    super('email_taken', 'an account with this email already exists', 'conflict');
  }
}

/** Why an access token was refused: for logs only, never for the client. */
export type AccessTokenRejection =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_kid'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'expired'
  | 'invalid_claims';

/** The access token is not one this service issued, or no longer valid. */
export class InvalidAccessToken extends AuthError {
  constructor(readonly reason: AccessTokenRejection) {
    super('invalid_access_token', 'access token is not valid');
  }
}

export type RefreshTokenRejection = 'malformed' | 'unknown' | 'expired' | 'revoked' | 'reused';

/** The refresh token is unknown, expired or revoked. */
export class InvalidRefreshToken extends AuthError {
  constructor(
    readonly reason: RefreshTokenRejection,
    message = 'refresh token is not valid',
    code = 'invalid_refresh_token',
  ) {
    super(code, message);
  }
}

/**
 * A refresh token that had already been exchanged was presented again: its whole family
 * (session) has been revoked. A subclass of `InvalidRefreshToken`, so one `catch` answers 401.
 */
export class RefreshTokenReused extends InvalidRefreshToken {
  constructor(
    readonly userId: string,
    readonly familyId: string,
  ) {
    super('reused', 'refresh token was already used: its session has been revoked', 'refresh_token_reused');
  }
}

export type ResetTokenRejection = 'malformed' | 'unknown_used_or_expired';

/** The password-reset token is unknown, already used or expired. */
export class InvalidResetToken extends AuthError {
  constructor(readonly reason: ResetTokenRejection) {
    super('invalid_reset_token', 'password reset token is invalid or expired', 'invalid');
  }
}

export type ApiKeyRejection = 'malformed' | 'unknown_prefix' | 'wrong_secret' | 'revoked';

/** The API key is malformed, unknown, wrong or revoked. */
export class InvalidApiKey extends AuthError {
  constructor(readonly reason: ApiKeyRejection) {
    super('invalid_api_key', 'API key is not valid');
  }
}
