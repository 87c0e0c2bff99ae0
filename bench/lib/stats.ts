/** Timing and summary helpers shared by every benchmark (and by peer child processes). */
import { cpuSnapshot, foreignCpuPct } from './cpu';

/** One timed repetition: how many events moved, how long it took, per-operation latencies. */
export interface RepResult {
  /** Operations timed (appends, batch appends, reads, pages). */
  ops: number;
  /** Events written or read. */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU used by other programs during the timed part, % of the machine (see cpu.ts). */
  foreignCpuPct: number;
  /** Free-form diagnostics (e.g. statements per batch); not part of the table. */
  notes?: Record<string, number>;
}

/** Median of the repetitions, each figure on its own. */
export interface Summary {
  reps: number;
  events: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The highest foreign CPU of the repetitions kept. */
  foreignCpuPctMax: number;
  notes?: Record<string, number>;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function msSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e6;
}

/** Nearest-rank percentile (q in 0..1) of an unsorted sample; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Timed {
  elapsedMs: number;
  latenciesMs: number[];
  foreignCpuPct: number;
}

export function toRep(timed: Timed, ops: number, events: number, notes?: Record<string, number>): RepResult {
  const seconds = timed.elapsedMs / 1000;
  return {
    ops,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    p50Ms: percentile(timed.latenciesMs, 0.5),
    p99Ms: percentile(timed.latenciesMs, 0.99),
    foreignCpuPct: timed.foreignCpuPct,
    ...(notes ? { notes } : {}),
  };
}

/**
 * Times `body`, which reports each operation's latency through `lap`. The CPU snapshots for
 * the foreign-load check are taken just outside the timed window.
 */
export async function timed(body: (lap: (startNs: bigint) => void) => Promise<void>): Promise<Timed> {
  const latenciesMs: number[] = [];
  const lap = (startNs: bigint) => {
    latenciesMs.push(Number(process.hrtime.bigint() - startNs) / 1e6);
  };
  const before = cpuSnapshot();
  const start = nowNs();
  await body(lap);
  const elapsedMs = msSince(start);
  return { elapsedMs, latenciesMs, foreignCpuPct: foreignCpuPct(before, cpuSnapshot()) };
}

export function summarize(reps: readonly RepResult[]): Summary {
  const noteKeys = [...new Set(reps.flatMap((r) => Object.keys(r.notes ?? {})))];
  const notes = Object.fromEntries(noteKeys.map((k) => [k, median(reps.map((r) => r.notes?.[k] ?? Number.NaN))]));
  return {
    reps: reps.length,
    events: median(reps.map((r) => r.events)),
    eventsPerSecond: median(reps.map((r) => r.eventsPerSecond)),
    p50Ms: median(reps.map((r) => r.p50Ms)),
    p99Ms: median(reps.map((r) => r.p99Ms)),
    foreignCpuPctMax: Math.max(...reps.map((r) => (Number.isFinite(r.foreignCpuPct) ? r.foreignCpuPct : 0))),
    ...(noteKeys.length > 0 ? { notes } : {}),
  };
}

/**
 * Runs `total` operations with `concurrency` of them in flight at any time and times each one.
 * `op(i)` gets a 0-based sequence number. Latency covers the whole call, queueing included.
 */
export function runConcurrent(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Timed> {
  return timed(async (lap) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = process.hrtime.bigint();
        await op(i);
        lap(t0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  });
}

/** Times a sequential loop of `total` operations. */
export function runSequential(total: number, op: (i: number) => Promise<unknown>): Promise<Timed> {
  return runConcurrent(total, 1, op);
}

export function formatRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? Math.round(perSecond).toLocaleString('en-US') : 'n/a';
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** Truncated, not rounded: a ratio shown equal to its target (6.00x) has met it. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  const digits = ratio >= 10 ? 1 : 2;
  const factor = 10 ** digits;
  return `${(Math.floor(ratio * factor + 1e-9) / factor).toFixed(digits)}x`;
}
