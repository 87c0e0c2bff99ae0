import { sql, type Transaction } from 'kysely';
import type { Migration } from '../platform/migrations';
import type { PublicationsTable, ReadModels } from './read-models';

const HOUR_MS = 3_600_000;

/**
 * `rm_publication_hours`: the settled publications of `rm_publications` counted per workspace,
 * account, UTC hour of their outcome and outcome, so that a publish success rate over a month
 * reads a row per account and hour rather than one per post. Made from what `rm_publications`
 * holds already when it is added to an existing database.
 */
export const publicationHoursMigration: Migration = {
  id: '3103_rm_publication_hours',
  sql: `
    create table rm_publication_hours (
      workspace_id uuid not null, account_id uuid not null, hour timestamptz not null,
      published integer not null, failed integer not null,
      primary key (workspace_id, account_id, hour)
    );
    create index rm_publication_hours_workspace on rm_publication_hours (workspace_id, hour);
    insert into rm_publication_hours
      select workspace_id, account_id, date_trunc('hour', at, 'UTC'),
             count(*) filter (where outcome = 'published'), count(*) filter (where outcome = 'failed')
        from rm_publications where outcome is not null group by 1, 2, 3;`,
};

/** A post's publication row before a batch (none when the batch made it) and after. */
export interface PublicationChange {
  before: PublicationsTable | undefined;
  after: PublicationsTable;
}

/**
 * Moves the counts of `rm_publication_hours` from where each changed post counted before
 * the batch to where it counts after: a post counts once, by its current outcome. An hour
 * whose counts fall to zero is removed, so the table is the same however the log was cut
 * into batches.
 */
export async function updatePublicationHours(trx: Transaction<ReadModels>, changes: readonly PublicationChange[]): Promise<void> {
  const counts = new Map<string, { workspaceId: string; accountId: string; hour: number; published: number; failed: number }>();
  const count = (row: PublicationsTable | undefined, sign: 1 | -1) => {
    if (!row?.outcome || !row.at) return;
    const ms = new Date(row.at).getTime();
    const hour = ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);
    const key = `${row.workspace_id} ${row.account_id} ${hour}`;
    const entry = counts.get(key) ?? { workspaceId: row.workspace_id, accountId: row.account_id, hour, published: 0, failed: 0 };
    entry[row.outcome] += sign;
    counts.set(key, entry);
  };
  for (const { before, after } of changes) {
    count(before, -1);
    count(after, 1);
  }
  const moved = [...counts.values()].filter((c) => c.published !== 0 || c.failed !== 0);
  if (moved.length === 0) return;
  await sql`
    insert into rm_publication_hours (workspace_id, account_id, hour, published, failed)
    select * from unnest(${moved.map((c) => c.workspaceId)}::uuid[], ${moved.map((c) => c.accountId)}::uuid[], ${moved.map((c) => new Date(c.hour).toISOString())}::timestamptz[],
                         ${moved.map((c) => c.published)}::int[], ${moved.map((c) => c.failed)}::int[])
    on conflict (workspace_id, account_id, hour)
      do update set published = rm_publication_hours.published + excluded.published, failed = rm_publication_hours.failed + excluded.failed`.execute(trx);
  // only a count that went down can have reached zero
  const shrunk = moved.filter((c) => c.published < 0 || c.failed < 0);
  if (shrunk.length === 0) return;
  await sql`
    delete from rm_publication_hours h
     using unnest(${shrunk.map((c) => c.workspaceId)}::uuid[], ${shrunk.map((c) => c.accountId)}::uuid[], ${shrunk.map((c) => new Date(c.hour).toISOString())}::timestamptz[])
           as k(workspace_id, account_id, hour)
     where h.workspace_id = k.workspace_id and h.account_id = k.account_id and h.hour = k.hour and h.published = 0 and h.failed = 0`.execute(trx);
}
