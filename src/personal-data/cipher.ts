import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** How a personal-data group is stored once encrypted: the only shape `data.personal` has in the log. */
export interface SealedPersonalData {
  /** Format marker and version: AES-256-GCM, 96-bit random IV, 128-bit tag. */
  $sealed: 'aes-256-gcm/v1';
  /** base64url of the IV. */
  iv: string;
  /** base64url of the ciphertext followed by its 16-byte authentication tag. */
  ct: string;
}

/**
 * What a personal-data group reads as once its person's key is destroyed. The catalogue's
 * schemas accept it in place of every `personal` group.
 */
export const ERASED_PERSONAL_DATA: Readonly<{ erased: true }> = Object.freeze({ erased: true });

const ALGORITHM = 'aes-256-gcm';
const FORMAT = 'aes-256-gcm/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The authentication tag did not match: wrong key, or the stored bytes were changed. */
export class PersonalDataUnreadable extends Error {
  constructor(readonly context: string) {
    super(`the personal data of ${context} cannot be decrypted: wrong key or altered ciphertext`);
    this.name = 'PersonalDataUnreadable';
  }
}

/**
 * True when `value` is a sealed group (as opposed to a plaintext group written before
 * encryption existed, or one already erased).
 */
export function isSealed(value: unknown): value is SealedPersonalData {
  return typeof value === 'object' && value !== null && (value as { $sealed?: unknown }).$sealed === FORMAT;
}

/**
 * Encrypts `plaintext` (any JSON value) with `key`; `context` is authenticated with it, so a
 * sealed group cannot be moved to another event.
 *
 * ```ts
 * const sealed = seal(key, { email: 'ann@example.com' }, `${subject}:${eventId}`);
 * ```
 */
export function seal(key: Buffer, plaintext: unknown, context: string): SealedPersonalData {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { $sealed: FORMAT, iv: iv.toString('base64url'), ct: body.toString('base64url') };
}

/**
 * Decrypts what `seal` made with the same key and context; throws PersonalDataUnreadable.
 *
 * ```ts
 * const personal = open(key, sealed, `${subject}:${eventId}`); // { email: 'ann@example.com' }
 * ```
 */
export function open(key: Buffer, sealed: SealedPersonalData, context: string): unknown {
  return JSON.parse(openText(key, sealed, context)) as unknown;
}

/**
 * What `open` decrypts, as the JSON text it was sealed from.
 *
 * ```ts
 * const json = openText(key, sealed, `${subject}:${eventId}`); // '{"email":"ann@example.com"}'
 * ```
 */
export function openText(key: Buffer, sealed: SealedPersonalData, context: string): string {
  const iv = Buffer.from(sealed.iv, 'base64url');
  const body = Buffer.from(sealed.ct, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new PersonalDataUnreadable(context);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new PersonalDataUnreadable(context);
  }
}

/**
 * Wraps (encrypts) a person's data key under the master key, bound to the person's id.
 *
 * ```ts
 * const wrapped = wrapKey(masterKey, dataKey, subject);
 * ```
 */
export function wrapKey(masterKey: Buffer, dataKey: Buffer, subject: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`person-key:${subject}`, 'utf8'));
  return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
}

/**
 * Unwraps what `wrapKey` made; throws PersonalDataUnreadable under another master key.
 *
 * ```ts
 * const dataKey = unwrapKey(masterKey, row.wrapped_key, subject);
 * ```
 */
export function unwrapKey(masterKey: Buffer, wrapped: Buffer, subject: string): Buffer {
  try {
    const decipher = createDecipheriv(ALGORITHM, masterKey, wrapped.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`person-key:${subject}`, 'utf8'));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PersonalDataUnreadable(`the key of person ${subject} (is PERSONAL_DATA_MASTER_KEY the one it was wrapped with?)`);
  }
}
