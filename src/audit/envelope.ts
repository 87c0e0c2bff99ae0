import type { EventMetadata, RecordedEvent } from '../eventstore/port';
import { z } from '../http/openapi';

/** An event as the audit and replay APIs show it: the envelope of DESIGN.md, int8 as strings. */
export interface EnvelopeView {
  position: string;
  id: string;
  streamId: string;
  revision: string;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  data: unknown;
  metadata: EventMetadata;
}

/**
 * The JSON view of a recorded event.
 *
 * ```ts
 * JSON.stringify(envelopeOf(event)); // {"position":"42","id":"…","streamId":"post-…",…}
 * ```
 */
export function envelopeOf(event: RecordedEvent): EnvelopeView {
  return {
    position: event.position.toString(),
    id: event.id,
    streamId: event.streamId,
    revision: event.revision.toString(),
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
}

export const envelopeSchema = z
  .object({
    position: z.string().openapi({ description: 'Global position (int8 as a decimal string)' }),
    id: z.uuid(),
    streamId: z.string(),
    revision: z.string().openapi({ description: '0-based revision in the stream (decimal string)' }),
    type: z.string(),
    schemaVersion: z.number().int(),
    occurredAt: z.string(),
    data: z.record(z.string(), z.unknown()),
    metadata: z
      .object({
        actor: z.object({ type: z.enum(['user', 'apiKey', 'system']), id: z.string() }).optional(),
        workspaceId: z.string().optional(),
        correlationId: z.string().optional(),
        causationId: z.string().optional(),
        requestId: z.string().optional(),
      })
      .catchall(z.unknown()),
  })
  .openapi('EventEnvelope');
