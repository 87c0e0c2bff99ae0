import { postRecordDecider, type PostRecord } from '../commands/routes/posts';
import { ResourceNotFound } from '../commands/errors';
import { parseEvent } from '../domain/catalogue';
import type { PostEvent } from '../domain/post';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import { ValidationFailed } from '../http/api-errors';
import { z } from '../http/openapi';

/** A point in the log: everything up to a position, or everything that occurred by a time. */
export type AsOf = { position: bigint } | { time: Date };

/** One event of a post's history as the API shows it. */
export const postHistoryEntryView = z
  .object({
    position: z.string().openapi({ description: 'Global position in the log (int8 as a string)' }),
    revision: z.number().int(),
    type: z.string(),
    occurredAt: z.string(),
    actor: z.object({ type: z.enum(['user', 'apiKey', 'system']), id: z.string() }).nullable(),
    correlationId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).openapi({ description: 'The event data, upcast to its current schema version' }),
  })
  .openapi('PostHistoryEntry');

/**
 * `?asOf=`: digits are a log position, anything else an ISO time with an offset.
 *
 * ```ts
 * parseAsOf('1042'); // { position: 1042n }
 * ```
 */
export function parseAsOf(value: string): AsOf {
  if (/^\d{1,19}$/.test(value)) return { position: BigInt(value) };
  if (z.iso.datetime({ offset: true }).safeParse(value).success) return { time: new Date(value) };
  throw new ValidationFailed([{ in: 'query', field: 'asOf', message: 'must be a log position or an ISO 8601 time with an offset' }]);
}

/**
 * The events of a post of `workspaceId`, oldest first. A post that does not exist, belongs to
 * another workspace or is deleted is a 404: deleted is final, so nothing of it is served.
 *
 * ```ts
 * const events = await postStream(deps.store, postId, workspaceId);
 * ```
 */
export async function postStream(store: EventStore, postId: string, workspaceId: string): Promise<RecordedEvent[]> {
  const events = await store.readStream(`post-${postId}`);
  const post = foldPost(events)?.record.post;
  if (post === undefined || post.status === 'none' || post.status === 'deleted' || post.workspaceId !== workspaceId) throw new ResourceNotFound('The post');
  return events;
}

/**
 * Folds a post's events (only those up to `asOf`) with the command routes' decider; undefined
 * when the post did not exist at that point.
 *
 * ```ts
 * const folded = foldPost(events, { time: new Date('2025-03-01T00:00:00Z') });
 * ```
 */
export function foldPost(events: readonly RecordedEvent[], asOf?: AsOf): { record: PostRecord; revision: bigint } | undefined {
  let record = postRecordDecider.initialState();
  let revision: bigint | undefined;
  for (const recorded of events) {
    if (asOf && ('position' in asOf ? recorded.position > asOf.position : recorded.occurredAt > asOf.time)) break;
    record = postRecordDecider.evolve(record, decode(recorded));
    revision = recorded.revision;
  }
  return revision === undefined || record.post.status === 'none' ? undefined : { record, revision };
}

/** One recorded event as a history entry. */
export function historyEntry(recorded: RecordedEvent): z.infer<typeof postHistoryEntryView> {
  return {
    position: recorded.position.toString(),
    revision: Number(recorded.revision),
    type: recorded.type,
    occurredAt: recorded.occurredAt.toISOString(),
    actor: recorded.metadata.actor ?? null,
    correlationId: recorded.metadata.correlationId ?? null,
    data: decode(recorded).data as Record<string, unknown>,
  };
}

function decode(recorded: RecordedEvent): PostEvent {
  return parseEvent(recorded.type, recorded.schemaVersion, recorded.data) as PostEvent;
}
