import { randomUUID } from 'node:crypto';
import { accountDecider, socialPlatforms, type AccountCommand, type SocialAccount } from '../../domain/account';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId, text } from '../../http/validation';
import { assertInWorkspace } from '../load-in-workspace';
import { accessWorkspace } from '../workspace-access';
import type { RouteGroup } from '.';

export const accountView = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    platform: z.enum(socialPlatforms),
    handle: z.string(),
    externalId: z.string(),
    status: z.enum(['connected', 'needs_reconnect', 'disconnected']),
    reconnectReason: z.string().nullable().openapi({ description: 'Why the platform refused us, while `needs_reconnect`' }),
  })
  .openapi('SocialAccount');

/** The social account as commands return it. */
function accountBody(account: SocialAccount): z.infer<typeof accountView> {
  const { accountId, workspaceId, platform, handle, externalId, status } = account;
  return { id: accountId, workspaceId, platform, handle, externalId, status, reconnectReason: account.reconnectReason ?? null };
}

/** Connect, disconnect and mark needs-reconnect; the list is a read model. */
export const accountRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/accounts',
    summary: 'Connect a social account to the workspace',
    tag: 'accounts',
    auth: 'any',
    body: z.strictObject({ platform: z.enum(socialPlatforms), handle: text(1, 100), externalId: text(1, 200) }),
    responses: { 201: { description: 'Connected', schema: accountView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      await accessWorkspace(deps.commands, principal, workspaceId, 'account:manage');
      const accountId = randomUUID();
      const metadata = eventMetadata(req, { workspaceId });
      const result = await deps.commands.handle({
        streamId: `account-${accountId}`,
        newStream: true,
        decider: accountDecider,
        command: { type: 'ConnectAccount', accountId, workspaceId, ...body, by: metadata.actor!.id },
        metadata,
      });
      sendCommandResult(req, res, 201, accountBody(result.state as SocialAccount), result, `/v1/workspaces/${workspaceId}/accounts/${accountId}`);
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/workspaces/{workspaceId}/accounts/{accountId}',
    summary: 'Disconnect a social account (disconnecting again changes nothing)',
    tag: 'accounts',
    auth: 'any',
    responses: { 204: { description: 'Disconnected' } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const accountId = pathId(req, 'accountId', 'The social account');
      await accessWorkspace(deps.commands, principal, workspaceId, 'account:manage');
      const metadata = eventMetadata(req, { workspaceId });
      const result = await deps.commands.handle({
        streamId: `account-${accountId}`,
        decider: accountDecider,
        expectedRevision: ifMatch(req),
        command: (state): AccountCommand => {
          assertInWorkspace(state, workspaceId, 'The social account');
          return { type: 'DisconnectAccount', by: metadata.actor!.id };
        },
        metadata,
      });
      sendCommandResult(req, res, 204, undefined, result);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/accounts/{accountId}/needs-reconnect',
    summary: 'Mark a social account as needing reconnection (the platform refused our credentials)',
    tag: 'accounts',
    auth: 'any',
    body: z.strictObject({ reason: text(1, 1000) }),
    responses: { 200: { description: 'Marked (marking again changes nothing)', schema: accountView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const accountId = pathId(req, 'accountId', 'The social account');
      await accessWorkspace(deps.commands, principal, workspaceId, 'account:manage');
      const result = await deps.commands.handle({
        streamId: `account-${accountId}`,
        decider: accountDecider,
        expectedRevision: ifMatch(req),
        command: (state): AccountCommand => {
          assertInWorkspace(state, workspaceId, 'The social account');
          return { type: 'MarkNeedsReconnect', reason: body.reason };
        },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 200, accountBody(result.state as SocialAccount), result);
    },
  });
};
