import { sql, type Transaction } from 'kysely';
import { parseEvent } from '../domain/catalogue';
import { postDecider, postEvents, type Post, type PostEvent, type PostState } from '../domain/post';
import type { RecordedEvent } from '../eventstore/port';
import { insertRows } from './bulk';
import type { Projection } from './projection';
import type { PostsTable, ReadModels } from './read-models';

/** A post as its row keeps it between batches. */
interface PostRow {
  state: PostState;
  createdAt: Date | undefined;
  updatedAt: Date;
  lastPosition: bigint;
}

/**
 * Every post of every workspace as the aggregate stands, for lists, filters and full-text
 * search. The row keeps the folded state and the domain's own `evolve` applies each event,
 * so the columns cannot drift from what the aggregate decides. A deleted post stays, with
 * status `deleted`; lists leave it out.
 */
export const postsProjection: Projection = {
  name: 'posts',
  filter: { categories: ['post'], types: Object.keys(postEvents) },
  migrations: [
    {
      id: '3200_rm_posts',
      sql: `
        create table rm_posts (
          post_id       uuid primary key,
          workspace_id  uuid not null,
          account_id    uuid not null,
          author_id     uuid not null,
          status        text not null,
          content       text not null,
          media         jsonb not null,
          tags          text[] not null,
          scheduled_at  timestamptz,
          published_at  timestamptz,
          external_id   text,
          url           text,
          created_at    timestamptz not null,
          updated_at    timestamptz not null,
          last_position bigint not null,
          state         jsonb not null,
          search        tsvector generated always as (to_tsvector('simple', content)) stored
        );
        create index rm_posts_page on rm_posts (workspace_id, created_at desc, post_id desc);
        create index rm_posts_tags on rm_posts using gin (tags);
        create index rm_posts_search on rm_posts using gin (search);`,
    },
  ],
  async apply(trx, events) {
    if (events.length === 0) return;
    const byPost = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const postId = event.streamId.slice('post-'.length);
      byPost.set(postId, [...(byPost.get(postId) ?? []), event]);
    }
    const rows = await currentRows(trx, [...byPost.keys()]);
    const changed: PostColumns[] = [];
    for (const [postId, postEventsOfBatch] of byPost) {
      let row: PostRow = rows.get(postId) ?? { state: postDecider.initialState(), createdAt: undefined, updatedAt: new Date(0), lastPosition: -1n };
      for (const recorded of postEventsOfBatch) {
        // the projector applies each event once; this keeps a replayed one from counting twice anyway
        if (recorded.position <= row.lastPosition) continue;
        row = applyEvent(row, recorded);
      }
      if (row.state.status !== 'none' && row.createdAt) changed.push(toColumns(row.state, row));
    }
    await insertRows(
      trx,
      'rm_posts',
      changed,
      sql`on conflict (post_id) do update set
            status = excluded.status, account_id = excluded.account_id, content = excluded.content, media = excluded.media,
            tags = excluded.tags, scheduled_at = excluded.scheduled_at, published_at = excluded.published_at,
            external_id = excluded.external_id, url = excluded.url, updated_at = excluded.updated_at,
            last_position = excluded.last_position, state = excluded.state`,
    );
  },
};

async function currentRows(trx: Transaction<ReadModels>, postIds: string[]): Promise<Map<string, PostRow>> {
  const found = await trx.selectFrom('rm_posts').select(['post_id', 'state', 'created_at', 'updated_at', 'last_position']).where(sql<boolean>`post_id = any(${postIds}::uuid[])`).execute();
  return new Map(
    found.map((r) => [r.post_id, { state: r.state as PostState, createdAt: r.created_at, updatedAt: r.updated_at, lastPosition: BigInt(r.last_position) }]),
  );
}

function applyEvent(row: PostRow, recorded: RecordedEvent): PostRow {
  const event = parseEvent(recorded.type, recorded.schemaVersion, recorded.data) as PostEvent;
  return {
    state: postDecider.evolve(row.state, event),
    createdAt: event.type === 'PostDrafted' ? recorded.occurredAt : row.createdAt,
    updatedAt: recorded.occurredAt,
    lastPosition: recorded.position,
  };
}

/** A row of rm_posts as `insertRows` takes it: jsonb columns as values, not JSON text. */
type PostColumns = Omit<PostsTable, 'media' | 'state' | 'created_at' | 'updated_at' | 'scheduled_at' | 'published_at'> & {
  media: unknown;
  state: unknown;
  created_at: Date;
  updated_at: Date;
  scheduled_at: Date | null;
  published_at: Date | null;
};

function toColumns(post: Post, row: PostRow): PostColumns {
  const published = post.lastOutcome?.status === 'published' ? post.lastOutcome : undefined;
  return {
    post_id: post.postId,
    workspace_id: post.workspaceId,
    account_id: post.accountId,
    author_id: post.authorId,
    status: post.status,
    content: post.content,
    media: post.media,
    tags: post.tags,
    scheduled_at: post.schedule ? new Date(post.schedule.at) : null,
    published_at: published ? new Date(published.publishedAt) : null,
    external_id: published?.externalId ?? null,
    url: published?.url ?? null,
    created_at: row.createdAt!,
    updated_at: row.updatedAt,
    last_position: row.lastPosition.toString(),
    state: post,
  };
}
