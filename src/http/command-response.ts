import { actorIdOf } from '../auth/principal';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Actor, EventMetadata, Position } from '../eventstore/port';
import { ValidationFailed } from './api-errors';
import './principal';

const SANE_ID = /^[\w.:-]{1,128}$/;

/**
 * The metadata of the events a request appends: who (the principal, or `actor` when the
 * request creates its own actor, e.g. registration), the workspace, the correlation id
 * (`X-Correlation-Id` when given, else a new one), and the request id as the causation.
 */
export function eventMetadata(req: Request, options: { workspaceId?: string; actor?: Actor } = {}): EventMetadata {
  const principal = req.principal;
  const actor: Actor =
    options.actor ?? (principal === undefined ? { type: 'system', id: 'anonymous' } : { type: principal.kind, id: actorIdOf(principal) });
  return {
    actor,
    ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
    correlationId: correlationId(req),
    causationId: req.id,
    requestId: req.id,
  };
}

/** The request's correlation id: a sane `X-Correlation-Id`, or one made up once per request. */
export function correlationId(req: Request): string {
  const given = req.get('x-correlation-id');
  const locals = req as Request & { correlationId?: string };
  locals.correlationId ??= given !== undefined && SANE_ID.test(given) ? given : randomUUID();
  return locals.correlationId;
}

/** `If-Match: W/"<revision>"` (or `"<revision>"`) as an expected revision; absent → undefined. */
export function ifMatch(req: Request): bigint | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"(\d{1,19})"$/.exec(header.trim());
  if (!match) throw new ValidationFailed([{ in: 'headers', field: 'If-Match', message: 'must be an ETag from a response, W/"<revision>"' }]);
  return BigInt(match[1]!);
}

export interface CommandOutcome {
  /** Revision of the aggregate after the command. */
  revision: bigint | undefined;
  /** Position of the command's last event (or of the aggregate's last event when nothing was appended). */
  position: Position | undefined;
}

/**
 * Answers a command: `ETag: W/"<revision>"`, `X-Event-Position` (pass it as
 * `X-Min-Position` to read your write), `X-Correlation-Id`, `Location` for a 201.
 */
export function sendCommandResult(req: Request, res: Response, status: number, body: unknown, outcome: CommandOutcome, location?: string): void {
  if (outcome.revision !== undefined) res.setHeader('ETag', `W/"${outcome.revision}"`);
  if (outcome.position !== undefined) res.setHeader('X-Event-Position', outcome.position.toString());
  res.setHeader('X-Correlation-Id', correlationId(req));
  if (location) res.setHeader('Location', location);
  if (body === undefined) res.status(status).end();
  else res.status(status).json(body);
}
