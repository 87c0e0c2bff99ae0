import { parseEvent } from '../domain/catalogue';
import { commentEvents, type CommentEvent } from '../domain/comment';
import { sql, type Insertable } from 'kysely';
import { insertRows } from './bulk';
import type { Projection } from './projection';
import type { CommentsTable } from './read-models';

/**
 * Every comment of every post, for the threaded list. A deleted comment keeps its row, and
 * its place in the thread, but not its text.
 */
export const commentsProjection: Projection = {
  name: 'comments',
  filter: { categories: ['comment'], types: Object.keys(commentEvents) },
  migrations: [
    {
      id: '3201_rm_comments',
      sql: `
        create table rm_comments (
          comment_id   uuid primary key,
          post_id      uuid not null,
          workspace_id uuid not null,
          author_id    uuid not null,
          parent_id    uuid,
          body         text,
          created_at   timestamptz not null,
          edited_at    timestamptz,
          deleted      boolean not null default false
        );
        create index rm_comments_thread on rm_comments (post_id, parent_id, created_at, comment_id);`,
    },
  ],
  async apply(trx, events) {
    // consecutive additions go in one insert; an edit or deletion first writes what came before it
    let added: Insertable<CommentsTable>[] = [];
    const flush = async () => {
      if (added.length === 0) return;
      await insertRows(trx, 'rm_comments', added, sql`on conflict (comment_id) do nothing`);
      added = [];
    };
    for (const recorded of events) {
      const commentId = recorded.streamId.slice('comment-'.length);
      const event = parseEvent(recorded.type, recorded.schemaVersion, recorded.data) as CommentEvent;
      switch (event.type) {
        case 'CommentAdded': {
          const { postId, workspaceId, authorId, body, parentId } = event.data;
          added.push({ comment_id: commentId, post_id: postId, workspace_id: workspaceId, author_id: authorId, parent_id: parentId ?? null, body, created_at: recorded.occurredAt, edited_at: null, deleted: false });
          break;
        }
        case 'CommentEdited':
          await flush();
          await trx.updateTable('rm_comments').set({ body: event.data.body, edited_at: recorded.occurredAt }).where('comment_id', '=', commentId).execute();
          break;
        case 'CommentDeleted':
          await flush();
          await trx.updateTable('rm_comments').set({ body: null, deleted: true }).where('comment_id', '=', commentId).execute();
          break;
      }
    }
    await flush();
  },
};
