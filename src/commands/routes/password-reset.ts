import { hashPassword, MAX_PASSWORD_LENGTH } from '../../auth/passwords';
import { userDecider } from '../../domain/user/decider';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { assertPasswordPolicy } from './auth';
import type { RouteGroup } from '.';

const requestBody = z.strictObject({ email: z.string().trim().max(254).email() }).openapi('PasswordResetRequest');
const confirmBody = z
  .strictObject({ token: z.string().min(1).max(200), password: z.string().min(1).max(MAX_PASSWORD_LENGTH * 4) })
  .openapi('PasswordResetConfirmation');
const accepted = z.object({ detail: z.string() }).openapi('PasswordResetAccepted');

/** The one answer to a reset request, so it cannot tell whether the email has an account. */
const ACCEPTED = { detail: 'If an active account has this email, a password-reset token has been sent to it.' };

/** POST /v1/auth/password-reset and its confirmation. */
export const passwordResetRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/auth/password-reset',
    summary: 'Mail a password-reset token; answers 202 whether or not the email has an account',
    tag: 'auth',
    auth: 'none',
    rateLimit: 'credentials',
    body: requestBody,
    responses: { 202: { description: 'Accepted (the same answer for an unknown email)', schema: accepted } },
    async handler({ req, res, body }) {
      const credential = await deps.credentials.findByEmail(body.email);
      const user = credential && (await deps.commands.load(`user-${credential.userId}`, userDecider));
      if (credential && user?.state.status === 'active') {
        const token = await deps.passwordResets.create(credential.userId);
        // not awaited: a slow mail server must not make known emails answer later than unknown ones
        deps.mailer.sendPasswordReset(credential.email, token).catch((error: unknown) => {
          req.log.error({ err: error, userId: credential.userId }, 'password-reset mail could not be sent');
        });
      }
      res.status(202).json(ACCEPTED);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/auth/password-reset/confirm',
    summary: "Set a new password with a mailed reset token; ends every session of the user",
    tag: 'auth',
    auth: 'none',
    rateLimit: 'credentials',
    body: confirmBody,
    responses: { 204: { description: 'Password replaced; every refresh token of the user revoked' } },
    async handler({ req, res, body }) {
      // the rules that need no account first, so a weak password does not spend the token
      assertPasswordPolicy(body.password, 'password');
      const passwordHash = await hashPassword(body.password);
      const userId = await deps.passwordResets.consume(body.token);
      const credential = await deps.credentials.findByUserId(userId);
      assertPasswordPolicy(body.password, 'password', credential?.email);
      // the decider refuses a deactivated user before anything changes
      const result = await deps.commands.handle({
        streamId: `user-${userId}`,
        decider: userDecider,
        command: { type: 'ResetPassword' },
        metadata: eventMetadata(req, { actor: { type: 'user', id: userId } }),
      });
      await deps.credentials.setPasswordHash(userId, passwordHash);
      await deps.refreshTokens.revokeAllForUser(userId);
      sendCommandResult(req, res, 204, undefined, result);
    },
  });
};
