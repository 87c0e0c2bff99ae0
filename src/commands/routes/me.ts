import { hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from '../../auth/passwords';
import type { Principal } from '../../auth/principal';
import { userDecider, type User } from '../../domain/user/decider';
import { platformRoles } from '../../domain/user/platform-roles';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { userWorkspaces } from '../../projections/memberships';
import { eraseUser } from '../erasure';
import { assertPasswordPolicy } from './auth';
import type { RouteGroup } from '.';

const password = z.string().min(1).max(MAX_PASSWORD_LENGTH * 4);

const userView = z
  .object({
    id: z.uuid(),
    email: z.string().nullable().openapi({ description: "null once the user's personal data is erased" }),
    displayName: z.string().nullable().openapi({ description: "null once the user's personal data is erased" }),
    bio: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    timezone: z.string().nullable().openapi({ description: 'IANA time zone, e.g. Europe/Paris' }),
    locale: z.string().nullable().openapi({ description: 'BCP 47 tag, e.g. fr-FR' }),
    platformRoles: z.array(z.enum(platformRoles)),
    status: z.enum(['active', 'deactivated']),
  })
  .openapi('User');
const meView = userView.extend({ workspaces: z.array(z.object({ id: z.uuid(), name: z.string(), role: z.string() })) }).openapi('Me');

const profilePatch = z
  .strictObject({
    displayName: z.string().trim().min(1).max(100).optional(),
    bio: z.string().trim().max(500).nullable().optional().openapi({ description: 'null or "" clears it' }),
    avatarUrl: z.string().trim().max(2048).nullable().optional().openapi({ description: 'an http(s) URL; null or "" clears it' }),
    timezone: z.string().min(1).max(64).optional(),
    locale: z.string().min(2).max(35).optional(),
  })
  .openapi('ProfileUpdate');
const passwordChange = z.strictObject({ currentPassword: password, newPassword: password }).openapi('PasswordChange');

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** The signed-in user of an `auth: 'user'` route: the router has refused anyone else. */
export function signedInUser(principal: Principal): UserPrincipal {
  return principal as UserPrincipal;
}

/** A user as the API shows it; absent profile fields are null. */
export function userBody(user: User): z.infer<typeof userView> {
  const { profile } = user;
  return {
    id: user.userId,
    email: user.email,
    displayName: profile.displayName,
    bio: profile.bio ?? null,
    avatarUrl: profile.avatarUrl ?? null,
    timezone: profile.timezone ?? null,
    locale: profile.locale ?? null,
    platformRoles: [...user.platformRoles],
    status: user.status,
  };
}

/** GET, PATCH and DELETE /v1/me, and POST /v1/me/password. */
export const meRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'get',
    path: '/v1/me',
    reads: ['memberships'],
    summary: 'The signed-in user: profile, platform roles and workspaces',
    tag: 'me',
    auth: 'user',
    responses: { 200: { description: 'The user, with ETag', schema: meView } },
    async handler({ res, principal }) {
      const { userId } = signedInUser(principal);
      const [user, workspaces] = await Promise.all([deps.commands.load(`user-${userId}`, userDecider), userWorkspaces(deps.pool, userId)]);
      // authenticate admitted only an active, registered user
      res.setHeader('ETag', `W/"${user.revision}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ ...userBody(user.state as User), workspaces });
    },
  });

  api.route({
    method: 'patch',
    path: '/v1/me',
    summary: "Update the signed-in user's profile; omitted fields stay as they are",
    tag: 'me',
    auth: 'user',
    body: profilePatch,
    responses: { 200: { description: 'The profile', schema: userView } },
    async handler({ req, res, body, principal }) {
      const { userId } = signedInUser(principal);
      const result = await deps.commands.handle({
        streamId: `user-${userId}`,
        decider: userDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'UpdateProfile', ...body },
        metadata: eventMetadata(req),
      });
      sendCommandResult(req, res, 200, userBody(result.state as User), result);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/me/password',
    summary: "Change the signed-in user's password; the user's other sessions end",
    tag: 'me',
    auth: 'user',
    // counted like login: a stolen access token must not buy unlimited guesses of the password
    rateLimit: 'credentials',
    body: passwordChange,
    responses: { 204: { description: "Changed; every other session's refresh tokens revoked" } },
    async handler({ req, res, body, principal }) {
      const { userId, sessionId } = signedInUser(principal);
      const credential = await deps.credentials.findByUserId(userId);
      if (!credential || !(await verifyPassword(credential.passwordHash, body.currentPassword))) {
        throw new ValidationFailed([{ in: 'body', field: 'currentPassword', message: 'is not the current password' }]);
      }
      assertPasswordPolicy(body.newPassword, 'newPassword', credential.email);
      if (body.newPassword === body.currentPassword) {
        throw new ValidationFailed([{ in: 'body', field: 'newPassword', message: 'must differ from the current password' }]);
      }
      const passwordHash = await hashPassword(body.newPassword);
      const result = await deps.commands.handle({
        streamId: `user-${userId}`,
        decider: userDecider,
        command: { type: 'ChangePassword' },
        metadata: eventMetadata(req),
      });
      await deps.credentials.setPasswordHash(userId, passwordHash);
      await deps.refreshTokens.revokeAllForUser(userId, { exceptFamilyId: sessionId });
      sendCommandResult(req, res, 204, undefined, result);
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/me',
    summary: "Erase the signed-in user: the account is deactivated, its sessions end, its email is freed and its personal data (email, names, bio, avatar) reads as erased everywhere",
    tag: 'me',
    auth: 'user',
    responses: { 204: { description: 'Erased; the caller is signed out everywhere and the account cannot be used again' } },
    async handler({ req, res, principal }) {
      const { userId } = signedInUser(principal);
      const result = await eraseUser(deps, { userId, metadata: eventMetadata(req), expectedRevision: ifMatch(req) });
      sendCommandResult(req, res, 204, undefined, result);
    },
  });
};
