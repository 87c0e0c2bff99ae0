import type { RouteGroup } from '../../commands/routes';
import { accountView } from '../../commands/routes/accounts';
import { accessWorkspace } from '../../commands/workspace-access';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { pathId } from '../../http/validation';
import { readModelDb } from '../../projections/read-models';
import { cursorParam, decodeCursor, limitParam, pageOf } from '../pagination';

const accountListItem = accountView.extend({ connectedAt: z.string() }).openapi('SocialAccountListItem');

const listQuery = z.object({
  includeDisconnected: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .openapi({ description: 'Also list disconnected accounts' }),
  limit: limitParam,
  cursor: cursorParam,
});

/** The workspace's social accounts, oldest connection first. */
export const accountQueryRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  const db = readModelDb(deps.pool);

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/accounts',
    reads: ['accounts'],
    summary: "The workspace's social accounts, oldest first; disconnected ones only on request",
    tag: 'accounts',
    auth: 'any',
    query: listQuery,
    responses: { 200: { description: 'A page of accounts', schema: z.object({ items: z.array(accountListItem), nextCursor: z.string().nullable() }).openapi('SocialAccountPage') } },
    async handler({ req, res, query, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      await accessWorkspace(deps.commands, principal, workspaceId, 'account:read');
      let select = db.selectFrom('rm_accounts').selectAll().where('workspace_id', '=', workspaceId);
      if (!query.includeDisconnected) select = select.where('status', '<>', 'disconnected');
      if (after) select = select.where((eb) => eb(eb.refTuple('connected_at', 'account_id'), '>', eb.tuple(after.at, after.id)));
      const rows = await select
        .orderBy('connected_at')
        .orderBy('account_id')
        .limit(query.limit + 1)
        .execute();
      const page = pageOf(rows, query.limit, (r) => ({ at: r.connected_at, id: r.account_id }));
      const items = page.rows.map((r) => ({
        id: r.account_id,
        workspaceId: r.workspace_id,
        platform: r.platform as z.infer<typeof accountView>['platform'],
        handle: r.handle,
        externalId: r.external_id,
        status: r.status as z.infer<typeof accountView>['status'],
        reconnectReason: r.reconnect_reason,
        connectedAt: r.connected_at.toISOString(),
      }));
      res.json({ items, nextCursor: page.nextCursor });
    },
  });
};
