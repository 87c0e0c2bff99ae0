import type { Pool, PoolClient } from 'pg';
import type { Position } from '../eventstore/port';
import type { CanonicalLog } from './canonical-log';
import { linkOf } from './chain';
import { prefetchedPages } from './pages';

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

/** A stretch of the chain: after `after` (exclusive; omitted: from the start) up to `to` (inclusive). */
export interface ChainRange {
  after?: bigint;
  to: bigint;
  /** The link stored at `after` (GENESIS_LINK from the start). */
  startLink: string;
}

export interface RangeOptions {
  /** Called after each page with the events checked so far and the position reached. */
  onProgress?: (checked: number, position: Position) => void;
  pageSize?: number;
}

/** Something that runs a query: a pool, or a client. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

type ChainRow = [position: string, link: string];

/**
 * Verifies one range of the chain: from the link stored at `range.after`, every event of the
 * log up to `range.to` must recompute to the link stored at its position, and the log and the
 * chain must hold the same positions. The range before must have checked the link at `after`
 * for the whole to hold; then the ranges of a chain verify independently (verifyChain merges
 * them: the first bad position is the least, `checked` the sum up to it).
 *
 * ```ts
 * await verifyRange(canonicalLogOf(store), pool, { after: 500n, to: 1000n, startLink: linkAt500 });
 * ```
 */
export async function verifyRange<Item>(log: CanonicalLog<Item>, chainDb: Queryable, range: ChainRange, options: RangeOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000;
  const to = range.to.toString();
  const chain = prefetchedPages(
    async (after) =>
      (
        await chainDb.query<ChainRow>({
          text: 'select position, link from pl_audit_chain where position > $1 and position <= $2 order by position limit $3',
          values: [(after ?? -1n).toString(), to, pageSize],
          rowMode: 'array',
        })
      ).rows,
    (row) => BigInt(row[0]),
    { after: range.after, pageSize },
  );
  const events = prefetchedPages((after) => log.page(after, range.to, pageSize), (item) => BigInt(log.positionOf(item)), { after: range.after, pageSize });
  let link = range.startLink;
  let checked = 0;
  let headPosition: string | undefined;
  let eventPage: Item[] = [];
  let e = 0;
  const bad = (position: string): VerifyResult => ({ ok: false, checked, firstBadPosition: position, ...(headPosition ? { head: { position: headPosition, link } } : {}) });
  try {
    for await (const rows of chain) {
      for (const [position, stored] of rows) {
        if (e >= eventPage.length) {
          const next = await events.next();
          // the log ended before the chain did: chained events were removed
          if (next.done) return bad(position);
          eventPage = next.value;
          e = 0;
        }
        const event = eventPage[e++]!;
        const eventPosition = log.positionOf(event);
        if (eventPosition !== position) {
          // positions only grow: the smaller one is where the two first differ
          return bad(BigInt(eventPosition) < BigInt(position) ? eventPosition : position);
        }
        const recomputed = linkOf(link, log.canonicalOf(event));
        if (recomputed !== stored) return bad(position);
        link = recomputed;
        checked++;
        headPosition = position;
      }
      options.onProgress?.(checked, BigInt(rows.at(-1)![0]));
    }
    return { ok: true, checked, ...(headPosition ? { head: { position: headPosition, link } } : {}) };
  } finally {
    await chain.return(undefined);
    await events.return(undefined);
  }
}

