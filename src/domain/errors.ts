/**
 * A broken domain rule. `code` is stable (clients may switch on it); the HTTP layer maps
 * `kind` to a status in one place: conflict → 409, invalid → 422, notFound → 404,
 * forbidden → 403.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: 'conflict' | 'invalid' | 'notFound' | 'forbidden' = 'conflict',
    /** The request field at fault, for `invalid`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = code;
  }
}
