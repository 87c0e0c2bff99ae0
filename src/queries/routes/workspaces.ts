import type { RouteGroup } from '../../commands/routes';
import { signedInUser } from '../../commands/routes/me';
import { workspaceBody, workspaceView } from '../../commands/routes/workspaces';
import { accessWorkspace } from '../../commands/workspace-access';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { pathId } from '../../http/validation';
import { userWorkspaces } from '../../projections/memberships';

const workspaceListItem = z.object({ id: z.uuid(), name: z.string(), role: z.string() }).openapi('WorkspaceMembership');

/** The caller's workspaces (read model) and one workspace with its members and policy (from its stream). */
export const workspaceQueryRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'get',
    path: '/v1/workspaces',
    reads: ['memberships'],
    summary: "The signed-in user's workspaces with their role, by name",
    tag: 'workspaces',
    auth: 'user',
    responses: { 200: { description: 'The workspaces', schema: z.object({ items: z.array(workspaceListItem), nextCursor: z.null() }).openapi('WorkspaceList') } },
    async handler({ res, principal }) {
      // a user belongs to a handful of workspaces: one page, in the shape of every list
      res.json({ items: await userWorkspaces(deps.pool, signedInUser(principal).userId), nextCursor: null });
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}',
    reads: [],
    summary: 'One workspace with its members and approval policy, from its events (consistent with the commands)',
    tag: 'workspaces',
    auth: 'any',
    responses: { 200: { description: 'The workspace', schema: workspaceView, headers: z.object({ ETag: z.string() }) } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const { workspace, revision } = await accessWorkspace(deps.commands, principal, workspaceId, 'workspace:read');
      res.setHeader('ETag', `W/"${revision}"`);
      res.json(workspaceBody(workspace));
    },
  });
};
