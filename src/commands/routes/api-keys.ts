import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../auth/principal';
import { apiKeyDecider, apiKeyScopes, type ApiKey, type ApiKeyScope } from '../../domain/apikey';
import { platformScopeRoles } from '../../domain/apikey/scopes';
import type { PlatformRole } from '../../domain/user/platform-roles';
import { inCanonicalOrder } from '../../domain/values';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId, text } from '../../http/validation';
import { PreconditionFailed } from '../command-handler';
import { PermissionDenied } from '../errors';
import { loadInWorkspace } from '../load-in-workspace';
import { accessWorkspace } from '../workspace-access';
import type { RouteGroup } from '.';

const scope = z.enum(apiKeyScopes);
const createdKeyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(scope),
    prefix: z.string().openapi({ description: 'The public part of the key, to recognise it in lists' }),
    key: z.string().openapi({ description: 'The whole key, `plk_<prefix>_<secret>`: shown this once, never again' }),
  })
  .openapi('CreatedApiKey');
const keySummaryView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(scope),
    createdBy: z.uuid(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');


/** Create, list and revoke a workspace's API keys; managed by users only. */
export const apiKeyRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/api-keys',
    summary: 'Create an API key; the answer shows the key, the one time it is available',
    tag: 'api-keys',
    auth: 'user',
    body: z.strictObject({ name: text(1, 100), scopes: z.array(scope).min(1).max(apiKeyScopes.length) }),
    responses: { 201: { description: 'Created; `key` is shown this once', schema: createdKeyView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      await accessWorkspace(deps.commands, principal, workspaceId, 'apikey:manage');
      refuseIdempotencyKey(req);
      const scopes = inCanonicalOrder(body.scopes, apiKeyScopes);
      assertMayGrant(principal, scopes);
      const apiKeyId = randomUUID();
      const metadata = eventMetadata(req, { workspaceId });
      const createdBy = metadata.actor!.id;
      // the credentials table draws the prefix, which the event records; the secret stays in the table
      const { key, prefix } = await deps.apiKeys.create({ id: apiKeyId, workspaceId, name: body.name, scopes, createdBy });
      const result = await deps.commands
        .handle({
          streamId: `apikey-${apiKeyId}`,
          newStream: true,
          decider: apiKeyDecider,
          command: { type: 'CreateApiKey', apiKeyId, workspaceId, name: body.name, scopes, prefix, by: createdBy },
          metadata,
        })
        .catch(async (error: unknown) => {
          // a key the log does not know must not work
          await deps.apiKeys.revoke(apiKeyId, workspaceId);
          throw error;
        });
      const created = result.state as ApiKey;
      res.setHeader('Cache-Control', 'no-store');
      sendCommandResult(req, res, 201, { id: apiKeyId, name: created.name, scopes: created.scopes, prefix, key }, result, `/v1/workspaces/${workspaceId}/api-keys/${apiKeyId}`);
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/api-keys',
    reads: [],
    summary: "The workspace's API keys, oldest first, revoked ones included; never a secret",
    tag: 'api-keys',
    auth: 'user',
    responses: { 200: { description: 'The keys', schema: z.object({ items: z.array(keySummaryView), nextCursor: z.null() }) } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      await accessWorkspace(deps.commands, principal, workspaceId, 'apikey:manage');
      const keys = await deps.apiKeys.list(workspaceId);
      const items = keys.map(({ id, name, prefix, scopes, createdBy, createdAt, revokedAt }) => ({
        id,
        name,
        prefix,
        scopes,
        createdBy,
        createdAt: createdAt.toISOString(),
        revokedAt: revokedAt?.toISOString() ?? null,
      }));
      // a workspace has a handful of keys: one page, in the shape of every list
      res.json({ items, nextCursor: null });
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/workspaces/{workspaceId}/api-keys/{apiKeyId}',
    summary: 'Revoke an API key; it stops working at once',
    tag: 'api-keys',
    auth: 'user',
    responses: { 204: { description: 'Revoked' } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const apiKeyId = pathId(req, 'apiKeyId', 'The API key');
      await accessWorkspace(deps.commands, principal, workspaceId, 'apikey:manage');
      const streamId = `apikey-${apiKeyId}`;
      const loaded = await loadInWorkspace(deps.commands, streamId, apiKeyDecider, workspaceId, 'The API key');
      const expectedRevision = ifMatch(req);
      // checked here too, as the credential is revoked before the append: a refused request changes nothing
      if (expectedRevision !== undefined && expectedRevision !== loaded.revision) throw new PreconditionFailed(streamId, expectedRevision, loaded.revision);
      // the credential first: should recording the revocation fail, the key is dead all the same and a retry records it
      await deps.apiKeys.revoke(apiKeyId, workspaceId);
      const metadata = eventMetadata(req, { workspaceId });
      const result = await deps.commands.handle({ streamId, decider: apiKeyDecider, expectedRevision, command: { type: 'RevokeApiKey', by: metadata.actor!.id }, metadata });
      sendCommandResult(req, res, 204, undefined, result);
    },
  });
};

/**
 * The idempotency store keeps a response to replay it, and this response holds the secret
 * of a key, which is stored nowhere else; so a retry creates another key instead.
 */
function refuseIdempotencyKey(req: Request): void {
  if (req.get('idempotency-key') === undefined) return;
  throw new ValidationFailed([{ in: 'headers', field: 'Idempotency-Key', message: 'is not accepted when creating an API key: its answer holds a secret that is never stored' }]);
}

function assertMayGrant(principal: Principal, scopes: readonly ApiKeyScope[]): void {
  const roles: readonly PlatformRole[] = principal.kind === 'user' ? principal.platformRoles : [];
  for (const granted of scopes) {
    const role = platformScopeRoles[granted];
    if (role !== undefined && !roles.includes(role)) throw new PermissionDenied(`Only a user with the platform role ${role} may grant the ${granted} scope.`);
  }
}
