import { randomUUID } from 'node:crypto';
import { EmailTaken, InvalidRefreshToken, RefreshTokenReused } from '../../auth/errors';
import { checkPasswordPolicy, hashPassword, MAX_PASSWORD_LENGTH, verifyDummyPassword, verifyPassword } from '../../auth/passwords';
import { userDecider } from '../../domain/user/decider';
import type { ApiDeps } from '../../http/api-deps';
import { HttpError, ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import type { RouteGroup } from '.';

const email = z.string().trim().max(254).email();
const password = z.string().min(1).max(MAX_PASSWORD_LENGTH * 4);

const registerBody = z.strictObject({ email, password, displayName: z.string().trim().min(1).max(100) }).openapi('RegisterRequest');
const loginBody = z.strictObject({ email: z.string().trim().max(254), password }).openapi('LoginRequest');
const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) }).openapi('RefreshRequest');
const tokenPair = z.object({ accessToken: z.string(), refreshToken: z.string(), expiresIn: z.number().int() }).openapi('TokenPair');
const userSummary = z.object({ id: z.uuid(), email: z.string(), displayName: z.string() }).openapi('UserSummary');
const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('JWKS');

/** A password that breaks the policy is a 422 naming the field. */
export function assertPasswordPolicy(value: string, field: string, emailAddress?: string): void {
  const problems = checkPasswordPolicy(value, { email: emailAddress });
  if (problems.length > 0) throw new ValidationFailed(problems.map((p) => ({ in: 'body', field, message: p.message })));
}

/** A new session: refresh-token family and an access token bound to it. */
export async function openSession(deps: ApiDeps, userId: string): Promise<z.infer<typeof tokenPair>> {
  const refresh = await deps.refreshTokens.issue(userId);
  const accessToken = await deps.accessTokens.issueAccessToken({ userId, sessionId: refresh.familyId });
  return { accessToken, refreshToken: refresh.token, expiresIn: deps.accessTokens.ttlSeconds };
}

/** POST /v1/auth/register, login, refresh, logout and the JWKS. */
export const authRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/auth/register',
    summary: 'Register a user; answers with the user and a first session',
    tag: 'auth',
    auth: 'none',
    rateLimit: 'credentials',
    body: registerBody,
    responses: { 201: { description: 'Registered', schema: z.object({ user: userSummary, accessToken: z.string(), refreshToken: z.string(), expiresIn: z.number() }) } },
    async handler({ req, res, body }) {
      assertPasswordPolicy(body.password, 'password', body.email);
      const userId = randomUUID();
      // the credentials table's unique email is the arbiter: of concurrent registrations one wins
      await deps.credentials.reserveEmail(userId, body.email, await hashPassword(body.password)).catch((error: unknown) => {
        if (error instanceof EmailTaken) throw new HttpError(409, 'An account with this email already exists.', 'EmailTaken');
        throw error;
      });
      let result;
      try {
        result = await deps.commands.handle({
          streamId: `user-${userId}`,
          newStream: true,
          decider: userDecider,
          command: { type: 'RegisterUser', userId, email: body.email, displayName: body.displayName },
          metadata: eventMetadata(req, { actor: { type: 'user', id: userId } }),
        });
      } catch (error) {
        await deps.credentials.release(userId);
        throw error;
      }
      const state = result.state as Extract<typeof result.state, { userId: string }>;
      const session = await openSession(deps, userId);
      sendCommandResult(req, res, 201, { user: { id: userId, email: state.email, displayName: state.profile.displayName }, ...session }, result, '/v1/me');
    },
  });

  api.route({
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Exchange email and password for a session',
    tag: 'auth',
    auth: 'none',
    rateLimit: 'credentials',
    body: loginBody,
    responses: { 200: { description: 'Signed in', schema: tokenPair } },
    async handler({ res, body }) {
      const credential = await deps.credentials.findByEmail(body.email);
      // the same work whether or not the email exists, so timing reveals nothing
      const valid = credential ? await verifyPassword(credential.passwordHash, body.password) : await verifyDummyPassword(body.password);
      if (!credential || !valid) throw new HttpError(401, 'The email or password is wrong.', 'InvalidCredentials');
      const user = await deps.commands.load(`user-${credential.userId}`, userDecider);
      if (user.state.status !== 'active') throw new HttpError(401, 'The email or password is wrong.', 'InvalidCredentials');
      res.json(await openSession(deps, credential.userId));
    },
  });

  api.route({
    method: 'post',
    path: '/v1/auth/refresh',
    summary: 'Rotate a refresh token; reusing a spent one revokes its whole family',
    tag: 'auth',
    auth: 'none',
    rateLimit: 'credentials',
    body: refreshBody,
    responses: { 200: { description: 'A new pair', schema: tokenPair } },
    async handler({ req, res, body }) {
      const rotated = await deps.refreshTokens.rotate(body.refreshToken).catch((error: unknown) => {
        if (error instanceof RefreshTokenReused) req.log.warn({ userId: error.userId, familyId: error.familyId }, 'refresh token reused: session family revoked');
        throw error;
      });
      const user = await deps.commands.load(`user-${rotated.userId}`, userDecider);
      if (user.state.status !== 'active') {
        await deps.refreshTokens.revokeFamilyOf(rotated.token);
        throw new InvalidRefreshToken('revoked');
      }
      const accessToken = await deps.accessTokens.issueAccessToken({ userId: rotated.userId, sessionId: rotated.familyId });
      res.json({ accessToken, refreshToken: rotated.token, expiresIn: deps.accessTokens.ttlSeconds });
    },
  });

  api.route({
    method: 'post',
    path: '/v1/auth/logout',
    summary: 'End the session of a refresh token',
    tag: 'auth',
    auth: 'none',
    rateLimit: 'credentials',
    body: refreshBody,
    responses: { 204: { description: 'Signed out (also for an unknown token)' } },
    async handler({ res, body }) {
      await deps.refreshTokens.revokeFamilyOf(body.refreshToken);
      res.status(204).end();
    },
  });

  api.route({
    method: 'get',
    path: '/.well-known/jwks.json',
    reads: [],
    summary: 'Public keys of access tokens',
    tag: 'auth',
    auth: 'none',
    responses: { 200: { description: 'JWK set', schema: jwks } },
    async handler({ res }) {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.json(deps.accessTokens.jwks());
    },
  });
};
