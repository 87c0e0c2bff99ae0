import type { Projection } from './projection';

/**
 * The publish outcome that settled each post, for the publish success rate. The row of a post
 * holds its latest outcome: `published`, or `failed` when a failure was final. A failure
 * followed by `PostPublishRetryScheduled` was not final, so the retry clears it again, and a
 * new publish request clears any earlier outcome until that request settles. A post thus
 * counts once, by how its latest publication ended; attempts in between never count.
 */
export const publicationsProjection: Projection = {
  name: 'publications',
  filter: { categories: ['post'], types: ['PostDrafted', 'PostPublishRequested', 'PostPublished', 'PostPublishFailed', 'PostPublishRetryScheduled'] },
  migrations: [
    {
      id: '3101_rm_publications',
      sql: `
        create table rm_publications (
          post_id uuid primary key, workspace_id uuid not null, account_id uuid not null,
          outcome text check (outcome in ('published', 'failed')), at timestamptz
        );
        create index rm_publications_workspace on rm_publications (workspace_id, at) where outcome is not null;`,
    },
  ],
  async apply(trx, events) {
    for (const event of events) {
      const postId = event.streamId.slice('post-'.length);
      const publications = trx.updateTable('rm_publications').where('post_id', '=', postId);
      switch (event.type) {
        case 'PostDrafted': {
          const { workspaceId, accountId } = event.data as { workspaceId: string; accountId: string };
          await trx
            .insertInto('rm_publications')
            .values({ post_id: postId, workspace_id: workspaceId, account_id: accountId, outcome: null, at: null })
            .onConflict((oc) => oc.doNothing())
            .execute();
          break;
        }
        case 'PostPublishRequested': {
          const { accountId } = event.data as { accountId: string };
          await publications.set({ account_id: accountId, outcome: null, at: null }).execute();
          break;
        }
        case 'PostPublished':
          await publications.set({ outcome: 'published', at: new Date((event.data as { publishedAt: string }).publishedAt) }).execute();
          break;
        case 'PostPublishFailed':
          await publications.set({ outcome: 'failed', at: event.occurredAt }).execute();
          break;
        case 'PostPublishRetryScheduled':
          await publications.set({ outcome: null, at: null }).execute();
          break;
      }
    }
  },
};
