import { assertMayRead, recordRead } from '../../audit/access';
import { envelopeSchema, envelopeOf } from '../../audit/envelope';
import { auditEvents, chainLinks } from '../../audit/events-query';
import { verifyChain } from '../../audit/verify';
import { ResourceNotFound } from '../../commands/errors';
import type { RouteGroup } from '../../commands/routes';
import { isValidStreamId } from '../../eventstore/stream-name';
import type { ApiDeps } from '../../http/api-deps';
import { HttpError, ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { isoTime } from '../../http/validation';
import { limitParam, timeRange } from '../pagination';

const positionParam = z.string().regex(/^\d{1,19}$/, 'must be a log position (digits)');
const eventTypeParam = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/, 'must be an event type, e.g. PostScheduled');
const categoryParam = z.string().regex(/^[a-z][a-z0-9]{0,39}$/, 'must be a stream category, e.g. post');
const idParam = z.string().regex(/^[\w.:-]{1,200}$/, 'must be an id');

const eventsQuery = z.strictObject({
  after: positionParam.optional().openapi({ description: 'Events after this position (exclusive)' }),
  cursor: z.string().min(1).max(100).optional().openapi({ description: 'The nextCursor of the previous page' }),
  limit: limitParam,
  streamId: z.string().max(240).optional(),
  category: categoryParam.optional(),
  type: eventTypeParam.optional(),
  actorId: idParam.optional().openapi({ description: 'metadata.actor.id: a user or API key id' }),
  workspaceId: z.uuid().optional(),
  correlationId: idParam.optional(),
  from: isoTime().optional().openapi({ description: 'Occurred at or after (inclusive)' }),
  to: isoTime().optional().openapi({ description: 'Occurred before (exclusive)' }),
});

const streamQuery = z.strictObject({
  cursor: z.string().min(1).max(100).optional().openapi({ description: 'The nextCursor of the previous page' }),
  limit: limitParam,
});

const auditEventView = envelopeSchema.extend({ link: z.string().openapi({ description: 'This event\'s link in the tamper-evidence chain (SHA-256 hex)' }) }).openapi('AuditEvent');
const auditPage = z.object({ items: z.array(auditEventView), nextCursor: z.string().nullable() }).openapi('AuditEventPage');
const verifyView = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    firstBadPosition: z.string().optional().openapi({ description: 'The first position where the log and the chain disagree' }),
    head: z.object({ position: z.string(), link: z.string() }).optional(),
  })
  .openapi('AuditVerification');
const headView = z
  .object({
    position: z.string(),
    link: z.string(),
    signedAt: z.string(),
    kid: z.string(),
    jws: z.string().openapi({ description: 'Compact JWS (EdDSA) of {position, link, signedAt}: keep it as a receipt' }),
    keys: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'The public keys (JWK) that verify heads, the current one first' }),
  })
  .openapi('AuditSignedHead');

/** `?cursor=` of these lists: the last position (or revision) of the previous page, opaque to clients. */
function encodeCursor(value: bigint): string {
  return Buffer.from(JSON.stringify({ after: value.toString() })).toString('base64url');
}

function decodeCursor(cursor: string): bigint {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string' && /^\d{1,19}$/.test(after)) return BigInt(after);
  } catch {
    // reported below
  }
  throw new ValidationFailed([{ in: 'query', field: 'cursor', message: 'is not a cursor this list returned' }]);
}

/** The audit API (platform role auditor, or an API key with `audit:read`); every read is recorded in the log. */
export const auditRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'get',
    path: '/v1/audit/events',
    summary: 'The log for auditors, oldest first, with full metadata and chain links; filters combine with AND',
    tag: 'audit',
    auth: 'any',
    reads: ['audit-chain'],
    query: eventsQuery,
    responses: { 200: { description: 'A page of events', schema: auditPage } },
    async handler({ req, res, query, principal }) {
      assertMayRead(principal, 'audit');
      if (query.cursor !== undefined && query.after !== undefined) {
        throw new ValidationFailed([{ in: 'query', field: 'cursor', message: 'give either cursor or after, not both' }]);
      }
      const { from, to } = timeRange(query.from, query.to);
      const after = query.cursor !== undefined ? decodeCursor(query.cursor) : query.after === undefined ? undefined : BigInt(query.after);
      await recordRead(deps.store, req, 'GET /v1/audit/events', { ...query, limit: query.limit });
      const filter = { ...query, after, from, to, workspaceId: query.workspaceId?.toLowerCase() };
      const { items, hasMore } = await auditEvents(deps.pool, deps.store, filter, query.limit);
      res.json({ items, nextCursor: hasMore && items.length > 0 ? encodeCursor(BigInt(items.at(-1)!.position)) : null });
    },
  });

  api.route({
    method: 'get',
    path: '/v1/audit/streams/{streamId}',
    summary: "One stream's events in revision order, with full metadata and chain links",
    tag: 'audit',
    auth: 'any',
    textParams: ['streamId'],
    reads: ['audit-chain'],
    query: streamQuery,
    responses: { 200: { description: 'A page of the stream', schema: auditPage } },
    async handler({ req, res, query, principal }) {
      assertMayRead(principal, 'audit');
      const streamId = String(req.params.streamId);
      if (!isValidStreamId(streamId)) throw new ValidationFailed([{ in: 'params', field: 'streamId', message: 'must be <category>-<id>' }]);
      const fromRevision = query.cursor === undefined ? 0n : decodeCursor(query.cursor) + 1n;
      await recordRead(deps.store, req, 'GET /v1/audit/streams/{streamId}', { streamId, cursor: query.cursor, limit: query.limit });
      const events = await deps.store.readStream(streamId, { fromRevision, maxCount: query.limit + 1 });
      if (events.length === 0 && fromRevision === 0n) throw new ResourceNotFound('The stream');
      const page = events.slice(0, query.limit);
      const links = await chainLinks(deps.pool, page.map((e) => e.position));
      const items = page.map((event) => ({ ...envelopeOf(event), link: links.get(event.position.toString()) ?? null }));
      res.json({ items, nextCursor: events.length > query.limit ? encodeCursor(page.at(-1)!.revision) : null });
    },
  });

  api.route({
    method: 'get',
    path: '/v1/audit/verify',
    summary: 'Recomputes the tamper-evidence chain from the log as stored and compares it with the kept links',
    tag: 'audit',
    auth: 'any',
    reads: ['audit-chain'],
    responses: { 200: { description: 'What the verification found; ok is false when an event was changed, removed or inserted', schema: verifyView } },
    async handler({ req, res, principal }) {
      assertMayRead(principal, 'audit');
      await recordRead(deps.store, req, 'GET /v1/audit/verify', {});
      // the stored form, never the decrypting reader: the chain hashes what is stored
      res.json(await verifyChain(deps.auditLog, deps.pool));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/audit/head',
    summary: 'The latest signed head of the chain (Ed25519) with the public keys that verify it: an auditor keeps it as a receipt',
    tag: 'audit',
    auth: 'any',
    // the signed heads are kept by the head signer, not by a projection
    reads: [],
    responses: { 200: { description: 'The signed head', schema: headView } },
    async handler({ req, res, principal }) {
      assertMayRead(principal, 'audit');
      await recordRead(deps.store, req, 'GET /v1/audit/head', {});
      const head = await deps.auditHeads.latest();
      if (!head) throw new HttpError(404, 'No chain head has been signed yet; heads are signed at the configured interval (AUDIT_HEAD_INTERVAL_MS).');
      res.json({ ...head, keys: deps.auditHeads.jwks.keys });
    },
  });
};
