/** What an API key may be granted; permissions.ts maps each scope to actions. */
export const apiKeyScopes = [
  'posts:write',
  'posts:publish',
  'engagement:write',
  'generations:write',
  'analytics:read',
  'audit:read',
  'events:read',
] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/**
 * Narrows a string to an API key scope.
 *
 * ```ts
 * isApiKeyScope('posts:write'); // true
 * ```
 */
export function isApiKeyScope(value: string): value is ApiKeyScope {
  return (apiKeyScopes as readonly string[]).includes(value);
}
