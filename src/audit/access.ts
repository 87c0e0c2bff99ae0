import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal';
import { PermissionDenied } from '../commands/errors';
import { currentSchemaVersion } from '../domain/catalogue';
import type { ApiKeyScope } from '../domain/apikey/scopes';
import type { PlatformRole } from '../domain/user/platform-roles';
import type { EventMetadata, EventStore } from '../eventstore/port';
import { eventMetadata } from '../http/command-response';

/** Who may read what, outside any workspace: the audit API, or the log as a replay. */
export const platformReads = {
  audit: { role: 'auditor', scope: 'audit:read' },
  events: { role: 'analyst', scope: 'events:read' },
} as const satisfies Record<string, { role: PlatformRole; scope: ApiKeyScope }>;

export type PlatformRead = keyof typeof platformReads;

/**
 * Throws PermissionDenied (403) unless the principal is a user with the platform role of
 * this kind of read (auditor: audit; analyst: events) or an API key with its scope. Nobody
 * else, admins included: least privilege.
 *
 * ```ts
 * assertMayRead(principal, 'audit');
 * ```
 */
export function assertMayRead(principal: Principal, read: PlatformRead): void {
  const { role, scope } = platformReads[read];
  const allowed = principal.kind === 'user' ? principal.platformRoles.includes(role) : principal.scopes.includes(scope);
  if (!allowed) throw new PermissionDenied(`Only a user with the platform role ${role} or an API key with the ${scope} scope may read this.`);
}

/**
 * Records a read of the audit or replay API in the log, before anything is answered: the
 * route and the filter, with the reader as the event's actor and the time it happened.
 * A read that cannot be recorded is not served.
 *
 * ```ts
 * await recordRead(store, req, 'GET /v1/audit/events', { type: 'PostDrafted' });
 * ```
 */
export async function recordRead(store: EventStore, req: Request, route: string, filter: Record<string, unknown>): Promise<void> {
  await recordReadBy(store, eventMetadata(req), route, filter);
}

/**
 * `recordRead` for a reader outside HTTP (the replay command): the metadata says who.
 *
 * ```ts
 * await recordReadBy(store, { actor: { type: 'system', id: 'cli' }, correlationId }, 'postledger replay', { from: '0' });
 * ```
 */
export async function recordReadBy(store: EventStore, metadata: EventMetadata, route: string, filter: Record<string, unknown>): Promise<void> {
  const given = Object.fromEntries(
    Object.entries(filter)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value).slice(0, 1000)]),
  );
  await store.appendToStream(
    `auditread-${randomUUID()}`,
    [{ id: randomUUID(), type: 'AuditLogRead', schemaVersion: currentSchemaVersion('AuditLogRead'), data: { route, filter: given }, metadata }],
    { expectedRevision: 'no_stream' },
  );
}
