/** Platform metrics, each a lifetime total. */
export const metricNames = ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'views'] as const;
export type MetricName = (typeof metricNames)[number];
export type EngagementMetrics = Record<MetricName, number>;

/**
 * Every metric at zero.
 *
 * ```ts
 * zeroMetrics().likes; // 0
 * ```
 */
export function zeroMetrics(): EngagementMetrics {
  return { impressions: 0, reach: 0, likes: 0, comments: 0, shares: 0, saves: 0, clicks: 0, views: 0 };
}

/**
 * Per-metric difference `later − earlier`; negative when a platform corrects a total down.
 *
 * ```ts
 * metricsDelta({ ...zeroMetrics(), likes: 12 }, { ...zeroMetrics(), likes: 10 }).likes; // 2
 * ```
 */
export function metricsDelta(later: EngagementMetrics, earlier: EngagementMetrics): EngagementMetrics {
  const delta = zeroMetrics();
  for (const name of metricNames) delta[name] = later[name] - earlier[name];
  return delta;
}
