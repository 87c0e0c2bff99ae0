import type { RecordedEvent } from '../eventstore/port';
import { categoryOf } from '../eventstore/stream-name';
import { type BusMessage, topics } from './bus';

/** CloudEvents `source` of every event the relay publishes. */
export const RELAY_SOURCE = '/postledger';

/** An event of the log as the relay publishes it: its topic and its message. */
export interface OutboundMessage {
  topic: string;
  message: BusMessage;
}

/**
 * The outbound form of an event: topic `postledger.<category>`, key = stream id, value = the
 * envelope as JSON (`revision` and `position` as decimal strings: int8 never passes through a
 * JS number), and CloudEvents binary-mode headers plus `ce_position` and `ce_revision`.
 *
 * ```ts
 * toOutboundMessage(event).message.headers.ce_id; // the event's id: a re-sent event keeps it
 * ```
 */
export function toOutboundMessage(event: RecordedEvent): OutboundMessage {
  const position = event.position.toString();
  const revision = event.revision.toString();
  const occurredAt = event.occurredAt.toISOString();
  return {
    topic: topics.ofCategory(categoryOf(event.streamId)),
    message: {
      key: event.streamId,
      value: JSON.stringify({
        id: event.id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        streamId: event.streamId,
        revision,
        position,
        occurredAt,
        data: event.data,
        metadata: event.metadata,
      }),
      headers: {
        ce_specversion: '1.0',
        ce_id: event.id,
        ce_type: event.type,
        ce_source: RELAY_SOURCE,
        ce_subject: event.streamId,
        ce_time: occurredAt,
        'content-type': 'application/json',
        ce_position: position,
        ce_revision: revision,
      },
    },
  };
}
