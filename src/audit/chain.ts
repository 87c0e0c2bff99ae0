import * as crypto from 'node:crypto';
import type { RecordedEvent } from '../eventstore/port';
import { canonicalEvent } from './canonical';

/** The link before the first event: 64 zeros. */
export const GENESIS_LINK = '0'.repeat(64);

/** One-shot hashing (Node ≥ 20.12) is several times faster than a Hash object per event. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/**
 * The next link of the chain, as 64 lower-case hex digits: SHA-256 over the UTF-8 bytes of
 * the previous link (its 64 hex digits) followed by the event's canonical encoding
 * (canonical.ts). An auditor recomputes it with any SHA-256 tool:
 * `printf '%s%s' "$previous" "$canonical" | sha256sum`.
 *
 * ```ts
 * let link = GENESIS_LINK;
 * for (const event of events) link = nextLink(link, event);
 * link; // the chain head
 * ```
 */
export function nextLink(previous: string, event: RecordedEvent): string {
  return linkOf(previous, canonicalEvent(event));
}

/** SHA-256 hex of `previous + canonical`. */
export function linkOf(previous: string, canonical: string): string {
  const input = previous + canonical;
  return oneShot ? oneShot('sha256', input, 'hex') : crypto.createHash('sha256').update(input, 'utf8').digest('hex');
}
