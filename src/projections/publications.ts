import { sql } from 'kysely';
import { insertRows } from './bulk';
import type { Projection } from './projection';
import { publicationHoursMigration, updatePublicationHours } from './publication-hours';
import type { PublicationsTable } from './read-models';

type Publication = PublicationsTable;

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
    publicationHoursMigration,
  ],
  async apply(trx, events) {
    // folded in memory, then one read and one upsert per batch: the same rows as one statement per event
    const postIds = [...new Set(events.map((e) => e.streamId.slice('post-'.length)))];
    const found = await trx.selectFrom('rm_publications').selectAll().where(sql<boolean>`post_id = any(${postIds}::uuid[])`).execute();
    const rows = new Map<string, Publication>(found.map((r) => [r.post_id, r]));
    const before = new Map<string, Publication>(found.map((r) => [r.post_id, { ...r }]));
    const changed = new Set<string>();
    for (const event of events) {
      const postId = event.streamId.slice('post-'.length);
      const row = rows.get(postId);
      switch (event.type) {
        case 'PostDrafted': {
          if (row) continue;
          const { workspaceId, accountId } = event.data as { workspaceId: string; accountId: string };
          rows.set(postId, { post_id: postId, workspace_id: workspaceId, account_id: accountId, outcome: null, at: null });
          break;
        }
        case 'PostPublishRequested':
          if (!row) continue;
          Object.assign(row, { account_id: (event.data as { accountId: string }).accountId, outcome: null, at: null });
          break;
        case 'PostPublished':
          if (!row) continue;
          Object.assign(row, { outcome: 'published', at: new Date((event.data as { publishedAt: string }).publishedAt) });
          break;
        case 'PostPublishFailed':
          if (!row) continue;
          Object.assign(row, { outcome: 'failed', at: event.occurredAt });
          break;
        case 'PostPublishRetryScheduled':
          if (!row) continue;
          Object.assign(row, { outcome: null, at: null });
          break;
        default:
          continue;
      }
      changed.add(postId);
    }
    if (changed.size === 0) return;
    await updatePublicationHours(
      trx,
      [...changed].map((id) => ({ before: before.get(id), after: rows.get(id)! })),
    );
    await insertRows(
      trx,
      'rm_publications',
      [...changed].map((id) => rows.get(id)!),
      sql`on conflict (post_id) do update set account_id = excluded.account_id, outcome = excluded.outcome, at = excluded.at`,
    );
  },
};
