import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Pool, PoolConfig } from 'pg';
import type { EventStore, Position } from '../eventstore/port';
import { PostgresEventStore } from '../eventstore/postgres/store';
import { postgresChainedLog, portLog, type CanonicalLog } from './canonical-log';
import { GENESIS_LINK, nextLink } from './chain';
import { logPages } from './pages';
import { verifyRange, type ChainRange, type Queryable, type VerifyResult } from './verify-range';
import type { VerifyWorkerData } from './verify-worker';

export type { VerifyResult } from './verify-range';

export interface VerifyOptions {
  /**
   * Called after each page with the events checked so far and the position reached; with
   * ranges verified at once, the position is the start plus what the ranges covered together.
   */
  onProgress?: (checked: number, position: Position) => void;
  pageSize?: number;
  /**
   * Ranges of the chain verified at once, each in a worker thread with a connection of its own
   * (PostgreSQL adapter only; any other adapter is read through the port in this thread).
   * Default: `defaultVerifyParallelism()`.
   */
  parallel?: number;
  /** Fewer positions than this per range are not worth a thread's start (default 50,000). */
  minRangePositions?: number;
  /** Old-generation heap limit of each worker thread, MiB (default 32): a range holds two pages at a time. */
  workerHeapMiB?: number;
}

/** As many ranges as cores, at most 4: verification is CPU-bound, and PostgreSQL needs a share. */
export function defaultVerifyParallelism(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Recomputes the chain from the log as stored and compares it link by link with
 * `pl_audit_chain`, up to the chain's head (events the chain projection has not reached yet
 * are not judged). The first position where they disagree is reported: an event whose content
 * changed, a chained event that is no longer in the log (removed), or an event in the log that
 * was never chained (inserted).
 *
 * The log is read through the EventStore port (any adapter), or, for the PostgreSQL adapter,
 * straight from `pl_events` as text with the chain's links beside it (`postgresChainedLog`, the
 * same encoding for less CPU, one query for both).
 * With `parallel` > 1 the chain is cut into ranges at stored links and each range is verified
 * in a worker thread: a range starts from the link stored where the one before it ends, and
 * the one before checks that link, so the ranges prove the whole chain together; the first
 * bad position is the least any range found, `checked` what the ranges before it checked.
 *
 * ```ts
 * const result = await verifyChain(rawStore, pool, { parallel: 2 }); // { ok: true, checked: 1042, head: { position: '1042', link: '9f…' } }
 * ```
 */
export async function verifyChain(log: EventStore, pool: Pool, options: VerifyOptions = {}): Promise<VerifyResult> {
  const bounds = await chainBounds(pool);
  if (bounds === undefined) return { ok: true, checked: 0 };
  const connection = log instanceof PostgresEventStore ? workerConnection(log.pool, pool) : undefined;
  const wanted = Math.min(options.parallel ?? defaultVerifyParallelism(), Math.floor(Number(bounds.last - bounds.first + 1n) / (options.minRangePositions ?? 50_000)));
  if (connection === undefined || wanted < 2) {
    // the log beside the chain in one query where both are in one database
    const reader = log instanceof PostgresEventStore && (log.pool === pool || connection !== undefined) ? postgresChainedLog(log.pool) : portLog(log);
    return verifyRange(reader as CanonicalLog, pool, { to: bounds.last, startLink: GENESIS_LINK }, options);
  }
  const ranges = await planRanges(pool, bounds, wanted);
  return verifyInWorkers(connection, ranges, bounds.first, options);
}

/** The first and last chained positions, if any. */
async function chainBounds(db: Queryable): Promise<{ first: bigint; last: bigint } | undefined> {
  const { rows } = await db.query<{ first: string | null; last: string | null }>('select min(position) as first, max(position) as last from pl_audit_chain');
  const { first, last } = rows[0]!;
  return first === null || last === null ? undefined : { first: BigInt(first), last: BigInt(last) };
}

/**
 * `count` ranges of about equal spans of positions, cut at chained positions: each range but
 * the first starts from the link stored at the end of the one before.
 */
export async function planRanges(db: Queryable, bounds: { first: bigint; last: bigint }, count: number): Promise<ChainRange[]> {
  const ranges: ChainRange[] = [];
  let after: bigint | undefined;
  let startLink = GENESIS_LINK;
  const span = bounds.last - bounds.first;
  for (let k = 1; k < count; k++) {
    const target = bounds.first + (span * BigInt(k)) / BigInt(count);
    const { rows } = await db.query<[string, string]>({
      text: 'select position, link from pl_audit_chain where position <= $1 order by position desc limit 1',
      values: [target.toString()],
      rowMode: 'array',
    });
    const [position, link] = rows[0]!;
    const cut = BigInt(position);
    if (after !== undefined && cut <= after) continue;
    ranges.push({ after, to: cut, startLink });
    after = cut;
    startLink = link;
  }
  if (after === undefined || after < bounds.last) ranges.push({ after, to: bounds.last, startLink });
  return ranges;
}

