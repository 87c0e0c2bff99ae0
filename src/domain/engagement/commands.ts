import type { EngagementMetrics } from './metrics';

/** Commands of the engagement aggregate (stream `engagement-<postId>`). */
export type EngagementCommand = RecordEngagementSnapshots;

/** One post's snapshots from a batch; the handler groups a request's snapshots by post. */
export interface RecordEngagementSnapshots {
  type: 'RecordEngagementSnapshots';
  postId: string;
  workspaceId: string;
  accountId: string;
  /** 1–1000 snapshots, in any order. */
  snapshots: EngagementSnapshot[];
}

export interface EngagementSnapshot {
  capturedAt: string;
  /** Lifetime totals, non-negative integers; a missing metric counts as 0. */
  metrics: Partial<EngagementMetrics>;
}
