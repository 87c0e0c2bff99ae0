import { hasLength, isHttpUrl } from '../values';
import { InvalidMediaUrl, InvalidPostContent, InvalidTag, TooManyMedia, TooManyTags } from './errors';

export const MAX_CONTENT_LENGTH = 10_000;
export const MAX_MEDIA = 10;
export const MAX_TAGS = 30;

/**
 * Post text, trimmed; throws InvalidPostContent unless it has 1–10000 characters.
 *
 * ```ts
 * toContent('Launch day!\n'); // 'Launch day!'
 * ```
 */
export function toContent(value: string): string {
  if (!hasLength(value, 1, MAX_CONTENT_LENGTH)) throw new InvalidPostContent();
  return value.trim();
}

/**
 * Media URLs, trimmed; throws TooManyMedia over 10, InvalidMediaUrl (field `media[i]`) for a non-http(s) URL.
 *
 * ```ts
 * toMedia(['https://cdn.example.com/a.png']);
 * ```
 */
export function toMedia(urls: readonly string[]): string[] {
  if (urls.length > MAX_MEDIA) throw new TooManyMedia(urls.length);
  return urls.map((url, i) => {
    if (!isHttpUrl(url.trim())) throw new InvalidMediaUrl(i);
    return url.trim();
  });
}

/**
 * One tag as stored: trimmed, without a leading `#`, lower-cased.
 *
 * ```ts
 * normalizeTag(' #Launch '); // 'launch'
 * ```
 */
export function normalizeTag(tag: string): string {
  return tag.trim().replace(/^#/, '').trim().toLowerCase();
}

/**
 * Tags normalized and deduplicated in first-seen order; throws InvalidTag (field `tags[i]`)
 * for one outside 1–50 characters, TooManyTags over 30 distinct tags.
 *
 * ```ts
 * toTags(['Launch', '#launch', 'Q3']); // ['launch', 'q3']
 * ```
 */
export function toTags(tags: readonly string[]): string[] {
  const normalized = tags.map((tag, i) => {
    const value = normalizeTag(tag);
    if (!hasLength(value, 1, 50)) throw new InvalidTag(i);
    return value;
  });
  const distinct = [...new Set(normalized)];
  if (distinct.length > MAX_TAGS) throw new TooManyTags(distinct.length);
  return distinct;
}