/**
 * The results of consecutive ranges as one: the first range that failed decides (its bad
 * position is the least, since ranges are ordered and a range reports only positions within
 * it), `checked` counts the ranges before it and what it checked itself.
 */
export function mergeRangeResults(results: readonly VerifyResult[]): VerifyResult {
  let checked = 0;
  let head: VerifyResult['head'];
  for (const result of results) {
    checked += result.checked;
    head = result.head ?? head;
    if (!result.ok) return { ok: false, checked, firstBadPosition: result.firstBadPosition!, ...(head ? { head } : {}) };
  }
  return { ok: true, checked, ...(head ? { head } : {}) };
}

/** Connection settings a worker can rebuild the pool from, when the log and the chain share one database (else undefined). */
function workerConnection(logPool: Pool, chainPool: Pool): PoolConfig | undefined {
  const settings = (pool: Pool) => (pool as Pool & { options: PoolConfig }).options;
  const picked: Record<string, unknown> = {};
  for (const key of ['connectionString', 'host', 'port', 'user', 'password', 'database', 'options', 'ssl'] as const) {
    const value = settings(logPool)[key];
    // both ways: a setting only the chain's pool has may name another database
    if (JSON.stringify(value) !== JSON.stringify(settings(chainPool)[key])) return undefined;
    if (value === undefined) continue;
    // a function (a password callback) or a class instance does not cross to another thread
    if (typeof value === 'function' || (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) !== Object.prototype)) return undefined;
    picked[key] = value;
  }
  return picked as PoolConfig;
}

const WORKER_FILE = path.join(__dirname, `verify-worker${path.extname(__filename)}`);
/** Where tsx's loader is, resolved from here: an eval'd worker would resolve from the working directory. */
const TSX_REGISTER = WORKER_FILE.endsWith('.ts') ? require.resolve('tsx/cjs/api') : undefined;

function startWorker(data: VerifyWorkerData, heapMiB: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: heapMiB, maxYoungGenerationSizeMb: 8 };
  // run from the TypeScript sources (tsx, jest), the worker compiles them as the CLI does
  return TSX_REGISTER !== undefined
    ? new Worker(`require(${JSON.stringify(TSX_REGISTER)}).register(); require(${JSON.stringify(WORKER_FILE)});`, { eval: true, workerData: data, resourceLimits })
    : new Worker(WORKER_FILE, { workerData: data, resourceLimits });
}

async function verifyInWorkers(connection: PoolConfig, ranges: readonly ChainRange[], first: bigint, options: VerifyOptions): Promise<VerifyResult> {
  const checked = ranges.map(() => 0);
  const covered = ranges.map(() => 0n);
  const workers: Worker[] = [];
  /** Ranges stopped because one before them failed: what they would find does not matter. */
  const moot = new Set<number>();
  const verifyIn = (range: ChainRange, r: number) =>
    new Promise<VerifyResult | undefined>((resolve, reject) => {
      const worker = startWorker(
        { connection, ...(range.after === undefined ? {} : { after: range.after.toString() }), to: range.to.toString(), startLink: range.startLink, pageSize: options.pageSize ?? 1000 },
        options.workerHeapMiB ?? 32,
      );
      workers[r] = worker;
      let result: VerifyResult | undefined;
      worker.on('message', (message: { kind: 'progress'; checked: number; position: string } | { kind: 'result'; result: VerifyResult }) => {
        if (message.kind === 'result') {
          result = message.result;
          if (!result.ok) {
            for (let later = r + 1; later < ranges.length; later++) {
              moot.add(later);
              void workers[later]?.terminate();
            }
          }
          return;
        }
        checked[r] = message.checked;
        covered[r] = BigInt(message.position) - (range.after ?? first - 1n);
        options.onProgress?.(
          checked.reduce((a, b) => a + b, 0),
          covered.reduce((a, b) => a + b, first - 1n),
        );
      });
      worker.once('error', (error) => (moot.has(r) ? resolve(undefined) : reject(error)));
      worker.once('exit', (code) => {
        if (result) resolve(result);
        else if (moot.has(r)) resolve(undefined);
        else reject(new Error(`the verification of positions after ${range.after ?? 'the start'} up to ${range.to} stopped (exit ${code})`));
      });
    });
  try {
    const results = await Promise.all(ranges.map(verifyIn));
    // a moot range comes after a failed one, where merging stops
    return mergeRangeResults(results.filter((result): result is VerifyResult => result !== undefined));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
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
