import { errors, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose';
import { type KeyObject, randomUUID } from 'node:crypto';
import { type AccessTokenRejection, InvalidAccessToken } from './errors';
import type { PublicJwk, SigningKeys } from './signing-keys';

/** RFC 9068's media type for JWT access tokens: a JWT of another kind signed by the same key is not accepted. */
const TOKEN_TYPE = 'at+jwt';
/** Longer than any token this service issues; junk is refused before parsing. */
const MAX_TOKEN_LENGTH = 4096;

export interface AccessTokenOptions {
  keys: SigningKeys;
  /** `iss` claim, e.g. the service's public URL. */
  issuer: string;
  /** `aud` claim expected by the API. */
  audience: string;
  /** Lifetime of a token; default 900 (15 minutes). */
  ttlSeconds?: number;
  /** Clock skew tolerated on `exp`; default 0. */
  clockToleranceSeconds?: number;
  /** Verified tokens remembered (by their exact text, until they expire); default 5,000, 0 for none. */
  verifiedCacheSize?: number;
  now?: () => Date;
}

/** A token whose signature and claims were verified: what a repeat needs to be answered. */
interface Verified {
  claims: AccessTokenClaims;
  kid: string;
}

/** Who a verified access token speaks for. */
export interface AccessTokenClaims {
  userId: string;
  /** The session: the refresh-token family the token was issued for. */
  sessionId: string;
  expiresAt: Date;
}

/**
 * Short-lived EdDSA (Ed25519) JWT access tokens. Verification accepts only EdDSA, only keys of
 * the JWK set (by `kid`), only this issuer and audience, and only unexpired tokens.
 *
 * ```ts
 * const tokens = new AccessTokens({ keys: await loadSigningKeys({ dataDir }), issuer, audience });
 * const jwt = await tokens.issueAccessToken({ userId, sessionId: familyId });
 * const { userId } = await tokens.verifyAccessToken(jwt);
 * ```
 */
export class AccessTokens {
  /** Lifetime of issued tokens, for the `expiresIn` of login responses. */
  readonly ttlSeconds: number;
  private readonly keys: SigningKeys;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly clockToleranceSeconds: number;
  private readonly now: () => Date;
  private readonly verified = new Map<string, Verified>();
  private readonly verifiedCacheSize: number;

  constructor(options: AccessTokenOptions) {
    this.keys = options.keys;
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.ttlSeconds = options.ttlSeconds ?? 900;
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? 0;
    this.verifiedCacheSize = options.verifiedCacheSize ?? 5000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Signs a token for a user's session, valid `ttlSeconds` from now.
   *
   * ```ts
   * const accessToken = await tokens.issueAccessToken({ userId: user.id, sessionId: refresh.familyId });
   * ```
   */
  issueAccessToken(subject: { userId: string; sessionId: string }): Promise<string> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({ sid: subject.sessionId })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: TOKEN_TYPE })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject.userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
  }

  /**
   * The user and session a token speaks for. Throws `InvalidAccessToken` (its `reason` is for
   * logs) for anything but an unexpired token this service signed with a key it still accepts.
   *
   * ```ts
   * const { userId, sessionId } = await tokens.verifyAccessToken(bearer);
   * ```
   */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidAccessToken('malformed');
    // a client sends the same token with every request for its 15 minutes: the signature
    // (≈ 0.2 ms of CPU) is checked once; expiry and the key are checked on every use
    const known = this.verified.get(token);
    if (known) {
      // jose's rule: expired once `exp` (whole seconds) is at or before now less the tolerance
      if (known.claims.expiresAt.getTime() / 1000 <= Math.floor(this.now().getTime() / 1000) - this.clockToleranceSeconds) {
        this.verified.delete(token);
        throw new InvalidAccessToken('expired');
      }
      if (!this.keys.publicKeys.has(known.kid)) {
        this.verified.delete(token);
        throw new InvalidAccessToken('unknown_kid');
      }
      return copyOf(known.claims);
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(token, (header) => this.keyFor(header), {
        algorithms: ['EdDSA'],
        issuer: this.issuer,
        audience: this.audience,
        typ: TOKEN_TYPE,
        currentDate: this.now(),
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: ['sub', 'sid', 'iat', 'exp', 'jti'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || payload.sub === '' || payload.sid === '') {
        throw new InvalidAccessToken('invalid_claims');
      }
      const claims = { userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp! * 1000) };
      this.remember(token, { claims, kid: protectedHeader.kid! });
      return copyOf(claims);
    } catch (error) {
      throw error instanceof InvalidAccessToken ? error : new InvalidAccessToken(rejection(error));
    }
  }

  /** Keeps at most `verifiedCacheSize` verified tokens, the oldest going first. */
  private remember(token: string, verified: Verified): void {
    if (this.verifiedCacheSize <= 0) return;
    if (this.verified.size >= this.verifiedCacheSize) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, verified);
  }

  /**
   * The public JWK set: the signing key and the previous keys still accepted.
   *
   * ```ts
   * app.get('/.well-known/jwks.json', (_req, res) => res.json(tokens.jwks()));
   * ```
   */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.jwks.keys.map((key) => ({ ...key })) };
  }

  private keyFor(header: JWTHeaderParameters): KeyObject {
    const key = header.kid === undefined ? undefined : this.keys.publicKeys.get(header.kid);
    if (!key) throw new InvalidAccessToken('unknown_kid');
    return key;
  }
}

/** Claims the caller may change without changing what is remembered. */
function copyOf(claims: AccessTokenClaims): AccessTokenClaims {
  return { ...claims, expiresAt: new Date(claims.expiresAt) };
}

function rejection(error: unknown): AccessTokenRejection {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'wrong_issuer';
    if (error.claim === 'aud') return 'wrong_audience';
    if (error.claim === 'typ') return 'wrong_type';
    return 'invalid_claims';
  }
  return 'malformed';
}
