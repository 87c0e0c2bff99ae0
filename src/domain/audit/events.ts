import { z } from 'zod';
import { defineEvents, type EventsOf } from '../event-schema';

/**
 * Reads of the audit and replay APIs, recorded in the log itself (stream `auditread-<id>`):
 * which route, with which filter; who and when are the event's actor and time.
 */
export const auditReadEvents = defineEvents({
  AuditLogRead: {
    schemaVersion: 1,
    schema: z.strictObject({
      /** e.g. `GET /v1/audit/events`. */
      route: z.string().min(1).max(200),
      /** The query parameters as given (ids, positions, times, types: never personal data). */
      filter: z.record(z.string().max(100), z.string().max(1000)),
    }),
  },
});

export type AuditReadEvent = EventsOf<typeof auditReadEvents>;
