import type { RecordedEvent } from '../eventstore/port';
import { sql } from 'kysely';
import { insertRows } from './bulk';
import type { Projection } from './projection';

/** Posts waiting for a time (scheduled, or a publish retry): what the scheduler reads. */
export const postSchedulesProjection: Projection = {
  name: 'post-schedules',
  filter: {
    categories: ['post'],
    types: ['PostScheduled', 'PostPublishRetryScheduled', 'PostUnscheduled', 'PostPublishRequested', 'PostReturnedForApproval', 'PostDeleted'],
  },
  migrations: [
    {
      id: '3002_rm_post_schedule',
      sql: `
        create table rm_post_schedule (post_id uuid primary key, workspace_id uuid, due_at timestamptz not null);
        create index rm_post_schedule_due on rm_post_schedule (due_at);`,
    },
  ],
  async apply(trx, events) {
    // each event sets or clears a post's row whole: only the last one of a post in the batch counts
    const last = new Map<string, RecordedEvent>();
    for (const event of events) last.set(event.streamId.slice('post-'.length), event);
    const due: { post_id: string; workspace_id: string | null; due_at: Date }[] = [];
    const cleared: string[] = [];
    for (const [postId, event] of last) {
      if (event.type === 'PostScheduled' || event.type === 'PostPublishRetryScheduled') {
        due.push({ post_id: postId, workspace_id: event.metadata.workspaceId ?? null, due_at: new Date((event.data as { at: string }).at) });
      } else {
        cleared.push(postId);
      }
    }
    if (cleared.length > 0) await trx.deleteFrom('rm_post_schedule').where(sql<boolean>`post_id = any(${cleared}::uuid[])`).execute();
    if (due.length > 0) {
      await insertRows(trx, 'rm_post_schedule', due, sql`on conflict (post_id) do update set due_at = excluded.due_at`);
    }
  },
};

/** Generations still waiting for a result: what the timeout manager reads. */
export const pendingGenerationsProjection: Projection = {
  name: 'pending-generations',
  filter: { categories: ['generation'], types: ['GenerationRequested', 'GenerationCompleted', 'GenerationFailed', 'GenerationTimedOut'] },
  migrations: [
    {
      id: '3003_rm_pending_generations',
      sql: `
        create table rm_pending_generations (generation_id uuid primary key, workspace_id uuid not null, requested_at timestamptz not null);
        create index rm_pending_generations_requested on rm_pending_generations (requested_at);`,
    },
  ],
  async apply(trx, events) {
    for (const event of events) {
      const generationId = event.streamId.slice('generation-'.length);
      if (event.type === 'GenerationRequested') {
        const data = event.data as { workspaceId: string; requestedAt: string };
        await trx
          .insertInto('rm_pending_generations')
          .values({ generation_id: generationId, workspace_id: data.workspaceId, requested_at: new Date(data.requestedAt) })
          .onConflict((oc) => oc.doNothing())
          .execute();
      } else {
        await trx.deleteFrom('rm_pending_generations').where('generation_id', '=', generationId).execute();
      }
    }
  },
};
