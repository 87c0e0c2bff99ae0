import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { HttpError } from './api-errors';
import { JSON_TYPES } from './json-body';

/** The header a webhook sender signs its request with. */
export const SIGNATURE_HEADER = 'X-Signature';
/** How far the signature's time may be from the receiver's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a signature was refused; the sender is told only the format faults and staleness. */
export type SignatureFault = 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * The `X-Signature` value for `body` sent at `at`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`. `body` must be the exact bytes sent.
 *
 * ```ts
 * const body = JSON.stringify({ generationId, status: 'completed', output: { text: 'Hi' } });
 * await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Signature': webhookSignature(secret, body, new Date()) } });
 * ```
 */
export function webhookSignature(secret: string, body: string | Buffer, at: Date): string {
  const t = Math.floor(at.getTime() / 1000).toString();
  return `t=${t},v1=${hmac(secret, t, body).toString('hex')}`;
}

/**
 * Checks an `X-Signature` header against the raw body: undefined when it is valid, else the
 * fault. Several `v1` values may be given (a sender rotating its secret); one must match.
 * Digests are compared in constant time.
 *
 * ```ts
 * verifyWebhookSignature(secret, req.get('X-Signature'), rawBody, new Date()); // undefined, or 'stale'…
 * ```
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, rawBody: Buffer, now: Date): SignatureFault | undefined {
  if (header === undefined || header.trim() === '') return 'missing';
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return 'malformed';
  if (Math.abs(now.getTime() / 1000 - Number(parsed.t)) > SIGNATURE_TOLERANCE_SECONDS) return 'stale';
  const expected = hmac(secret, parsed.t, rawBody);
  const matches = parsed.v1.map((given) => timingSafeEqual(Buffer.from(given, 'hex'), expected));
  return matches.includes(true) ? undefined : 'mismatch';
}

/** `t=<digits>` once and `v1=<64 hex>` at least once, comma-separated; other keys are ignored (future schemes). */
function parseSignatureHeader(header: string): { t: string; v1: string[] } | undefined {
  const t: string[] = [];
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return undefined;
    if (key === 't') t.push(value);
    else if (key === 'v1') v1.push(value);
  }
  if (t.length !== 1 || !/^\d{1,12}$/.test(t[0]!) || v1.length === 0 || !v1.every((v) => /^[0-9a-f]{64}$/i.test(v))) return undefined;
  return { t: t[0]!, v1 };
}

function hmac(secret: string, t: string, body: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

const DETAIL: Record<SignatureFault, string> = {
  missing: `The ${SIGNATURE_HEADER} header is missing.`,
  malformed: `${SIGNATURE_HEADER} must be t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">.`,
  stale: `The ${SIGNATURE_HEADER} time is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from the server's clock.`,
  // which byte or which secret is wrong is not for the sender to probe
  mismatch: `The ${SIGNATURE_HEADER} signature does not match the request body.`,
};

/** The raw bytes of each signed request, kept by the parser for the check that follows it. */
const rawBodies = new WeakMap<object, Buffer>();
const EMPTY = Buffer.alloc(0);

/**
 * A route's `before` for a signed webhook: parses the JSON body keeping its raw bytes, then
 * refuses the request with 401 unless `X-Signature` signs those bytes with `secret` within
 * SIGNATURE_TOLERANCE_SECONDS of `now()`. The global parser must leave the route's body
 * unread (json-body.ts `OWN_BODY_ROUTES`), or the bytes are gone.
 *
 * ```ts
 * api.route({ …, before: signedJsonBody({ secret: deps.webhookSecret, now: deps.now, limitBytes: 256 * 1024 }), … });
 * ```
 */
export function signedJsonBody(options: { secret: string; now: () => Date; limitBytes: number }): RequestHandler[] {
  const parse = express.json({
    limit: options.limitBytes,
    type: JSON_TYPES,
    // the signed bytes are the bytes sent: a compressed body is refused (415), not inflated first
    inflate: false,
    verify: (req, _res, buf) => {
      rawBodies.set(req, buf);
    },
  });
  const check: RequestHandler = (req, _res, next) => {
    const fault = verifyWebhookSignature(options.secret, req.get(SIGNATURE_HEADER), rawBodies.get(req) ?? EMPTY, options.now());
    if (fault !== undefined) {
      req.log.info({ fault }, 'webhook signature refused');
      throw new HttpError(401, DETAIL[fault], 'InvalidSignature', { 'WWW-Authenticate': `HMAC-SHA256 header="${SIGNATURE_HEADER}"` });
    }
    next();
  };
  return [parse, check];
}
