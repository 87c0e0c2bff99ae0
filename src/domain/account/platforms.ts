/** The social platforms an account can live on. */
export const socialPlatforms = ['x', 'linkedin', 'instagram', 'facebook', 'tiktok', 'youtube', 'threads', 'bluesky', 'mastodon'] as const;
export type SocialPlatform = (typeof socialPlatforms)[number];

/**
 * Narrows a string to a social platform.
 *
 * ```ts
 * isSocialPlatform('bluesky'); // true
 * ```
 */
export function isSocialPlatform(value: string): value is SocialPlatform {
  return (socialPlatforms as readonly string[]).includes(value);
}
