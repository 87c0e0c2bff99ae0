import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * How much of the machine other programs used while a repetition ran ("foreign" CPU).
 *
 * These machines have 2 cores shared by the benchmark, PostgreSQL and whatever else runs
 * (a test suite, a type-check): a burst of foreign work during one contender's repetition
 * skews the ratios. Foreign = CPU time of user-space processes that are not ours, plus steal
 * (time the hypervisor gave to another guest), in % of wall time × cores. Ours: the
 * benchmark's node processes (their command line mentions bench/run.ts or bench/peers/),
 * PostgreSQL's background processes, and backends connected to a `bench_*` database.
 * Kernel threads are left out (loopback networking and fsync work for the benchmark run there).
 *
 * Foreign processes are summed one by one rather than subtracting ours from /proc/stat's
 * totals: those are sampled per tick while per-process times are exact, and the two disagree
 * badly when dozens of backends run in short bursts. The cost: a foreign process that both
 * started before the interval and exited inside it is missed. Linux only (/proc); elsewhere
 * it reports NaN and nothing is retried.
 */
export interface CpuSnapshot {
  atNs: bigint;
  stealTicks: number;
  /** CPU ticks of each foreign process, keyed by pid and start time (pids get reused). */
  foreign: Map<string, number>;
}

const PF_KTHREAD = 0x00200000;
/** USER_HZ: the unit of /proc tick counters; 100 on every mainstream Linux. */
const TICKS_PER_SECOND = 100;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function isOwn(comm: string, cmdline: string): boolean {
  if (cmdline.includes('bench/run.ts') || cmdline.includes('bench/peers/')) return true;
  if (comm !== 'postgres') return false;
  if (/ bench_[a-z0-9_]+ /.test(cmdline)) return true;
  // a client backend's title carries its peer, "host(port)" or "[local]"; background processes have none
  return !/\(\d+\)|\[local\]/.test(cmdline);
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  const line = readText('/proc/stat')?.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return undefined;
  const stealTicks = Number(line.trim().split(/\s+/)[8] ?? 0);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const foreign = new Map<string, number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    // fields[0] is field 3 (state): flags is field 9, utime 14, stime 15, starttime 22
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[6]) & PF_KTHREAD) continue;
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(ticks)) continue;
    const cmdline = (readText(`/proc/${entry}/cmdline`) ?? '').replaceAll('\0', ' ');
    if (isOwn(comm, cmdline)) continue;
    foreign.set(`${entry}@${fields[19]}`, ticks);
  }
  return { atNs: process.hrtime.bigint(), stealTicks, foreign };
}

/** Foreign CPU between two snapshots, in % of the whole machine (all cores). */
export function foreignCpuPct(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined): number {
  if (!before || !after) return Number.NaN;
  const wallSeconds = Number(after.atNs - before.atNs) / 1e9;
  if (wallSeconds <= 0) return Number.NaN;
  let ticks = Math.max(0, after.stealTicks - before.stealTicks);
  for (const [key, value] of after.foreign) ticks += value - (before.foreign.get(key) ?? 0);
  return Math.max(0, (100 * ticks) / TICKS_PER_SECOND / (wallSeconds * availableParallelism()));
}

/** Foreign CPU over the next `windowMs`, in % of the machine (NaN where /proc is missing). */
export async function sampleForeignCpu(windowMs: number): Promise<number> {
  const before = cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return foreignCpuPct(before, cpuSnapshot());
}

/**
 * Waits until other programs use at most `maxPct` of the machine over a one-second window,
 * for at most `maxWaitMs`. Returns the time waited and the last sample.
 */
export async function waitForQuiet(maxPct: number, maxWaitMs: number): Promise<{ waitedMs: number; lastPct: number }> {
  const start = Date.now();
  let lastPct = Number.NaN;
  while (Date.now() - start < maxWaitMs) {
    lastPct = await sampleForeignCpu(1000);
    if (!(lastPct > maxPct)) break;
  }
  return { waitedMs: Date.now() - start, lastPct };
}
