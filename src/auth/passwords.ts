import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { COMMON_PASSWORDS } from './common-passwords';

/** `Algorithm.Argon2id`; the enum is `const` in an ambient declaration, which isolatedModules cannot inline. */
const ARGON2ID = 2 as Algorithm;

/** OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane (≈ 13 ms per hash on the CI machines). */
export const PASSWORD_HASH_PARAMETERS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Hashes a password with argon2id into a PHC string (salt and parameters included).
 *
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple');
 * // '$argon2id$v=19$m=19456,t=2,p=1$…'
 * ```
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID, ...PASSWORD_HASH_PARAMETERS });
}

/**
 * Whether `password` matches `passwordHash` (a PHC string from `hashPassword`). Rejects when
 * `passwordHash` is not a PHC string: a corrupt row is a server fault, not a wrong password.
 *
 * ```ts
 * if (!(await verifyPassword(credential.passwordHash, body.password))) throw unauthorized();
 * ```
 */
export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one `verifyPassword` and answers `false`: called at login when no account
 * has the email, so that response time does not reveal which emails exist.
 *
 * ```ts
 * const credential = await credentials.findByEmail(email);
 * const ok = credential ? await verifyPassword(credential.passwordHash, password) : await verifyDummyPassword(password);
 * ```
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  await verify(await dummyHash, password);
  return false;
}

/**
 * Whether a stored hash was made with other parameters than today's, so that it should be
 * replaced (with `hashPassword` of the password just verified) after a successful login.
 *
 * ```ts
 * if (needsRehash(credential.passwordHash)) await credentials.setPasswordHash(userId, await hashPassword(password));
 * ```
 */
export function needsRehash(passwordHash: string): boolean {
  const current = parseOptions(passwordHash);
  return (
    current.algorithm !== ARGON2ID ||
    current.memoryCost !== PASSWORD_HASH_PARAMETERS.memoryCost ||
    current.timeCost !== PASSWORD_HASH_PARAMETERS.timeCost ||
    current.parallelism !== PASSWORD_HASH_PARAMETERS.parallelism
  );
}

export type PasswordProblemCode = 'too_short' | 'too_long' | 'too_common' | 'matches_email';

/** One rule a candidate password breaks; `message` is fit to show to the user. */
export interface PasswordProblem {
  code: PasswordProblemCode;
  message: string;
}

/**
 * The rules a new password breaks; empty when it is acceptable. Length counts Unicode code
 * points (an emoji is one), from 8 to 128.
 *
 * ```ts
 * checkPasswordPolicy('password1', { email: 'ann@example.com' });
 * // [{ code: 'too_common', message: 'is one of the most common passwords' }]
 * ```
 */
export function checkPasswordPolicy(password: string, context: { email?: string } = {}): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push({ code: 'too_short', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` });
  if (length > MAX_PASSWORD_LENGTH) problems.push({ code: 'too_long', message: `must be at most ${MAX_PASSWORD_LENGTH} characters` });
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) problems.push({ code: 'too_common', message: 'is one of the most common passwords' });
  const email = context.email?.trim().toLowerCase();
  if (email) {
    const localPart = email.slice(0, Math.max(email.lastIndexOf('@'), 0));
    if (lowered === email || (localPart !== '' && lowered === localPart)) {
      problems.push({ code: 'matches_email', message: 'must not be the email address or its local part' });
    }
  }
  return problems;
}
