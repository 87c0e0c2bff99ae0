import type { RouteGroup } from '../../commands/routes';
import { postPathIds } from '../../commands/routes/posts';
import { accessWorkspace } from '../../commands/workspace-access';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { pathId } from '../../http/validation';
import { readModelDb } from '../../projections/read-models';
import { commentPageView, commentThreads } from '../comments';
import { cursorParam, decodeCursor, limitParam } from '../pagination';
import { postStream } from '../post-history';

/** A post's comments, threaded. */
export const commentQueryRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  const db = readModelDb(deps.pool);

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/posts/{postId}/comments',
    reads: ['comments'],
    summary: "A post's comments as threads, oldest first; the top level is paginated, each thread comes whole",
    tag: 'comments',
    auth: 'any',
    before: [postPathIds],
    query: z.object({ limit: limitParam, cursor: cursorParam }),
    responses: { 200: { description: 'A page of threads', schema: commentPageView } },
    async handler({ req, res, query, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const postId = pathId(req, 'postId', 'The post');
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      await accessWorkspace(deps.commands, principal, workspaceId, 'comment:read');
      // the post itself from the log: another workspace's or a deleted post is a 404 at once
      await postStream(deps.store, postId, workspaceId);
      res.json(await commentThreads(db, postId, { limit: query.limit, after }));
    },
  });
};
