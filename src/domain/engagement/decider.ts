import type { Decider } from '../decider';
import { type Instant, toInstant } from '../values';
import type { EngagementCommand, EngagementSnapshot } from './commands';
import { InvalidMetric, InvalidSnapshotBatch } from './errors';
import type { EngagementEvent } from './events';
import { type EngagementMetrics, metricNames, metricsDelta, zeroMetrics } from './metrics';

export const MAX_SNAPSHOTS_PER_BATCH = 1000;

/** Only the latest counted snapshot matters: deltas are measured from it. */
export interface EngagementState {
  latest?: { capturedAt: string; metrics: EngagementMetrics };
}

function decide(command: EngagementCommand, state: EngagementState): EngagementEvent[] {
  const count = command.snapshots.length;
  if (count === 0 || count > MAX_SNAPSHOTS_PER_BATCH) throw new InvalidSnapshotBatch(count);
  const snapshots = command.snapshots.map(toSnapshot).sort((a, b) => a.at.ms - b.at.ms);
  const { postId, workspaceId, accountId } = command;
  let latest = state.latest && { ms: Date.parse(state.latest.capturedAt), metrics: state.latest.metrics };
  return snapshots.map(({ at, metrics }) => {
    const counted = latest === undefined || at.ms > latest.ms;
    const delta = counted ? metricsDelta(metrics, latest?.metrics ?? zeroMetrics()) : zeroMetrics();
    if (counted) latest = { ms: at.ms, metrics };
    return { type: 'EngagementSnapshotRecorded', data: { postId, workspaceId, accountId, capturedAt: at.iso, metrics, delta, counted } };
  });
}

function toSnapshot(snapshot: EngagementSnapshot, index: number): { at: Instant; metrics: EngagementMetrics } {
  const at = toInstant(snapshot.capturedAt, `snapshots[${index}].capturedAt`);
  const metrics = zeroMetrics();
  for (const name of metricNames) {
    const value = snapshot.metrics[name] ?? 0;
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidMetric(`snapshots[${index}].metrics.${name}`);
    metrics[name] = value;
  }
  return { at, metrics };
}

function evolve(state: EngagementState, event: EngagementEvent): EngagementState {
  const { counted, capturedAt, metrics } = event.data;
  return counted ? { latest: { capturedAt, metrics } } : state;
}

/**
 * The engagement aggregate of one post: metric snapshots, each counted at most once.
 *
 * ```ts
 * engagementDecider.decide(
 *   { type: 'RecordEngagementSnapshots', postId, workspaceId, accountId, snapshots: [{ capturedAt, metrics: { likes: 12 } }] },
 *   state,
 * ); // [EngagementSnapshotRecorded { counted: true, delta: { likes: 2, … } }]
 * ```
 */
export const engagementDecider: Decider<EngagementCommand, EngagementEvent, EngagementState> = {
  initialState: () => ({}),
  decide,
  evolve,
  // a counted snapshot is the whole state: the latest one is all a decision needs
  resetsState: (event) => event.data.counted,
};
