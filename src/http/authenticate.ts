import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import { effectiveScopes } from '../domain/apikey/scopes';
import { userDecider } from '../domain/user/decider';
import type { ApiDeps } from './api-deps';
import { unauthenticated } from './api-errors';

/**
 * Resolves the `Authorization` header to a principal: `Bearer <access token>` (EdDSA JWT
 * whose session is still active, of a user who is not deactivated) or `ApiKey <key>` (not
 * revoked). The user's status and platform roles come from the log on every request, so a
 * deactivation or a role change applies at once.
 */
export async function authenticate(deps: Pick<ApiDeps, 'accessTokens' | 'refreshTokens' | 'apiKeys' | 'commands'>, req: Request): Promise<Principal | undefined> {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const [scheme, credential, ...rest] = header.trim().split(/\s+/);
  if (credential === undefined || rest.length > 0) throw unauthenticated('The Authorization header must be "Bearer <token>" or "ApiKey <key>".');
  switch (scheme?.toLowerCase()) {
    case 'bearer':
      return userPrincipal(deps, await deps.accessTokens.verifyAccessToken(credential));
    case 'apikey': {
      const key = await deps.apiKeys.verify(credential);
      // a deactivated user's keys stop working with their tokens
      const creator = await deps.commands.load(`user-${key.createdBy}`, userDecider);
      if (creator.state.status !== 'active') throw unauthenticated('The API key was created by a user who is no longer active.');
      // a platform scope (audit, replay) stands only while its creator keeps the platform role
      const scopes = effectiveScopes(key.scopes, creator.state.platformRoles);
      return { kind: 'apiKey', apiKeyId: key.apiKeyId, workspaceId: key.workspaceId, scopes, name: key.name };
    }
    default:
      throw unauthenticated('The Authorization header must be "Bearer <token>" or "ApiKey <key>".');
  }
}

/** A verified access token's user, refused when the session ended or the user was deactivated. */
export async function userPrincipal(
  deps: Pick<ApiDeps, 'refreshTokens' | 'commands'>,
  claims: { userId: string; sessionId: string },
): Promise<Principal> {
  const [active, user] = await Promise.all([deps.refreshTokens.isSessionActive(claims.sessionId), deps.commands.load(`user-${claims.userId}`, userDecider)]);
  if (!active) throw unauthenticated('The session has ended; sign in again.');
  if (user.state.status !== 'active') throw unauthenticated('The account is not active.');
  return { kind: 'user', userId: claims.userId, sessionId: claims.sessionId, platformRoles: user.state.platformRoles };
}
