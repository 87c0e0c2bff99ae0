import type { Pool } from 'pg';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import { GENESIS_LINK, nextLink } from './chain';
import { logPages, prefetchedPages } from './pages';

/** What a verification found. Positions are decimal strings (int8). */
export interface VerifyResult {
  /** True when every chained event recomputes to its stored link and none is missing or added. */
  ok: boolean;
  /** Events whose link was recomputed and matched, before the first bad one. */
  checked: number;
  /** Where the log and the chain first disagree: a changed, removed or inserted event. */
  firstBadPosition?: string;
  /** The last chained position and its link (absent while the chain is empty). */
  head?: { position: string; link: string };
}

export interface VerifyOptions {
  /** Called after each page with the events checked so far and the position reached. */
  onProgress?: (checked: number, position: Position) => void;
  pageSize?: number;
}

type ChainRow = [position: string, link: string];

/**
 * Recomputes the chain from the log as stored (read through the EventStore port, so any
 * adapter) and compares it link by link with `pl_audit_chain`, up to the chain's head
 * (events the chain projection has not reached yet are not judged). The first position where
 * they disagree is reported: an event whose content changed, a chained event that is no
 * longer in the log (removed), or an event in the log that was never chained (inserted).
 *
 * ```ts
 * const result = await verifyChain(rawStore, pool); // { ok: true, checked: 1042, head: { position: '1042', link: '9f…' } }
 * ```
 */
export async function verifyChain(log: EventStore, pool: Pool, options: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000;
  const chain = prefetchedPages(
    async (after) =>
      (
        await pool.query<ChainRow>({
          text: 'select position, link from pl_audit_chain where position > $1 order by position limit $2',
          values: [(after ?? -1n).toString(), pageSize],
          rowMode: 'array',
        })
      ).rows,
    (row) => BigInt(row[0]),
    { pageSize },
  );
  const events = logPages(log, { pageSize });
  let link = GENESIS_LINK;
  let checked = 0;
  let head: VerifyResult['head'];
  let eventPage: RecordedEvent[] = [];
  let e = 0;
  const nextEvent = async (): Promise<RecordedEvent | undefined> => {
    if (e >= eventPage.length) {
      const next = await events.next();
      if (next.done) return undefined;
      eventPage = next.value;
      e = 0;
    }
    return eventPage[e++];
  };
  const bad = (position: string): VerifyResult => ({ ok: false, checked, firstBadPosition: position, ...(head ? { head } : {}) });
  try {
    for await (const rows of chain) {
      for (const [position, stored] of rows) {
        const event = await nextEvent();
        // the log ended before the chain did: chained events were removed
        if (event === undefined) return bad(position);
        const eventPosition = event.position.toString();
        if (eventPosition !== position) {
          // positions only grow: the smaller one is where the two first differ
          return bad(event.position < BigInt(position) ? eventPosition : position);
        }
        link = nextLink(link, event);
        if (link !== stored) return bad(position);
        checked++;
        head = { position, link };
      }
      options.onProgress?.(checked, BigInt(rows.at(-1)![0]));
    }
    return { ok: true, checked, ...(head ? { head } : {}) };
  } finally {
    await chain.return(undefined);
    await events.return(undefined);
  }
}

/** A head an auditor kept: the link the chain had at a position. */
export interface ChainHead {
  position: string;
  link: string;
}

/**
 * Recomputes the chain from the log alone (not from `pl_audit_chain`, which whoever altered
 * the log may have rewritten too) up to `head.position` and tells whether it arrives at the
 * same link: the log an auditor saw then is the log that is there now.
 *
 * ```ts
 * const { ok } = await logMatchesHead(rawStore, receipt); // false once an event before receipt.position was altered
 * ```
 */
export async function logMatchesHead(log: EventStore, head: ChainHead): Promise<{ ok: boolean; recomputedLink?: string }> {
  const target = BigInt(head.position);
  let link = GENESIS_LINK;
  for await (const page of logPages(log)) {
    for (const event of page) {
      if (event.position > target) return { ok: false };
      link = nextLink(link, event);
      if (event.position === target) return { ok: link === head.link, recomputedLink: link };
    }
  }
  // the position is no longer in the log
  return { ok: false };
}
