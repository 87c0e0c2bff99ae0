import { sql, type Kysely } from 'kysely';
import { z } from '../http/openapi';
import type { ReadModels } from '../projections/read-models';
import { pageOf, type PageKey } from './pagination';

/** The states a list may filter on: a deleted post is never listed. */
export const listedPostStatuses = ['draft', 'pending_approval', 'approved', 'scheduled', 'publishing', 'published', 'failed'] as const;

/** A post as lists show it (the read model; one post's GET folds the aggregate instead). */
export const postSummaryView = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    accountId: z.uuid(),
    authorId: z.uuid(),
    status: z.enum(listedPostStatuses),
    content: z.string(),
    media: z.array(z.string()),
    tags: z.array(z.string()),
    scheduledAt: z.string().nullable(),
    publishedAt: z.string().nullable(),
    externalId: z.string().nullable(),
    url: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('PostSummary');
export type PostSummary = z.infer<typeof postSummaryView>;

export interface PostFilters {
  status?: (typeof listedPostStatuses)[number];
  accountId?: string;
  /** Normalized, as posts store tags. */
  tag?: string;
  /** Full text, in web-search syntax (`"exact phrase" -word or other`). */
  q?: string;
  /** Inclusive bound on the creation time. */
  from?: Date;
  /** Exclusive bound on the creation time. */
  to?: Date;
}

/**
 * A page of a workspace's posts, newest first, by (created_at, post_id) keys: a post that
 * existed when the first page was read shows exactly once however many posts arrive meanwhile.
 *
 * ```ts
 * const { items, nextCursor } = await listPosts(db, workspaceId, { tag: 'launch' }, { limit: 50 });
 * ```
 */
export async function listPosts(db: Kysely<ReadModels>, workspaceId: string, filters: PostFilters, page: { limit: number; after?: PageKey }): Promise<{ items: PostSummary[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('rm_posts')
    // not `state`: the folded aggregate is the projection's, and the heaviest column
    .select(['post_id', 'workspace_id', 'account_id', 'author_id', 'status', 'content', 'media', 'tags', 'scheduled_at', 'published_at', 'external_id', 'url', 'created_at', 'updated_at'])
    .where('workspace_id', '=', workspaceId);
  query = filters.status ? query.where('status', '=', filters.status) : query.where('status', '<>', 'deleted');
  if (filters.accountId) query = query.where('account_id', '=', filters.accountId);
  if (filters.tag !== undefined) query = query.where(sql<boolean>`tags @> array[${filters.tag}]::text[]`);
  if (filters.q !== undefined) query = query.where(sql<boolean>`search @@ websearch_to_tsquery('simple', ${filters.q})`);
  if (filters.from) query = query.where('created_at', '>=', filters.from);
  if (filters.to) query = query.where('created_at', '<', filters.to);
  const after = page.after;
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'post_id'), '<', eb.tuple(after.at, after.id)));
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('post_id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const { rows: pageRows, nextCursor } = pageOf(rows, page.limit, (r) => ({ at: r.created_at, id: r.post_id }));
  return {
    nextCursor,
    items: pageRows.map((r) => ({
      id: r.post_id,
      workspaceId: r.workspace_id,
      accountId: r.account_id,
      authorId: r.author_id,
      status: r.status as PostSummary['status'],
      content: r.content,
      media: r.media,
      tags: r.tags,
      scheduledAt: r.scheduled_at?.toISOString() ?? null,
      publishedAt: r.published_at?.toISOString() ?? null,
      externalId: r.external_id,
      url: r.url,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    })),
  };
}
