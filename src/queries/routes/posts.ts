import { ResourceNotFound } from '../../commands/errors';
import type { RouteGroup } from '../../commands/routes';
import { postBody, postPathIds, postView } from '../../commands/routes/posts';
import { accessWorkspace } from '../../commands/workspace-access';
import { normalizeTag } from '../../domain/post';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { isoTime, pathId } from '../../http/validation';
import { readModelDb } from '../../projections/read-models';
import { QueryCache } from '../cache';
import { cursorParam, decodeCursor, limitParam, timeRange } from '../pagination';
import { foldPost, historyEntry, parseAsOf, postHistoryEntryView, postStream } from '../post-history';
import { listedPostStatuses, listPosts, postSummaryView } from '../posts';

const listQuery = z.object({
  status: z.enum(listedPostStatuses).optional().openapi({ description: 'Deleted posts are never listed' }),
  accountId: z.uuid().optional(),
  tag: z.string().min(1).max(100).optional().openapi({ description: 'Normalized as posts store tags: `#Launch` finds `launch`' }),
  q: z.string().trim().min(1).max(200).optional().openapi({ description: 'Full-text search of the content, web-search syntax: `"exact phrase" -word or other`' }),
  from: isoTime().optional().openapi({ description: 'Created at or after (inclusive)' }),
  to: isoTime().optional().openapi({ description: 'Created before (exclusive)' }),
  limit: limitParam,
  cursor: cursorParam,
});

const asOfQuery = z.object({
  asOf: z.string().max(40).optional().openapi({ description: 'A log position (digits) or an ISO 8601 time: the post as it stood then' }),
});

const etagHeader = z.object({ ETag: z.string().openapi({ description: 'W/"<revision>" of the post as shown' }) });

/** The list of a workspace's posts (read model), one post and its history (from the log). */
export const postQueryRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  // pages are cached until the posts projection moves on, as the analytics are
  const cache = new QueryCache({ pool: deps.pool, logger: deps.logger, redis: deps.redis, metrics: deps.metrics });
  const db = readModelDb(deps.pool);

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/posts',
    reads: ['posts'],
    summary: "The workspace's posts, newest first, filtered; pages stay stable while posts are added",
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    query: listQuery,
    responses: { 200: { description: 'A page of posts', schema: z.object({ items: z.array(postSummaryView), nextCursor: z.string().nullable() }).openapi('PostPage') } },
    async handler({ req, res, query, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const tag = query.tag === undefined ? undefined : normalizeTag(query.tag);
      if (tag === '') throw new ValidationFailed([{ in: 'query', field: 'tag', message: 'is empty once normalized' }]);
      const range = timeRange(query.from, query.to);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      // the checkpoint of the cache key is read while access is checked
      const checkpoints = cache.checkpoints(['posts']);
      await accessWorkspace(deps.commands, principal, workspaceId, 'post:read');
      const filters = { status: query.status, accountId: query.accountId?.toLowerCase(), tag, q: query.q, ...range };
      const params = { ...filters, from: range.from?.toISOString(), to: range.to?.toISOString(), limit: query.limit, cursor: query.cursor };
      res.json(await cache.get({ workspaceId, route: 'posts', params, projections: ['posts'] }, () => listPosts(db, workspaceId, filters, { limit: query.limit, after }), checkpoints));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/posts/{postId}',
    reads: [],
    summary: 'One post, folded from its events (consistent with the commands); `asOf` folds them only up to a position or time',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    query: asOfQuery,
    responses: { 200: { description: 'The post', schema: postView, headers: etagHeader } },
    async handler({ req, res, query, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const postId = pathId(req, 'postId', 'The post');
      const asOf = query.asOf === undefined ? undefined : parseAsOf(query.asOf);
      await accessWorkspace(deps.commands, principal, workspaceId, 'post:read');
      const folded = foldPost(await postStream(deps.store, postId, workspaceId), asOf);
      // not yet drafted, or already deleted, at that point
      if (folded === undefined || folded.record.post.status === 'deleted') throw new ResourceNotFound('The post');
      res.setHeader('ETag', `W/"${folded.revision}"`);
      res.json(postBody(folded.record));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/posts/{postId}/history',
    reads: [],
    summary: "The post's events from the log, oldest first",
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    responses: { 200: { description: 'Every event of the post', schema: z.object({ items: z.array(postHistoryEntryView), nextCursor: z.null() }).openapi('PostHistory') } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const postId = pathId(req, 'postId', 'The post');
      await accessWorkspace(deps.commands, principal, workspaceId, 'post:read');
      const events = await postStream(deps.store, postId, workspaceId);
      // a post has a few dozen events at most: one page, in the shape of every list
      res.json({ items: events.map(historyEntry), nextCursor: null });
    },
  });
};
