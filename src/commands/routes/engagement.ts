import { engagementDecider, MAX_SNAPSHOTS_PER_BATCH, metricNames, type EngagementSnapshot, type MetricName } from '../../domain/engagement';
import { postDecider } from '../../domain/post';
import { toInstant } from '../../domain/values';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, sendCommandResult } from '../../http/command-response';
import { routeJsonBody } from '../../http/json-body';
import { z } from '../../http/openapi';
import { isoTime, pathId } from '../../http/validation';
import { assertInWorkspace } from '../load-in-workspace';
import { accessWorkspace } from '../workspace-access';
import type { RouteGroup } from '.';

/** A full batch of snapshots is far larger than the global limit of request bodies. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** A collector's clock may run a little ahead; a snapshot from further on would outrank every real one. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const metrics = z
  .strictObject(Object.fromEntries(metricNames.map((name) => [name, z.int().min(0)])) as Record<MetricName, z.ZodInt>)
  .openapi('EngagementMetrics', { description: 'Lifetime totals as the platform reports them' });
const snapshot = z.strictObject({
  postId: z.uuid().transform((id) => id.toLowerCase()),
  // the domain's reading decides (e.g. at most 9 fractional digits), so no post's snapshots fail after others were recorded
  capturedAt: isoTime().refine(isInstant, 'must be an ISO 8601 time with an offset, to at most the nanosecond'),
  metrics,
});
type Snapshot = z.output<typeof snapshot>;

/** Engagement snapshots in batches, from the collectors (API keys with `engagement:write`). */
export const engagementRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/engagement',
    summary: 'Record engagement snapshots of posts; a snapshot already recorded changes nothing',
    tag: 'engagement',
    auth: 'any',
    before: [routeJsonBody(MAX_BODY_BYTES)],
    body: z.strictObject({ snapshots: z.array(snapshot).min(1).max(MAX_SNAPSHOTS_PER_BATCH) }).openapi('EngagementBatch'),
    responses: { 202: { description: 'Recorded', schema: z.object({ accepted: z.number().int().openapi({ description: 'Snapshots recorded' }) }) } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      await accessWorkspace(deps.commands, principal, workspaceId, 'engagement:record');
      assertNotAhead(body.snapshots, deps.now().getTime() + MAX_CLOCK_SKEW_MS);
      // every post is checked before anything is appended: a batch naming an unknown post changes nothing
      const byPost = groupByPost(body.snapshots);
      const postIds = [...byPost.keys()];
      // the posts in one read of the log, then the engagement streams in another (not one read per stream)
      const posts = await deps.commands.loadMany(
        postIds.map((postId) => `post-${postId}`),
        postDecider,
      );
      const batches = postIds.map((postId) => {
        const { state: post } = posts.get(`post-${postId}`)!;
        assertInWorkspace(post, workspaceId, `The post ${postId}`);
        return { postId, accountId: post.accountId, snapshots: byPost.get(postId)! };
      });
      const streams = await deps.commands.loadMany(
        postIds.map((postId) => `engagement-${postId}`),
        engagementDecider,
      );
      const metadata = eventMetadata(req, { workspaceId });
      // one append per post, concurrently (the event store commits them together); should one fail,
      // retrying the batch is safe: a snapshot recorded already is not counted again
      const results = await Promise.all(
        batches.map((batch) =>
          deps.commands.handle({
            streamId: `engagement-${batch.postId}`,
            decider: engagementDecider,
            command: { type: 'RecordEngagementSnapshots', workspaceId, ...batch },
            metadata,
            // decided on the state just read; a concurrent writer makes the append fail and the handler read again
            loaded: streams.get(`engagement-${batch.postId}`),
          }),
        ),
      );
      const accepted = results.reduce((sum, result) => sum + result.events.length, 0);
      const position = results.map((result) => result.position!).reduce((a, b) => (a > b ? a : b));
      sendCommandResult(req, res, 202, { accepted }, { revision: undefined, position });
    },
  });
};

function isInstant(value: string): boolean {
  try {
    toInstant(value, 'capturedAt');
    return true;
  } catch {
    return false;
  }
}

function assertNotAhead(snapshots: readonly Snapshot[], latestMs: number): void {
  const ahead = snapshots.flatMap((s, index) => (Date.parse(s.capturedAt) > latestMs ? [index] : []));
  if (ahead.length === 0) return;
  throw new ValidationFailed(ahead.map((index) => ({ in: 'body', field: `snapshots.${index}.capturedAt`, message: 'must not be in the future' })));
}

function groupByPost(snapshots: readonly Snapshot[]): Map<string, EngagementSnapshot[]> {
  const byPost = new Map<string, EngagementSnapshot[]>();
  for (const { postId, capturedAt, metrics: totals } of snapshots) {
    const group = byPost.get(postId) ?? [];
    group.push({ capturedAt, metrics: totals });
    byPost.set(postId, group);
  }
  return byPost;
}
