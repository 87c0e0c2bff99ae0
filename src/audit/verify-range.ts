import type { Pool, PoolClient } from 'pg';
import type { Position } from '../eventstore/port';
import type { CanonicalLog, ChainedLog } from './canonical-log';
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
 * await verifyRange(postgresChainedLog(pool), pool, { after: 500n, to: 1000n, startLink: linkAt500 });
 * ```
 */
export async function verifyRange<Item>(log: CanonicalLog<Item> | ChainedLog<Item>, chainDb: Queryable, range: ChainRange, options: RangeOptions = {}): Promise<VerifyResult> {
  if ('storedLinkOf' in log) return verifyChainedRange(log, chainDb, range, options);
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

/**
 * `verifyRange` over a log read with the chain's stored links beside its events
 * (`postgresChainedLog`): one stream of rows instead of two. An event the chain does not have
 * (inserted) shows as a missing link. A position the chain holds and the log lacks (a removed
 * event, or a row added to the chain) is looked for where an event fails, and once at the end
 * by counting the range's chained positions against the events verified; being smaller than
 * any later disagreement, it is then the first bad position, as in `verifyRange`.
 */
async function verifyChainedRange<Item>(log: ChainedLog<Item>, chainDb: Queryable, range: ChainRange, options: RangeOptions): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000;
  const pages = prefetchedPages((after) => log.page(after, range.to, pageSize), (item) => BigInt(log.positionOf(item)), { after: range.after, pageSize });
  let link = range.startLink;
  let checked = 0;
  let headPosition: string | undefined;
  const failed = (position: string): VerifyResult => ({ ok: false, checked, firstBadPosition: position, ...(headPosition ? { head: { position: headPosition, link } } : {}) });
  /** Fails at `bad`, a chained position the log lacks: what counts as checked is the events before it, all verified. */
  const failedBefore = async (bad: string): Promise<VerifyResult> => {
    const { rows } = await chainDb.query<[string, string | null, string | null]>({
      text: `select count(*), max(e.position), (select c.link from pl_audit_chain c where c.position = max(e.position))
               from pl_events e where e.position > $1 and e.position < $2`,
      values: [(range.after ?? -1n).toString(), bad],
      rowMode: 'array',
    });
    const [count, last, lastLink] = rows[0]!;
    checked = Number(count);
    [headPosition, link] = last === null ? [undefined, range.startLink] : [last, lastLink!];
    return failed(bad);
  };
  try {
    for await (const page of pages) {
      for (const event of page) {
        const stored = log.storedLinkOf(event);
        if (stored === null || linkOf(link, log.canonicalOf(event)) !== stored) {
          const position = log.positionOf(event);
          const removed = await firstUnloggedChained(chainDb, range.after, BigInt(position));
          return removed === undefined ? failed(position) : await failedBefore(removed);
        }
        link = stored;
        checked++;
        headPosition = log.positionOf(event);
      }
      options.onProgress?.(checked, BigInt(headPosition!));
    }
    // every event verified has its chained position: any more in the range are not in the log
    const { rows } = await chainDb.query<[string]>({
      text: 'select count(*) from pl_audit_chain where position > $1 and position <= $2',
      values: [(range.after ?? -1n).toString(), range.to.toString()],
      rowMode: 'array',
    });
    if (Number(rows[0]![0]) !== checked) return await failedBefore((await firstUnloggedChained(chainDb, range.after, range.to + 1n))!);
    return { ok: true, checked, ...(headPosition ? { head: { position: headPosition, link } } : {}) };
  } finally {
    await pages.return(undefined);
  }
}

/**
 * The first position the chain holds and the log does not, after `after` (exclusive;
 * undefined: from the start) and before `before` (exclusive).
 */
async function firstUnloggedChained(chainDb: Queryable, after: bigint | undefined, before: bigint): Promise<string | undefined> {
  const { rows } = await chainDb.query<[string]>({
    text: `select c.position from pl_audit_chain c
            where c.position > $1 and c.position < $2
              and not exists (select 1 from pl_events e where e.position = c.position)
            order by c.position limit 1`,
    values: [(after ?? -1n).toString(), before.toString()],
    rowMode: 'array',
  });
  return rows[0]?.[0];
}
