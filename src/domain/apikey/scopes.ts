import type { PlatformRole } from '../user/platform-roles';

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

/** Scopes that reach beyond the workspace (audit, replay), and the platform role that must stand behind each. */
export const platformScopeRoles: Partial<Record<ApiKeyScope, PlatformRole>> = { 'audit:read': 'auditor', 'events:read': 'analyst' };

/**
 * The scopes a key holds right now: a platform scope counts only while the user who created
 * the key still has the matching platform role, so taking the role away disables it at once.
 *
 * ```ts
 * effectiveScopes(['audit:read', 'posts:write'], []); // ['posts:write']
 * ```
 */
export function effectiveScopes(scopes: readonly string[], creatorRoles: readonly PlatformRole[]): string[] {
  return scopes.filter((scope) => {
    const role = isApiKeyScope(scope) ? platformScopeRoles[scope] : undefined;
    return role === undefined || creatorRoles.includes(role);
  });
}
