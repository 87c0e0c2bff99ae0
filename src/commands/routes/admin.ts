import type { Principal } from '../../auth/principal';
import { userDecider, type User } from '../../domain/user/decider';
import { platformRoles } from '../../domain/user/platform-roles';
import type { ApiDeps } from '../../http/api-deps';
import { HttpError } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId } from '../../http/validation';
import { eraseUser, erasedUserBody } from '../erasure';
import { PermissionDenied } from '../errors';
import type { RouteGroup } from '.';

const rolesView = z.object({ id: z.uuid(), platformRoles: z.array(z.enum(platformRoles)) }).openapi('UserPlatformRoles');
const statusView = z.object({ id: z.uuid(), status: z.enum(['active', 'deactivated']) }).openapi('UserStatus');
const erasureView = z.object({ id: z.uuid(), status: z.enum(['active', 'deactivated']), erased: z.boolean() }).openapi('UserErasure');

/** The acting platform admin's id; anyone else is 403. */
export function platformAdmin(principal: Principal): string {
  if (principal.kind !== 'user' || !principal.platformRoles.includes('admin')) throw new PermissionDenied('Only a platform admin may do this.');
  return principal.userId;
}

/** PUT /v1/admin/users/{userId}/roles, POST …/deactivate, …/reactivate and …/erase. */
export const adminRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'put',
    path: '/v1/admin/users/{userId}/roles',
    summary: "Set a user's platform roles (the whole set); an admin cannot drop their own admin role",
    tag: 'admin',
    auth: 'user',
    body: z.strictObject({ roles: z.array(z.enum(platformRoles)).max(platformRoles.length * 2) }).openapi('PlatformRolesUpdate'),
    responses: { 200: { description: "The user's platform roles", schema: rolesView } },
    async handler({ req, res, body, principal }) {
      const adminId = platformAdmin(principal);
      const userId = pathId(req, 'userId', 'The user');
      if (userId === adminId && !body.roles.includes('admin')) {
        throw new HttpError(409, 'An admin cannot remove their own admin role; another admin or the CLI can.', 'CannotRemoveOwnAdminRole');
      }
      const result = await deps.commands.handle({
        streamId: `user-${userId}`,
        decider: userDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'SetPlatformRoles', roles: body.roles },
        metadata: eventMetadata(req),
      });
      sendCommandResult(req, res, 200, { id: userId, platformRoles: [...(result.state as User).platformRoles] }, result);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/admin/users/{userId}/deactivate',
    summary: "Deactivate a user: their access tokens stop working at once and their sessions end; an admin cannot deactivate themselves",
    tag: 'admin',
    auth: 'user',
    body: z.strictObject({ reason: z.string().trim().min(1).max(1000).optional() }).openapi('UserDeactivation'),
    responses: { 200: { description: 'Deactivated (also when already deactivated)', schema: statusView } },
    async handler({ req, res, body, principal }) {
      const adminId = platformAdmin(principal);
      const userId = pathId(req, 'userId', 'The user');
      if (userId === adminId) throw new HttpError(409, 'An admin cannot deactivate themselves.', 'CannotDeactivateSelf');
      const result = await deps.commands.handle({
        streamId: `user-${userId}`,
        decider: userDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'DeactivateUser', ...(body.reason === undefined ? {} : { reason: body.reason }) },
        metadata: eventMetadata(req),
      });
      // access tokens already fail (authenticate reads the status); this ends the refresh tokens too
      await deps.refreshTokens.revokeAllForUser(userId);
      sendCommandResult(req, res, 200, { id: userId, status: (result.state as User).status }, result);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/admin/users/{userId}/reactivate',
    summary: 'Reactivate a user; they sign in again (their old sessions stay ended)',
    tag: 'admin',
    auth: 'user',
    responses: { 200: { description: 'Active (also when already active)', schema: statusView } },
    async handler({ req, res, principal }) {
      platformAdmin(principal);
      const userId = pathId(req, 'userId', 'The user');
      const result = await deps.commands.handle({
        streamId: `user-${userId}`,
        decider: userDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'ReactivateUser' },
        metadata: eventMetadata(req),
      });
      sendCommandResult(req, res, 200, { id: userId, status: (result.state as User).status }, result);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/admin/users/{userId}/erase',
    summary: "Erase a user's personal data (as DELETE /v1/me does for oneself): deactivated for good, sessions ended, email freed, email and names read as erased; an admin erases themselves with DELETE /v1/me",
    tag: 'admin',
    auth: 'user',
    responses: { 200: { description: 'Erased (also when already erased: nothing more is appended)', schema: erasureView } },
    async handler({ req, res, principal }) {
      const adminId = platformAdmin(principal);
      const userId = pathId(req, 'userId', 'The user');
      if (userId === adminId) throw new HttpError(409, 'An admin erases their own account with DELETE /v1/me.', 'CannotEraseSelfAsAdmin');
      const result = await eraseUser(deps, { userId, metadata: eventMetadata(req), expectedRevision: ifMatch(req) });
      sendCommandResult(req, res, 200, erasedUserBody(userId, result.state), result);
    },
  });
};
