import { z } from 'zod';
import { InvalidReason, InvalidTimestamp } from './errors';

/** An instant in its two useful forms. `iso` is canonical UTC, the form events carry. */
export interface Instant {
  ms: number;
  iso: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads an ISO 8601 time with an offset; throws InvalidTimestamp naming `field` otherwise.
 * Events carry the canonical UTC form so equal instants compare equal as strings.
 *
 * ```ts
 * toInstant('2025-03-01T10:30:00+01:00', 'at').iso; // '2025-03-01T09:30:00.000Z'
 * ```
 */
export function toInstant(value: string, field: string): Instant {
  const ms = ISO_INSTANT.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidTimestamp(field, value);
  return { ms, iso: new Date(ms).toISOString() };
}

/**
 * The instant `ms` milliseconds after `from`, canonical UTC.
 *
 * ```ts
 * addMs('2025-03-01T09:30:00.000Z', 60_000); // '2025-03-01T09:31:00.000Z'
 * ```
 */
export function addMs(from: Instant, ms: number): string {
  return new Date(from.ms + ms).toISOString();
}

/**
 * An absolute http(s) URL of at most 2048 characters, without user or password (they would
 * put a credential into the log). Deciders and event schemas share it, so what a decider
 * accepts always validates.
 */
export const httpUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((value) => !/^[a-z]+:\/\/[^/?#]*@/i.test(value), 'must not contain a user or password');

/**
 * Whether `value` is an absolute http(s) URL of at most 2048 characters, without credentials.
 *
 * ```ts
 * isHttpUrl('https://cdn.example.com/a.png'); // true
 * isHttpUrl('javascript:alert(1)');           // false
 * ```
 */
export function isHttpUrl(value: string): boolean {
  return httpUrlSchema.safeParse(value).success;
}

/**
 * Whether `value` has `min`..`max` characters once trimmed (a blank text has none).
 *
 * ```ts
 * hasLength('  hi ', 1, 2); // true
 * ```
 */
export function hasLength(value: string, min: number, max: number): boolean {
  const length = value.trim().length;
  return length >= min && length <= max;
}

/**
 * The members of `values` in the order of `canonical`, without repeats: a set stored as an
 * array that compares equal however it was given.
 *
 * ```ts
 * inCanonicalOrder(['viewer', 'owner', 'owner'], ['owner', 'admin', 'viewer']); // ['owner', 'viewer']
 * ```
 */
export function inCanonicalOrder<T>(values: readonly T[], canonical: readonly T[]): T[] {
  return canonical.filter((value) => values.includes(value));
}

/**
 * Whether two arrays hold the same items in the same order.
 *
 * ```ts
 * sameItems(['a', 'b'], ['a', 'b']); // true
 * ```
 */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/**
 * A free-text reason, trimmed; throws InvalidReason unless it has 1–1000 characters.
 *
 * ```ts
 * toReason('  off-brand tone ', 'reason'); // 'off-brand tone'
 * ```
 */
export function toReason(value: string, field = 'reason'): string {
  if (!hasLength(value, 1, 1000)) throw new InvalidReason(field);
  return value.trim();
}
