import type { Pool } from 'pg';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import { readModelDb } from '../projections/read-models';
import { envelopeOf, type EnvelopeView } from './envelope';
import type { AuditTables } from './tables';

/** The filters of `GET /v1/audit/events`, all optional and combined with AND. */
export interface AuditEventFilter {
  after?: Position;
  streamId?: string;
  category?: string;
  type?: string;
  actorId?: string;
  workspaceId?: string;
  correlationId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** An event with its link in the tamper-evidence chain. */
export type AuditEventView = EnvelopeView & { link: string };

/** A contiguous read of the log fetches at most this many events for one page. */
const MAX_SPAN = 1000;

/**
 * A page of the log for auditors, oldest first: the positions come from the chain's index
 * (`pl_audit_chain`, filtered there), the events themselves from `store` (the reader the rest
 * of the API uses, so erased personal data shows as erased).
 *
 * ```ts
 * const { items, last } = await auditEvents(pool, store, { actorId }, 50);
 * ```
 */
export async function auditEvents(pool: Pool, store: EventStore, filter: AuditEventFilter, limit: number): Promise<{ items: AuditEventView[]; hasMore: boolean }> {
  const db = readModelDb(pool).withTables<AuditTables>();
  let query = db.selectFrom('pl_audit_chain').select(['position', 'link']).orderBy('position').limit(limit + 1);
  if (filter.after !== undefined) query = query.where('position', '>', filter.after.toString());
  if (filter.streamId !== undefined) query = query.where('stream_id', '=', filter.streamId);
  if (filter.category !== undefined) query = query.where('category', '=', filter.category);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
  if (filter.workspaceId !== undefined) query = query.where('workspace_id', '=', filter.workspaceId);
  if (filter.correlationId !== undefined) query = query.where('correlation_id', '=', filter.correlationId);
  if (filter.from !== undefined) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('occurred_at', '<', filter.to);
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const events = await eventsAt(store, page.map((r) => BigInt(r.position)));
  const items = page.flatMap((row) => {
    const event = events.get(row.position);
    return event ? [{ ...envelopeOf(event), link: row.link }] : [];
  });
  return { items, hasMore: rows.length > limit };
}

/**
 * The links of the given positions, for views that read events elsewhere (a stream's history).
 *
 * ```ts
 * const links = await chainLinks(pool, events.map((e) => e.position));
 * ```
 */
export async function chainLinks(pool: Pool, positions: readonly Position[]): Promise<Map<string, string>> {
  if (positions.length === 0) return new Map();
  const { rows } = await pool.query<{ position: string; link: string }>('select position, link from pl_audit_chain where position = any($1::bigint[])', [positions.map(String)]);
  return new Map(rows.map((r) => [r.position, r.link]));
}

/** The events at `positions` (ascending), read in as few contiguous reads of the log as the gaps allow. */
async function eventsAt(store: EventStore, positions: readonly Position[]): Promise<Map<string, RecordedEvent>> {
  const found = new Map<string, RecordedEvent>();
  let i = 0;
  while (i < positions.length) {
    const start = positions[i]!;
    // every wanted position within MAX_SPAN of the first comes with the same read
    let end = i;
    while (end + 1 < positions.length && positions[end + 1]! - start < BigInt(MAX_SPAN)) end++;
    const read = await store.readAll({ after: start - 1n, maxCount: Number(positions[end]! - start) + 1 });
    if (read.length === 0) break;
    for (const event of read) found.set(event.position.toString(), event);
    // a position the read went past without finding is not in the log (any more)
    const reached = read.at(-1)!.position;
    while (i < positions.length && positions[i]! <= reached) i++;
  }
  return found;
}
