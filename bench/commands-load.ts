/**
 * The HTTP load of `npm run bench -- commands`: autocannon against the running service, one
 * timed repetition per call, summarised as a RepResult (lib/stats.ts) so the shared median
 * and formatting helpers apply.
 */
import autocannon from 'autocannon';
import { cpuSnapshot, type CpuSnapshot, foreignCpuPct } from './lib/cpu';
import { percentile, type RepResult } from './lib/stats';
import { cpuSplit, type LoopTime, loopUtilization } from './commands-service';

export interface LoadSpec {
  /** Full URL of the route. */
  url: string;
  connections: number;
  durationS: number;
  headers: Record<string, string>;
  /** A fixed body; or `nextBody` for one per request. */
  body?: string;
  nextBody?: () => string;
  /** What one 2xx response counts for (requests: 1; engagement: snapshots per batch). */
  itemsPerRequest: number;
  /** The service's child process: its CPU is reported on its own and is not foreign load. */
  servicePid: number | undefined;
  /** The service's event-loop time (commands-probe.ts), read before and after the run. */
  loopTime?: () => Promise<LoopTime | undefined>;
}

/** Notes a load repetition carries (medians per figure in the summary). */
export type LoadNotes = {
  requestsPerSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  loadgenPct: number;
  servicePct: number;
  postgresPct: number;
  /** Share of the run the service's event loop was busy, % (in-process: the shared loop). */
  serviceLoopPct: number;
};

export interface LoadRep extends RepResult {
  notes: LoadNotes;
  /** Count per HTTP status, for diagnosing non-2xx. */
  statuses: Record<string, number>;
}

function withoutPid(snapshot: CpuSnapshot | undefined, pid: number | undefined): CpuSnapshot | undefined {
  if (!snapshot || pid === undefined) return snapshot;
  const foreign = new Map([...snapshot.foreign].filter(([key]) => !key.startsWith(`${pid}@`)));
  return { ...snapshot, foreign };
}

/**
 * One timed autocannon run. Latency is per 2xx response as autocannon's client saw it
 * (request written → response complete), in ms with sub-millisecond resolution (the
 * `response` event; autocannon's own histogram rounds to whole ms).
 */
export async function runLoad(spec: LoadSpec): Promise<LoadRep> {
  const latenciesMs: number[] = [];
  const loopBefore = await spec.loopTime?.();
  const before = withoutPid(cpuSnapshot(), spec.servicePid);
  const endSplit = cpuSplit(spec.servicePid);
  const nextBody = spec.nextBody;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: 'POST',
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationS,
        timeout: 30,
        headers: { 'content-type': 'application/json', ...spec.headers },
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(nextBody ? { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: nextBody() }) }] } : {}),
      },
      (error: unknown, res: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime);
    });
  });
  const split = endSplit();
  const after = withoutPid(cpuSnapshot(), spec.servicePid);
  const loopAfter = await spec.loopTime?.();
  const ok = result['2xx'];
  const seconds = result.duration;
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]));
  return {
    ops: ok,
    events: ok * spec.itemsPerRequest,
    seconds,
    eventsPerSecond: (ok * spec.itemsPerRequest) / seconds,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    foreignCpuPct: foreignCpuPct(before, after),
    notes: {
      requestsPerSecond: ok / seconds,
      ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      ...split,
      serviceLoopPct: 100 * loopUtilization(loopBefore, loopAfter),
    },
    statuses,
  };
}

// --- engagement batches -------------------------------------------------------------------------

export const SNAPSHOTS_PER_BATCH = 1000;
export const POSTS_PER_BATCH = 100;
const PER_POST = SNAPSHOTS_PER_BATCH / POSTS_PER_BATCH;

/**
 * Engagement batches, each of 1000 snapshots: 10 for each of 100 posts. Consecutive batches
 * go to different groups of 100 posts (round robin over `groups`), so batches in flight at the
 * same time do not touch the same engagement streams; and every snapshot's `capturedAt` is
 * later than all earlier batches' for its post (1 ms apart, starting a week ago), so each
 * records new snapshots that are counted, not duplicates.
 */
export class EngagementBatches {
  private seq = 0;
  private readonly baseMs = Date.now() - 7 * 86_400_000;
  private readonly prefixes: string[][];

  constructor(readonly groups: readonly (readonly string[])[]) {
    if (groups.some((g) => g.length !== POSTS_PER_BATCH)) throw new Error(`every group needs ${POSTS_PER_BATCH} posts`);
    this.prefixes = groups.map((g) => g.map((postId) => `{"postId":"${postId}","capturedAt":"`));
  }

  /** Batches built so far. */
  get built(): number {
    return this.seq;
  }

  next(): string {
    const seq = this.seq++;
    const prefixes = this.prefixes[seq % this.prefixes.length]!;
    const parts: string[] = [];
    for (let j = 0; j < PER_POST; j++) {
      const tick = seq * PER_POST + j;
      const at = new Date(this.baseMs + tick).toISOString();
      const v = tick + 1;
      const metrics = `{"impressions":${v * 40},"reach":${v * 30},"likes":${v * 3},"comments":${v},"shares":${v >> 1},"saves":${v >> 2},"clicks":${v * 2},"views":${v * 20}}`;
      for (const prefix of prefixes) parts.push(`${prefix}${at}","metrics":${metrics}}`);
    }
    return `{"snapshots":[${parts.join(',')}]}`;
  }
}
