import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent } from '../../src/eventstore/port';

/** The workspace the generated posts belong to (created through the API beforehand). */
export interface LogWorkspace {
  workspaceId: string;
  ownerId: string;
  accountIds: string[];
}

export interface MixedLogOptions {
  posts: number;
  /** Engagement snapshots per post, hourly, ending now (counted, growing totals). */
  snapshotsPerPost: number;
  /** Comments per post (0 or more). */
  commentsPerPost: number;
  /** Whether posts go through submit/approve before publishing (more post events). */
  withApproval: boolean;
  /** Appends in flight at once. */
  concurrency?: number;
  onProgress?: (events: number) => void;
}

const METRICS = ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'views'] as const;
type Metrics = Record<(typeof METRICS)[number], number>;

/**
 * Appends a mixed, domain-valid log for one workspace through the store, many appends at
 * once: per post its lifecycle (drafted, maybe submitted and approved, publish requested,
 * published or failed), comments, and a series of engagement snapshots. Returns the number
 * of events appended.
 */
export async function appendMixedLog(store: EventStore, ws: LogWorkspace, options: MixedLogOptions): Promise<number> {
  const concurrency = options.concurrency ?? 32;
  let appended = 0;
  let next = 0;
  const now = Date.now();
  async function worker(): Promise<void> {
    for (let i = next++; i < options.posts; i = next++) {
      const postId = randomUUID();
      const appends = postAppends(ws, postId, i, now, options);
      for (const [streamId, events] of appends) {
        await store.appendToStream(streamId, events);
        appended += events.length;
      }
      if (i % 1000 === 0) options.onProgress?.(appended);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return appended;
}

function postAppends(ws: LogWorkspace, postId: string, i: number, now: number, options: MixedLogOptions): [string, NewEvent[]][] {
  const accountId = ws.accountIds[i % ws.accountIds.length]!;
  const content = `Post ${i}: launch week ${i % 97} recap with tips on scheduling and analytics`;
  const at = (msAgo: number) => new Date(now - msAgo).toISOString();
  const post: NewEvent[] = [
    { id: randomUUID(), type: 'PostDrafted', schemaVersion: 2, data: { postId, workspaceId: ws.workspaceId, accountId, authorId: ws.ownerId, content, media: [], tags: [`tag${i % 20}`, 'bench'] } },
  ];
  if (options.withApproval) {
    post.push({ id: randomUUID(), type: 'PostSubmitted', data: { approvalsRequired: 1 } });
    post.push({ id: randomUUID(), type: 'PostApproved', data: { by: ws.ownerId, approvals: 1, approvalsRequired: 1 } });
  }
  post.push({ id: randomUUID(), type: 'PostPublishRequested', data: { attempt: 1, requestedAt: at(3_600_000), trigger: 'manual', accountId, content, media: [] } });
  post.push(
    i % 10 === 9
      ? { id: randomUUID(), type: 'PostPublishFailed', data: { error: 'HTTP 503 from the platform', retryable: false, attempt: 1 } }
      : { id: randomUUID(), type: 'PostPublished', data: { externalId: `x-${i}`, url: `https://x.com/acme/status/${i}`, publishedAt: at(3_500_000) } },
  );
  const appends: [string, NewEvent[]][] = [[`post-${postId}`, post]];
  for (let c = 0; c < options.commentsPerPost; c++) {
    const commentId = randomUUID();
    appends.push([`comment-${commentId}`, [{ id: randomUUID(), type: 'CommentAdded', data: { commentId, postId, workspaceId: ws.workspaceId, authorId: ws.ownerId, body: `Comment ${c} on post ${i}` } }]]);
  }
  if (options.snapshotsPerPost > 0) {
    const snapshots: NewEvent[] = [];
    let previous: Metrics = Object.fromEntries(METRICS.map((m) => [m, 0])) as Metrics;
    for (let s = 0; s < options.snapshotsPerPost; s++) {
      // every two hours, newer each time, ending somewhere in the last 25 days: buckets and daily series fill
      const hoursAgo = ((i * 7) % 600) + (options.snapshotsPerPost - s) * 2;
      const totals = Object.fromEntries(METRICS.map((m, k) => [m, previous[m] + ((i + s + k) % 50) + 1])) as Metrics;
      const delta = Object.fromEntries(METRICS.map((m) => [m, totals[m] - previous[m]])) as Metrics;
      snapshots.push({
        id: randomUUID(),
        type: 'EngagementSnapshotRecorded',
        data: { postId, workspaceId: ws.workspaceId, accountId, capturedAt: at(hoursAgo * 3_600_000), metrics: totals, delta, counted: true },
      });
      previous = totals;
    }
    appends.push([`engagement-${postId}`, snapshots]);
  }
  return appends;
}
