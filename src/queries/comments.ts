import type { Kysely } from 'kysely';
import { z } from '../http/openapi';
import type { CommentsTable, ReadModels } from '../projections/read-models';
import { pageOf, type PageKey } from './pagination';

/** A comment with its replies, oldest first. */
export interface CommentNode {
  id: string;
  authorId: string;
  /** null once deleted. */
  body: string | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  replies: CommentNode[];
}

const commentNodeView: z.ZodType<CommentNode> = z
  .object({
    id: z.uuid(),
    authorId: z.uuid(),
    body: z.string().nullable().openapi({ description: 'null for a deleted comment kept for its replies' }),
    createdAt: z.string(),
    editedAt: z.string().nullable(),
    deleted: z.boolean(),
    get replies() {
      return z.array(commentNodeView);
    },
  })
  .openapi('CommentThread');

export const commentPageView = z.object({ items: z.array(commentNodeView), nextCursor: z.string().nullable() }).openapi('CommentPage');

type Row = Pick<CommentsTable, 'comment_id' | 'parent_id' | 'author_id' | 'body' | 'created_at' | 'edited_at' | 'deleted'>;
const columns = ['comment_id', 'parent_id', 'author_id', 'body', 'created_at', 'edited_at', 'deleted'] as const;

/**
 * A page of a post's threads, oldest first: top-level comments paginated, each with all its
 * replies. A deleted comment shows (without its text) only while replies hang from it, so a
 * page may hold fewer threads than `limit`.
 *
 * ```ts
 * const { items, nextCursor } = await commentThreads(db, postId, { limit: 50 });
 * ```
 */
export async function commentThreads(db: Kysely<ReadModels>, postId: string, page: { limit: number; after?: PageKey }): Promise<{ items: CommentNode[]; nextCursor: string | null }> {
  const after = page.after;
  let query = db.selectFrom('rm_comments').select(columns).where('post_id', '=', postId).where('parent_id', 'is', null);
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'comment_id'), '>', eb.tuple(after.at, after.id)));
  const top = await query
    .orderBy('created_at')
    .orderBy('comment_id')
    .limit(page.limit + 1)
    .execute();
  const { rows: threads, nextCursor } = pageOf(top, page.limit, (r) => ({ at: r.created_at, id: r.comment_id }));
  if (threads.length === 0) return { items: [], nextCursor };
  const replies = await db
    .withRecursive('thread(comment_id)', (qc) =>
      qc
        .selectFrom('rm_comments')
        .select('comment_id')
        .where(
          'parent_id',
          'in',
          threads.map((t) => t.comment_id),
        )
        .unionAll((qb) => qb.selectFrom('rm_comments as c').innerJoin('thread as t', 't.comment_id', 'c.parent_id').select('c.comment_id')),
    )
    .selectFrom('rm_comments')
    .select(columns)
    .where('comment_id', 'in', (qb) => qb.selectFrom('thread').select('comment_id'))
    .orderBy('created_at')
    .orderBy('comment_id')
    .execute();
  const childrenOf = new Map<string, Row[]>();
  for (const reply of replies) childrenOf.set(reply.parent_id!, [...(childrenOf.get(reply.parent_id!) ?? []), reply]);
  const build = (row: Row): CommentNode | undefined => {
    const children = (childrenOf.get(row.comment_id) ?? []).map(build).filter((n) => n !== undefined);
    if (row.deleted && children.length === 0) return undefined;
    return {
      id: row.comment_id,
      authorId: row.author_id,
      body: row.deleted ? null : row.body,
      createdAt: row.created_at.toISOString(),
      editedAt: row.edited_at?.toISOString() ?? null,
      deleted: row.deleted,
      replies: children,
    };
  };
  return { items: threads.map(build).filter((n) => n !== undefined), nextCursor };
}
