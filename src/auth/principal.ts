import type { PlatformRole } from '../domain/user/platform-roles';

/** Who is calling: a signed-in user or an API key of one workspace. */
export type Principal =
  | { kind: 'user'; userId: string; sessionId: string; platformRoles: readonly PlatformRole[] }
  | { kind: 'apiKey'; apiKeyId: string; workspaceId: string; scopes: readonly string[]; name: string };

/** The id recorded as the owner of idempotency keys and rate-limit counters. */
export function principalId(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  return principal.kind === 'user' ? `user:${principal.userId}` : `apikey:${principal.apiKeyId}`;
}

/** The id of the user or API key acting: what commands record as `by` and events as the actor. */
export function actorIdOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.userId : principal.apiKeyId;
}
