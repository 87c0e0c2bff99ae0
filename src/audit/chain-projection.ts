import type { RecordedEvent } from '../eventstore/port';
import { categoryOf } from '../eventstore/stream-name';
import { insertRows } from '../projections/bulk';
import type { Projection } from '../projections/projection';
import { nextLink, GENESIS_LINK } from './chain';
import type { AuditChainTable, AuditTables } from './tables';

/**
 * The tamper-evidence chain (and the audit API's index): one row per event of the whole log,
 * in global order, each with the link over the previous link and the event as stored.
 * It must be fed the raw store, never a reader that decrypts or erases personal data,
 * so that the chain keeps verifying after a person's key is destroyed (`storedForm`).
 */
export const auditChainProjection: Projection = {
  name: 'audit-chain',
  filter: {},
  storedForm: true,
  migrations: [
    {
      id: '5000_audit_chain',
      sql: `
        create table pl_audit_chain (
          position       bigint      primary key,
          link           text        not null,
          event_id       uuid        not null,
          stream_id      text        not null,
          category       text        not null,
          type           text        not null,
          occurred_at    timestamptz not null,
          actor_type     text,
          actor_id       text,
          workspace_id   text,
          correlation_id text
        );
        create index pl_audit_chain_stream on pl_audit_chain (stream_id, position);
        create index pl_audit_chain_category on pl_audit_chain (category, position);
        create index pl_audit_chain_type on pl_audit_chain (type, position);
        create index pl_audit_chain_actor on pl_audit_chain (actor_id, position);
        create index pl_audit_chain_workspace on pl_audit_chain (workspace_id, position);
        create index pl_audit_chain_correlation on pl_audit_chain (correlation_id, position);
        create index pl_audit_chain_time on pl_audit_chain (occurred_at, position);`,
    },
    {
      id: '5001_audit_heads',
      sql: `
        create table pl_audit_heads (
          position   bigint      primary key,
          link       text        not null,
          signed_at  timestamptz not null,
          kid        text        not null,
          jws        text        not null,
          created_at timestamptz not null default now()
        );`,
    },
  ],
  async apply(trx, events) {
    const db = trx.withTables<AuditTables>();
    const last = await db.selectFrom('pl_audit_chain').select('link').orderBy('position', 'desc').limit(1).executeTakeFirst();
    await insertRows(db, 'pl_audit_chain', chainRows(last?.link ?? GENESIS_LINK, events));
  },
};

/**
 * The chain rows of `events`, continuing from `previous`.
 *
 * ```ts
 * const rows = chainRows(GENESIS_LINK, firstEvents); // rows.at(-1).link is the head
 * ```
 */
export function chainRows(previous: string, events: readonly RecordedEvent[]): AuditChainTable[] {
  let link = previous;
  return events.map((event) => {
    link = nextLink(link, event);
    const { actor, workspaceId, correlationId } = event.metadata;
    return {
      position: event.position.toString(),
      link,
      event_id: event.id,
      stream_id: event.streamId,
      category: categoryOf(event.streamId),
      type: event.type,
      occurred_at: event.occurredAt,
      actor_type: textOrNull(actor?.type),
      actor_id: textOrNull(actor?.id),
      workspace_id: textOrNull(workspaceId),
      correlation_id: textOrNull(correlationId),
    };
  });
}

/** Metadata is whatever the writer gave: only strings are indexed. */
function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value.slice(0, 200) : null;
}
