import { z } from 'zod';
import { defineEvents, type EventsOf, fields } from '../event-schema';
import { type MetricName, metricNames } from './metrics';

function metricsOf(value: z.ZodInt) {
  return z.strictObject(Object.fromEntries(metricNames.map((name) => [name, value])) as Record<MetricName, z.ZodInt>);
}

/** The engagement events. Each carries its ids: an engagement stream has no creation event. */
export const engagementEvents = defineEvents({
  /**
   * `counted`: newer than every counted snapshot; `delta` is then the change since the
   * latest one (all zeros when not counted), so summing deltas never counts a total twice.
   */
  EngagementSnapshotRecorded: {
    schemaVersion: 1,
    schema: z.strictObject({
      postId: fields.id,
      workspaceId: fields.id,
      accountId: fields.id,
      capturedAt: fields.instant,
      metrics: metricsOf(z.int().min(0)),
      delta: metricsOf(z.int()),
      counted: z.boolean(),
    }),
  },
});

export type EngagementEvent = EventsOf<typeof engagementEvents>;
