import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes in base64url without padding: 43 characters. */
const SECRET_PATTERN = '[A-Za-z0-9_-]{43}';

/**
 * A new opaque bearer token: `<prefix>_` followed by 43 base64url characters (256 random bits).
 *
 * ```ts
 * newOpaqueToken('rt'); // 'rt_3q2-7wEjT…'
 * ```
 */
export function newOpaqueToken(prefix: string): string {
  return `${prefix}_${randomSecret()}`;
}

/**
 * 43 base64url characters of 32 random bytes: the secret part of an API key.
 *
 * ```ts
 * const key = `plk_${prefix}_${randomSecret()}`;
 * ```
 */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether `token` has the shape `newOpaqueToken(prefix)` produces; checked before any
 * database work so that junk never reaches a query.
 *
 * ```ts
 * isOpaqueToken('rt', token); // true
 * ```
 */
export function isOpaqueToken(prefix: string, token: unknown): token is string {
  return typeof token === 'string' && new RegExp(`^${prefix}_${SECRET_PATTERN}$`).test(token);
}

/**
 * The SHA-256 digest under which a token or secret is stored. Tokens carry 256 random bits,
 * so a fast unsalted hash is enough: there is nothing to guess.
 *
 * ```ts
 * await pool.query('select … where token_hash = $1', [sha256(token)]);
 * ```
 */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
