/**
 * The WebSocket protocol of `/v1/realtime` (API.md "Live updates"): what a client may send,
 * what the server sends, and the close codes a client acts on. Positions travel as decimal
 * strings: they are int8 in the log and do not fit a JSON number.
 */
import { z } from 'zod';
import type { Position, RecordedEvent } from '../eventstore/port';

/**
 * Close codes of the gateway. The 4xxx codes are the application's own (RFC 6455 §7.4.2).
 *
 * - `goingAway` 1001: the server is shutting down; reconnect (to any instance) and resume.
 * - `policyViolation` 1008: the client sent messages faster than they are answered.
 * - `messageTooBig` 1009: a client message over the size limit (sent by `ws` itself).
 * - `tryAgainLater` 1013: the client read too slowly and its send buffer passed the limit; reconnect and resume.
 * - `tokenExpired` 4001: the access token expired; refresh it, reconnect and resume.
 * - `accessRevoked` 4003: the user was deactivated; do not reconnect with this session.
 */
export const closeCodes = {
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  tokenExpired: 4001,
  accessRevoked: 4003,
} as const;

/** Largest client message accepted (bytes); larger ones close the socket with 1009. */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;

const workspaceId = z.uuid().transform((id) => id.toLowerCase());
const position = z
  .union([z.string().regex(/^\d{1,19}$/, 'must be a position: a decimal string'), z.int().min(0)])
  .transform((value) => BigInt(value))
  .refine((value) => value <= 9_223_372_036_854_775_807n, 'must be a position: a decimal string');

const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), workspaceId, after: position.optional() }),
  z.strictObject({ type: z.literal('unsubscribe'), workspaceId }),
]);

/** A message a client may send. */
export type ClientMessage = { type: 'subscribe'; workspaceId: string; after?: Position } | { type: 'unsubscribe'; workspaceId: string };

/** Error codes of `{type: "error"}` messages. */
export type ErrorCode =
  /** Not JSON, or not one of the client messages; `errors` names each field at fault. */
  | 'invalid-message'
  /** The workspace does not exist or the user is not a member (never revealed which). */
  | 'workspace-not-found'
  /** The user was removed from the workspace: no more of its events follow. */
  | 'subscription-revoked'
  /** More subscriptions on one connection than allowed. */
  | 'too-many-subscriptions'
  /** The subscription could not be served (e.g. the log could not be read); subscribe again. */
  | 'subscription-failed';

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  workspaceId?: string;
  errors?: { field: string; message: string }[];
}

export type ParsedClientMessage = { ok: true; message: ClientMessage } | { ok: false; error: ErrorMessage };

/**
 * Reads one client frame. Anything else than a valid message is an `invalid-message` error
 * naming the fields at fault, never an exception.
 *
 * ```ts
 * parseClientMessage('{"type":"subscribe","workspaceId":"…","after":"42"}');
 * // { ok: true, message: { type: 'subscribe', workspaceId: '…', after: 42n } }
 * ```
 */
export function parseClientMessage(frame: string): ParsedClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return { ok: false, error: { type: 'error', code: 'invalid-message', message: 'The message is not JSON.' } };
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  return {
    ok: false,
    error: {
      type: 'error',
      code: 'invalid-message',
      message: 'The message must be {type: "subscribe", workspaceId, after?} or {type: "unsubscribe", workspaceId}.',
      errors: parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || 'type', message: issue.message })),
    },
  };
}

/** The envelope as JSON: positions and revisions as decimal strings. */
export function eventMessage(event: RecordedEvent): string {
  return JSON.stringify({
    type: 'event',
    event: { ...event, revision: event.revision.toString(), position: event.position.toString(), occurredAt: event.occurredAt.toISOString() },
  });
}

/** `{type: "caught-up", workspaceId, position}`: everything up to `position` was sent; resume with `after` set to it. */
export function caughtUpMessage(workspaceId: string, position: Position): string {
  return JSON.stringify({ type: 'caught-up', workspaceId, position: position.toString() });
}

/** `{type: "metrics", workspaceId, postId, totals}`: a post's latest engagement totals. */
export function metricsMessage(workspaceId: string, postId: string, totals: Record<string, number>): string {
  return JSON.stringify({ type: 'metrics', workspaceId, postId, totals });
}

export function errorMessage(error: ErrorMessage): string {
  return JSON.stringify(error);
}
