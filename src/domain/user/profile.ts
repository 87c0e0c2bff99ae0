import { z } from 'zod';
import { hasLength, isHttpUrl } from '../values';
import { InvalidAvatarUrl, InvalidBio, InvalidDisplayName, InvalidEmail, InvalidLocale, InvalidTimezone } from './errors';

const email = z.email().max(254);

/**
 * A trimmed, lower-cased email; throws InvalidEmail.
 *
 * ```ts
 * toEmail(' Ada@Example.com '); // 'ada@example.com'
 * ```
 */
export function toEmail(value: string): string {
  const normalized = value.trim().toLowerCase();
  if (!email.safeParse(normalized).success) throw new InvalidEmail();
  return normalized;
}

/**
 * A trimmed display name of 1–100 characters; throws InvalidDisplayName.
 *
 * ```ts
 * toDisplayName(' Ada '); // 'Ada'
 * ```
 */
export function toDisplayName(value: string): string {
  if (!hasLength(value, 1, 100)) throw new InvalidDisplayName();
  return value.trim();
}

/**
 * A trimmed bio, or null when blank (cleared); throws InvalidBio over 500 characters.
 *
 * ```ts
 * toBio('  '); // null
 * ```
 */
export function toBio(value: string | null): string | null {
  const bio = value?.trim() ?? '';
  if (bio.length > 500) throw new InvalidBio();
  return bio === '' ? null : bio;
}

/**
 * An http(s) avatar URL, or null when blank (cleared); throws InvalidAvatarUrl.
 *
 * ```ts
 * toAvatarUrl('https://cdn.example.com/ada.png');
 * ```
 */
export function toAvatarUrl(value: string | null): string | null {
  const url = value?.trim() ?? '';
  if (url === '') return null;
  if (!isHttpUrl(url)) throw new InvalidAvatarUrl();
  return url;
}

/**
 * An IANA time zone as given; throws InvalidTimezone.
 *
 * ```ts
 * toTimezone('Europe/Paris');
 * ```
 */
export function toTimezone(value: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw new InvalidTimezone(value);
  }
  return value;
}

/**
 * A BCP 47 tag in canonical case; throws InvalidLocale.
 *
 * ```ts
 * toLocale('fr-fr'); // 'fr-FR'
 * ```
 */
export function toLocale(value: string): string {
  let canonical: string;
  try {
    canonical = new Intl.Locale(value).toString();
  } catch {
    throw new InvalidLocale(value);
  }
  if (canonical.length > 35) throw new InvalidLocale(value);
  return canonical;
}
