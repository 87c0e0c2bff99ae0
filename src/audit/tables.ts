import type { Generated } from 'kysely';

/** One link of the tamper-evidence chain, with the columns the audit API filters on. */
export type AuditChainTable = {
  /** int8 as a string: positions never pass through a JS number. */
  position: string;
  /** SHA-256 hex of the previous link and this event's canonical encoding. */
  link: string;
  event_id: string;
  stream_id: string;
  category: string;
  type: string;
  occurred_at: Date;
  actor_type: string | null;
  actor_id: string | null;
  workspace_id: string | null;
  correlation_id: string | null;
};

/** A signed chain head: what an auditor keeps as a receipt. */
export type AuditHeadsTable = {
  position: string;
  link: string;
  signed_at: Date;
  kid: string;
  /** Compact JWS (EdDSA) over the head. */
  jws: string;
  created_at: Generated<Date>;
};

/** Type aliases, not interfaces: Kysely's withTables needs an index-compatible shape. */
export type AuditTables = {
  pl_audit_chain: AuditChainTable;
  pl_audit_heads: AuditHeadsTable;
};
