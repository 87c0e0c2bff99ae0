/**
 * `npm run bench -- commands`: the write side over HTTP, with autocannon against a running
 * service on real PostgreSQL.
 *
 * - create-post: POST /v1/workspaces/{ws}/posts as the signed-in owner (Bearer), a new post
 *   stream per request, at concurrency 16; next to it, in the same run and at the same
 *   concurrency, the event store's own rate of one-event appends to new streams
 *   (PostgresEventStore in this process, bench/contenders/postledger.ts).
 * - engagement: POST /v1/workspaces/{ws}/engagement with an `engagement:write` API key, batches
 *   of 1000 snapshots (10 for each of 100 posts), at each concurrency of
 *   BENCH_ENGAGEMENT_CONCURRENCY; the best is the figure.
 *
 * The service runs in a child process (`node --require tsx/cjs src/main.ts`): the load generator
 * and the server do not share an event loop. It is measured again in this process
 * (`startService`) for comparison, unless BENCH_IN_PROCESS=0.
 *
 * Environment: BENCH_DATABASE_URL (else DATABASE_URL, else the local server), BENCH_REPS
 * (default 3), BENCH_DURATION_S (seconds per timed run, default 10), BENCH_ENGAGEMENT_CONCURRENCY
 * (default 2,4,8), BENCH_IN_PROCESS=0 to skip the in-process comparison, BENCH_ONLY=create-post or
 * engagement (implies BENCH_NO_RESULTS), BENCH_NO_RESULTS=1 to leave bench/RESULTS.md alone,
 * BENCH_CPU_PROF=1 to profile the child's CPU during the timed runs of each workload and print
 * where it went (commands-profiler.ts; implies BENCH_NO_RESULTS and BENCH_IN_PROCESS=0: profiling
 * slows the service down, so these are not figures),
 * BENCH_FOREIGN_CPU_MAX (default 10: a run during which other programs used more than this % of
 * the machine is run again, once), BENCH_WAIT_OTHERS_S (default 420: how long to wait for another
 * benchmark that is running on this machine to finish), BENCH_CODE_REV (the commit measured, printed
 * with the results when the tree is not a git checkout).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { runPostledgerTask } from './contenders/postledger';
import { waitForQuiet } from './lib/cpu';
import { adminQuery, benchDatabaseUrl, redactUrl, ScratchDatabases, serverInfo } from './lib/db';
import { markdownTable, today, upsertSection } from './lib/results';
import { formatMs, formatRate, median, type RepResult, runConcurrent, summarize, type Summary } from './lib/stats';
import { EngagementBatches, type LoadRep, POSTS_PER_BATCH, runLoad, SNAPSHOTS_PER_BATCH } from './commands-load';
import { summarizeProfiles } from './commands-profile';
import {
  countersPer,
  createPost,
  type Fixture,
  freePort,
  pgCounters,
  postContent,
  type RunningService,
  serviceEnv,
  setUpWorkspace,
  startServiceInProcess,
  startServiceProcess,
} from './commands-service';
import { envNumber, log } from './lib/env';

const BENCH_DIR = __dirname;
const REPO_ROOT = resolve(BENCH_DIR, '..');
const RESULTS_FILE = join(BENCH_DIR, 'RESULTS.md');

const CREATE_POST_CONCURRENCY = 16;
/** The service's pool (src/platform/database.ts) has 16 connections: the store reference gets as many. */
const STORE_POOL = 16;
const STORE_APPENDS = 20_000;
const WARMUP_S = 3;
/** The HTTP floor is steady from the first second: shorter runs. */
const FLOOR_DURATION_S = 5;
/** Engagement batches go round robin over this many groups of 100 posts, so batches in flight never share a post. */
const ENGAGEMENT_GROUPS = 16;
/** Engagement runs' worth of posts drafted beforehand beyond the plan, for re-runs. */
const ENGAGEMENT_SPARE_RUNS = 3;

const TARGET_CREATE_POST_SHARE = 0.5;
const TARGET_CREATE_POST_P99_MS = 25;
const TARGET_SNAPSHOTS_PER_S = 30_000;

type Mode = 'child process' | 'in-process';
type Workload = 'store' | 'floor' | 'create-post' | 'engagement';

interface Row {
  workload: Workload;
  mode: Mode | 'store';
  concurrency: number;
  summary: Summary;
  /** Engagement: snapshots counted (not duplicates) / recorded; mean events per engagement stream at the end of a run. */
  counted?: number;
  streamLength?: number;
  /** Non-2xx responses and connection errors over all runs of the row. */
  failures?: number;
  /** What one 2xx request cost PostgreSQL (counters per request, over all timed runs of the workload). */
  pg?: Record<string, number>;
  statuses?: Record<string, number>;
}

/** An engagement run with what the log shows it recorded. */
type EngagementRep = LoadRep & { counted: number; streamLength: number };

function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) throw new Error(`${name} must be a comma-separated list of positive integers, not ${raw}`);
  return values;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- another benchmark on this machine ------------------------------------------------------------

/** This process and its ancestors (npm, tsx): their command lines name bench/run.ts too. */
function ownLineage(): Set<number> {
  const pids = new Set<number>([process.pid]);
  for (let pid = process.ppid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

/**
 * Other benchmark processes (`bench/run.ts`, `bench/peers/`) on this machine. lib/cpu.ts counts
 * them as the benchmark's own CPU, so the foreign-load check would not see them.
 */
function otherBenchmarks(): string[] {
  const lineage = ownLineage();
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || lineage.has(Number(entry))) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (/bench\/run\.ts|bench\/peers\//.test(cmdline)) found.push(`${entry}: ${cmdline.slice(0, 120)}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function waitForOtherBenchmarks(maxWaitMs: number): Promise<{ waitedMs: number; stillRunning: string[] }> {
  const start = Date.now();
  let others = otherBenchmarks();
  if (others.length > 0) log(`another benchmark is running; waiting up to ${Math.round(maxWaitMs / 1000)} s for it to finish:\n  ${others.join('\n  ')}`);
  while (others.length > 0 && Date.now() - start < maxWaitMs) {
    await sleep(2000);
    others = otherBenchmarks();
  }
  return { waitedMs: Date.now() - start, stillRunning: others };
}

// --- the benchmark --------------------------------------------------------------------------------

export async function runCommandsBenchmark(): Promise<void> {
  const reps = Math.round(envNumber('BENCH_REPS', 3));
  const durationS = envNumber('BENCH_DURATION_S', 10);
  const engagementConcurrencies = envList('BENCH_ENGAGEMENT_CONCURRENCY', [2, 4, 8]);
  const profiling = process.env.BENCH_CPU_PROF === '1';
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknownOnly = only.filter((w) => w !== 'create-post' && w !== 'engagement');
  if (unknownOnly.length > 0) throw new Error(`BENCH_ONLY: no workload ${unknownOnly.join(', ')} (known: create-post, engagement)`);
  const runs = (w: 'create-post' | 'engagement') => only.length === 0 || only.includes(w);
  const inProcess = process.env.BENCH_IN_PROCESS !== '0' && !profiling;
  const writeResults = process.env.BENCH_NO_RESULTS !== '1' && only.length === 0 && !profiling;
  const maxForeign = envNumber('BENCH_FOREIGN_CPU_MAX', 10);
  // as the eventstore benchmark: re-runs and waits for a quiet machine may add up to two minutes
  const RETRY_BUDGET_MS = 2 * 60_000;
  let retrySpentMs = 0;
  let reruns = 0;
  let worstKept = { pct: 0, where: '' };

  // taken now: the service loads the code as it is when the run starts
  const code = codeRevision();
  const baseUrl = benchDatabaseUrl();
  const info = await serverInfo(baseUrl);
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    pg: info.version,
    settings: Object.entries(info.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
  };
  log(`PostgreSQL ${machine.pg} at ${redactUrl(baseUrl)} (${machine.settings}); ${machine.nproc} cores; ${reps} repetition(s) of ${durationS} s`);

  const others = await waitForOtherBenchmarks(envNumber('BENCH_WAIT_OTHERS_S', 420) * 1000);
  if (others.stillRunning.length > 0) log('another benchmark is still running: going ahead, the figures will say so');
  const started = Date.now();
  const startQuiet = await waitForQuiet(maxForeign, 30_000);
  if (startQuiet.waitedMs > 1500) log(`waited ${(startQuiet.waitedMs / 1000).toFixed(0)} s for other programs to quieten (now ${startQuiet.lastPct.toFixed(0)}%)`);

  const databases = new ScratchDatabases(baseUrl);
  const tempDirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
  };
  const rows: Row[] = [];
  const profiles: { workload: string; file: string }[] = [];
  /** What makes the database counters less than exact. */
  const pgNotes: string[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted: finishing the current run, then cleaning up');
  };
  process.once('SIGINT', onSignal);

  /** Runs `run` (one timed repetition); once more when other programs loaded the machine, keeping the quieter. */
  async function measured<T extends RepResult>(label: string, run: () => Promise<T>, describe: (r: T) => string): Promise<T> {
    let kept: T | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const t0 = Date.now();
      const result = await run();
      if (attempt > 1) retrySpentMs += Date.now() - t0;
      log(`${label}: ${describe(result)}, foreign CPU ${Number.isFinite(result.foreignCpuPct) ? result.foreignCpuPct.toFixed(0) : 'n/a'}%`);
      if (!kept || result.foreignCpuPct < kept.foreignCpuPct) kept = result;
      if (!(result.foreignCpuPct > maxForeign) || attempt === 2 || interrupted) break;
      if (retrySpentMs > RETRY_BUDGET_MS) {
        log(`  other programs used ${result.foreignCpuPct.toFixed(0)}% of the machine, but the time for re-runs is used up: kept`);
        break;
      }
      reruns++;
      const quiet = await waitForQuiet(maxForeign, 15_000);
      retrySpentMs += quiet.waitedMs;
      log(`  other programs used ${result.foreignCpuPct.toFixed(0)}% of the machine (> ${maxForeign}%): waited ${(quiet.waitedMs / 1000).toFixed(0)} s, running it again`);
    }
    if (kept!.foreignCpuPct > worstKept.pct) worstKept = { pct: kept!.foreignCpuPct, where: label };
    return kept!;
  }

  const describeLoad = (r: LoadRep) =>
    `${formatRate(r.notes.requestsPerSecond)} req/s` +
    (r.events !== r.ops ? ` (${formatRate(r.eventsPerSecond)} snapshots/s)` : '') +
    `, p50 ${formatMs(r.p50Ms)} ms, p99 ${formatMs(r.p99Ms)} ms, non-2xx ${r.notes.non2xx}${r.notes.errors ? `, errors ${r.notes.errors}` : ''}` +
    `, CPU % of a core: loadgen ${r.notes.loadgenPct.toFixed(0)}` +
    (Number.isFinite(r.notes.servicePct) ? `, service ${r.notes.servicePct.toFixed(0)}` : '') +
    `, postgres ${r.notes.postgresPct.toFixed(0)}` +
    (Number.isFinite(r.notes.serviceLoopPct) ? `; service event loop busy ${r.notes.serviceLoopPct.toFixed(0)}%` : '');

  async function prepare(urls: string[]): Promise<void> {
    // planner statistics as autovacuum would keep them (these servers run with autovacuum off), then a checkpoint
    for (const url of urls) await adminQuery(url, 'vacuum (analyze)');
    await adminQuery(baseUrl, 'checkpoint').catch((error: unknown) => log(`CHECKPOINT skipped: ${String(error)}`));
  }

  /** Drafts `count` posts through the API (untimed), for engagement batches. */
  async function draftPosts(fixture: Fixture, count: number): Promise<string[]> {
    const ids: string[] = [];
    const t0 = Date.now();
    await runConcurrent(count, CREATE_POST_CONCURRENCY, async () => ids.push(await createPost(fixture)));
    log(`drafted ${formatRate(count)} posts for engagement batches in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return ids;
  }

  async function measureService(
    mode: Mode,
    service: RunningService,
    dbUrl: string,
    storeUrl: string | undefined,
    plan: { reps: number; engagementConcurrencies: number[]; profileDir?: string },
  ) {
    const profileDir = plan.profileDir;
    const fixture = await setUpWorkspace(service.baseUrl);
    const postsUrl = `${service.baseUrl}/v1/workspaces/${fixture.workspaceId}/posts`;
    const createPostBody = JSON.stringify({ accountId: fixture.accountId, content: postContent() });
    const createPostLoad = (durationS_: number) =>
      checked(service, {
        url: postsUrl,
        connections: CREATE_POST_CONCURRENCY,
        durationS: durationS_,
        headers: { authorization: fixture.bearer },
        body: createPostBody,
        itemsPerRequest: 1,
        servicePid: service.pid,
          loopTime: () => service.loopTime(),
      });

    const storeTask = (url: string) => ({ kind: 'append-new' as const, url, poolMax: STORE_POOL, concurrency: CREATE_POST_CONCURRENCY, count: STORE_APPENDS, warmup: 400 });
    if (runs('create-post') && !interrupted) {
      if (storeUrl) {
        // a fresh event log appends at a fraction of its usual rate for its first ten thousand or so events
        const warmStore = (await runPostledgerTask(storeTask(storeUrl))) as RepResult;
        log(`store warm-up ${formatRate(warmStore.eventsPerSecond)} appends/s (not counted)`);
      }
      const warm = await createPostLoad(WARMUP_S);
      log(`${mode}: create-post warm-up ${formatRate(warm.notes.requestsPerSecond)} req/s (not counted)`);
      // after the warm-ups, so the statistics describe tables that hold what the workload writes
      await prepare(storeUrl ? [dbUrl, storeUrl] : [dbUrl]);
      const postReps: LoadRep[] = [];
      const storeReps: RepResult[] = [];
      const pgBefore = await pgCounters(dbUrl);
      let okRequests = 0;
      if (profileDir) await service.startProfile?.();
      for (let rep = 0; rep < plan.reps && !interrupted; rep++) {
        // alternate who goes first, so drift (checkpoints, cache) does not favour either
        const order: ('store' | 'create-post')[] = storeUrl ? (rep % 2 === 0 ? ['store', 'create-post'] : ['create-post', 'store']) : ['create-post'];
        for (const which of order) {
          if (which === 'store') {
            storeReps.push(
              await measured(`store append c${CREATE_POST_CONCURRENCY} rep ${rep + 1}/${plan.reps}`, async () => (await runPostledgerTask(storeTask(storeUrl!))) as RepResult, (r) =>
                `${formatRate(r.eventsPerSecond)} appends/s, p50 ${formatMs(r.p50Ms)} ms, p99 ${formatMs(r.p99Ms)} ms`,
              ),
            );
          } else {
            const r = await measured(
              `${mode}: create-post c${CREATE_POST_CONCURRENCY} rep ${rep + 1}/${plan.reps}`,
              async () => {
                const result = await createPostLoad(durationS);
                okRequests += result.ops;
                return result;
              },
              describeLoad,
            );
            if (r.notes.non2xx > 0) log(`  statuses: ${JSON.stringify(r.statuses)}`);
            postReps.push(r);
            await sleep(500);
          }
        }
      }
      if (profileDir && service.stopProfile) {
        const file = join(profileDir, 'create-post.cpuprofile');
        await service.stopProfile(file);
        profiles.push({ workload: 'create-post', file });
      }
      await sleep(2000);
      const pg = countersPer(pgBefore, await pgCounters(dbUrl), okRequests);
      if (storeReps.length > 0) rows.push({ workload: 'store', mode: 'store', concurrency: CREATE_POST_CONCURRENCY, summary: summarize(storeReps) });
      if (postReps.length > 0) {
        rows.push({ workload: 'create-post', mode, concurrency: CREATE_POST_CONCURRENCY, summary: summarize(postReps), failures: failures(postReps), statuses: sumStatuses(postReps), pg });
      }
    }

    if (runs('engagement') && !interrupted) {
      const perRun = ENGAGEMENT_GROUPS * POSTS_PER_BATCH;
      // the posts create-post drafted; more are drafted through the API when they run out
      const ids = (await adminQuery<{ id: string }>(dbUrl, `select substr(stream_id, 6) as id from pl_events where type = 'PostDrafted' order by position`)).map((r) => r.id);
      // the warm-up, every run, and room for re-runs (a run is repeated when other programs loaded the machine)
      const planned = perRun * (1 + plan.reps * plan.engagementConcurrencies.length + ENGAGEMENT_SPARE_RUNS);
      if (ids.length < planned) ids.push(...(await draftPosts(fixture, planned - ids.length)));
      let nextPost = 0;
      let draftedDuringRuns = 0;
      const freshBatches = async () => {
        if (nextPost + perRun > ids.length) {
          // more re-runs than planned for: these drafts land in the database counters of the runs
          const more = await draftPosts(fixture, nextPost + perRun - ids.length);
          draftedDuringRuns += more.length;
          ids.push(...more);
        }
        const groups = Array.from({ length: ENGAGEMENT_GROUPS }, (_, g) => ids.slice(nextPost + g * POSTS_PER_BATCH, nextPost + (g + 1) * POSTS_PER_BATCH));
        nextPost += perRun;
        return new EngagementBatches(groups);
      };
      let lastPosition = '0';
      const recorded = async () => {
        const [row] = await adminQuery<{ total: number; counted: number; last: string | null }>(
          dbUrl,
          `select count(*)::int as total, count(*) filter (where (data->>'counted')::boolean)::int as counted, max(position)::text as last
             from pl_events where type = 'EngagementSnapshotRecorded' and position > $1`,
          [lastPosition],
        );
        lastPosition = row!.last ?? lastPosition;
        return row!;
      };
      const engagementLoad = (concurrency: number, seconds: number, batches: EngagementBatches) =>
        checked(service, {
          url: `${service.baseUrl}/v1/workspaces/${fixture.workspaceId}/engagement`,
          connections: concurrency,
          durationS: seconds,
          headers: { authorization: fixture.apiKey },
          nextBody: () => batches.next(),
          itemsPerRequest: SNAPSHOTS_PER_BATCH,
          servicePid: service.pid,
          loopTime: () => service.loopTime(),
        });

      const warm = await engagementLoad(4, WARMUP_S, await freshBatches());
      await sleep(1000);
      await recorded();
      log(`${mode}: engagement warm-up ${formatRate(warm.eventsPerSecond)} snapshots/s (not counted)`);
      await prepare([dbUrl]);
      const byConcurrency = new Map<number, EngagementRep[]>();
      const pgBefore = await pgCounters(dbUrl);
      let okRequests = 0;
      if (profileDir) await service.startProfile?.();
      for (let rep = 0; rep < plan.reps && !interrupted; rep++) {
        const order = plan.engagementConcurrencies.map((_, i) => plan.engagementConcurrencies[(i + rep) % plan.engagementConcurrencies.length]!);
        for (const c of order) {
          if (interrupted) break;
          const entry = byConcurrency.get(c) ?? [];
          byConcurrency.set(c, entry);
          const r = await measured(
            `${mode}: engagement c${c} rep ${rep + 1}/${plan.reps}`,
            async (): Promise<EngagementRep> => {
              const batches = await freshBatches();
              const result = await engagementLoad(c, durationS, batches);
              okRequests += result.ops;
              // requests still being handled when autocannon stopped finish before anything is counted
              await sleep(1000);
              const { total, counted } = await recorded();
              const streams = Math.min(batches.built, ENGAGEMENT_GROUPS) * POSTS_PER_BATCH;
              return { ...result, counted: total > 0 ? counted / total : Number.NaN, streamLength: total / streams };
            },
            (r) => `${describeLoad(r)}; ${(100 * r.counted).toFixed(1)}% counted, streams end at ${r.streamLength.toFixed(0)} events`,
          );
          if (r.notes.non2xx > 0) log(`  statuses: ${JSON.stringify(r.statuses)}`);
          entry.push(r);
        }
      }
      if (profileDir && service.stopProfile) {
        const file = join(profileDir, 'engagement.cpuprofile');
        await service.stopProfile(file);
        profiles.push({ workload: 'engagement', file });
      }
      await sleep(1000);
      const pg = countersPer(pgBefore, await pgCounters(dbUrl), okRequests);
      if (draftedDuringRuns > 0) pgNotes.push(`${mode} engagement: ${formatRate(draftedDuringRuns)} posts drafted between its runs are counted too`);
      for (const [c, runs_] of [...byConcurrency].sort((a, b) => a[0] - b[0])) {
        rows.push({
          workload: 'engagement',
          mode,
          concurrency: c,
          summary: summarize(runs_),
          counted: median(runs_.map((r) => r.counted)),
          streamLength: median(runs_.map((r) => r.streamLength)),
          failures: failures(runs_),
          statuses: sumStatuses(runs_),
          pg,
        });
      }
    }
  }

  let storeUrl: string | undefined;
  let bestEngagementC: number | undefined;
  try {
    if (runs('create-post')) {
      storeUrl = (await databases.create('cmd_store')).url;
      await runPostledgerTask({ kind: 'setup', url: storeUrl });
    }
    // the service in its own process: the figures
    {
      const db = await databases.create('cmd_child');
      const profileDir = profiling ? tempDir('postledger-bench-prof-') : undefined;
      const env = serviceEnv(db.url, await freePort(), tempDir('postledger-bench-'));
      const service = await startServiceProcess(REPO_ROOT, env);
      log(`child process: service pid ${service.pid} at ${service.baseUrl}${profileDir ? ` (CPU profiles of the timed runs to ${profileDir})` : ''}`);
      try {
        await measureService('child process', service, db.url, storeUrl, { reps, engagementConcurrencies, ...(profileDir ? { profileDir } : {}) });
      } finally {
        await service.stop();
      }
    }
    bestEngagementC = bestConcurrency(rows, 'child process');
    // the HTTP floor: what the same middleware stack does with a route that does no work
    if (runs('create-post') && !profiling && !interrupted) {
      const env = { ...process.env, PORT: String(await freePort()) };
      const floor = await startServiceProcess(REPO_ROOT, env, { script: 'bench/commands-floor.ts' });
      try {
        const load = (seconds: number) =>
          checked(floor, {
            url: `${floor.baseUrl}/v1/workspaces/${randomUUID()}/posts`,
            connections: CREATE_POST_CONCURRENCY,
            durationS: seconds,
            headers: {},
            body: JSON.stringify({ accountId: randomUUID(), content: postContent() }),
            itemsPerRequest: 1,
            servicePid: floor.pid,
            loopTime: () => floor.loopTime(),
          });
        await load(WARMUP_S);
        const floorReps: LoadRep[] = [];
        for (let rep = 0; rep < reps && !interrupted; rep++) {
          floorReps.push(await measured(`HTTP floor c${CREATE_POST_CONCURRENCY} rep ${rep + 1}/${reps}`, () => load(FLOOR_DURATION_S), describeLoad));
        }
        rows.push({ workload: 'floor', mode: 'child process', concurrency: CREATE_POST_CONCURRENCY, summary: summarize(floorReps), failures: failures(floorReps) });
      } finally {
        await floor.stop();
      }
    }
    // the same in this process, for comparison: one repetition each
    if (inProcess && !interrupted) {
      const db = await databases.create('cmd_inproc');
      const env = serviceEnv(db.url, await freePort(), tempDir('postledger-bench-'));
      const service = await startServiceInProcess(env);
      log(`in-process: service at ${service.baseUrl}`);
      try {
        await measureService('in-process', service, db.url, undefined, { reps: 1, engagementConcurrencies: bestEngagementC ? [bestEngagementC] : [] });
      } finally {
        await service.stop();
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    await databases.dropAll().catch((error: unknown) => log(`dropping the bench databases failed: ${String(error)}`));
    for (const dir of tempDirs) if (!profiling || !dir.includes('-prof-')) rmSync(dir, { recursive: true, force: true });
  }
  if (interrupted) {
    log('interrupted: no results written');
    process.exitCode = 130;
    return;
  }

  // --- report ---------------------------------------------------------------------------------
  const modeOrder: Row['mode'][] = ['store', 'child process', 'in-process'];
  const workloadOrder: Workload[] = ['store', 'floor', 'create-post', 'engagement'];
  rows.sort(
    (a, b) => modeOrder.indexOf(a.mode) - modeOrder.indexOf(b.mode) || workloadOrder.indexOf(a.workload) - workloadOrder.indexOf(b.workload) || a.concurrency - b.concurrency,
  );
  const find = (workload: Workload, mode: Row['mode'], concurrency?: number) =>
    rows.find((r) => r.workload === workload && r.mode === mode && (concurrency === undefined || r.concurrency === concurrency));
  const store = find('store', 'store');
  const createPostChild = find('create-post', 'child process');
  const engagementChild = bestEngagementC === undefined ? undefined : find('engagement', 'child process', bestEngagementC);
  const storeRate = store?.summary.eventsPerSecond ?? Number.NaN;

  const label = (row: Row): string => {
    if (row.workload === 'store') return `event store reference: PostgresEventStore, 1-event append to a new stream (in the bench process, pool ${STORE_POOL})`;
    if (row.workload === 'create-post') return 'create-post: POST …/posts, Bearer, new post stream each';
    if (row.workload === 'floor') return "HTTP floor: the service's middleware stack (createApp), a POST route that answers 201 at once, no auth, no database";
    return `engagement: POST …/engagement, ApiKey, ${formatRate(SNAPSHOTS_PER_BATCH)} snapshots / batch${row.mode === 'child process' && row.concurrency === bestEngagementC ? ' (best)' : ''}`;
  };
  const tableRows = rows.map((row) => {
    const s = row.summary;
    const notes = s.notes ?? {};
    const reqPerS = row.workload === 'store' ? s.eventsPerSecond : (notes.requestsPerSecond ?? Number.NaN);
    return [
      label(row),
      row.mode === 'store' ? '—' : row.mode,
      String(row.concurrency),
      formatRate(reqPerS),
      row.workload === 'engagement' ? formatRate(s.eventsPerSecond) : '—',
      formatMs(s.p50Ms),
      formatMs(s.p99Ms),
      row.workload === 'store' ? '—' : formatRate(nonOk(row)),
      (row.workload === 'create-post' || row.workload === 'floor') && Number.isFinite(storeRate) ? `${((100 * reqPerS) / storeRate).toFixed(0)}%` : '—',
    ];
  });
  const table = markdownTable(
    ['workload', 'service', 'concurrency', 'req/s (store: appends/s)', 'snapshots/s', 'p50 ms', 'p99 ms', 'non-2xx + errors', 'vs store'],
    tableRows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );

  const cpuRows = rows
    .filter((r) => r.workload !== 'store')
    .map((row) => {
      const n = row.summary.notes ?? {};
      const pct = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? `${v.toFixed(0)}%` : '—');
      const total = (n.loadgenPct ?? 0) + (Number.isFinite(n.servicePct) ? n.servicePct! : 0) + (n.postgresPct ?? 0);
      const reqPerS = n.requestsPerSecond ?? Number.NaN;
      // CPU ms per request: the service's own (child) or this process's (in-process, load generator included)
      const serviceMs = ((row.mode === 'in-process' ? n.loadgenPct : n.servicePct) ?? Number.NaN) * 10 / reqPerS;
      return [
        `${row.workload}, ${row.mode}, c${row.concurrency}`,
        pct(n.loadgenPct),
        pct(n.servicePct),
        pct(n.postgresPct),
        pct(n.serviceLoopPct),
        `${((100 * total) / (100 * machine.nproc)).toFixed(0)}%`,
        `${row.summary.foreignCpuPctMax.toFixed(0)}%`,
        formatMs(serviceMs),
        formatMs(((n.postgresPct ?? Number.NaN) * 10) / reqPerS),
      ];
    });
  const cpuTable = markdownTable(
    [
      'run',
      'load generator (this process)',
      'service (child)',
      'PostgreSQL (all)',
      "service's event loop busy",
      'sum, % of the machine',
      'foreign, max',
      'service CPU ms / request',
      'PostgreSQL CPU ms / request',
    ],
    cpuRows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );

  // what one request cost the database, per workload of the child-process service
  const pgRows = rows.filter((r, i) => r.pg && r.mode === 'child process' && rows.findIndex((o) => o.workload === r.workload && o.mode === r.mode) === i);
  const pgKeys = [...new Set(pgRows.flatMap((r) => Object.keys(r.pg!)))].filter((k) => pgRows.some((r) => Math.abs(r.pg![k] ?? 0) >= 0.05)).sort(pgKeyOrder);
  const pgTable = markdownTable(
    ['per 2xx request', ...pgRows.map((r) => (r.workload === 'engagement' ? `engagement (batch of ${formatRate(SNAPSHOTS_PER_BATCH)})` : r.workload))],
    pgKeys.map((k) => [k, ...pgRows.map((r) => formatCount(r.pg![k] ?? 0))]),
    ['l', ...pgRows.map(() => 'r' as const)],
  );

  const createRate = createPostChild?.summary.notes?.requestsPerSecond ?? Number.NaN;
  const createP99 = createPostChild?.summary.p99Ms ?? Number.NaN;
  const snapshotsRate = engagementChild?.summary.eventsPerSecond ?? Number.NaN;
  const targets = [
    {
      target: `create-post ≥ ${TARGET_CREATE_POST_SHARE * 100}% of the event store's one-event append rate at c${CREATE_POST_CONCURRENCY} (same run)`,
      measured: `${((100 * createRate) / storeRate).toFixed(0)}% (${formatRate(createRate)} req/s vs ${formatRate(storeRate)} appends/s)`,
      pass: createRate >= TARGET_CREATE_POST_SHARE * storeRate && (createPostChild ? nonOk(createPostChild) === 0 : false),
    },
    { target: `create-post p99 < ${TARGET_CREATE_POST_P99_MS} ms`, measured: `${formatMs(createP99)} ms`, pass: createP99 < TARGET_CREATE_POST_P99_MS },
    {
      target: `engagement ≥ ${formatRate(TARGET_SNAPSHOTS_PER_S)} snapshots/s`,
      measured: `${formatRate(snapshotsRate)} snapshots/s (c${bestEngagementC ?? '?'})`,
      pass: snapshotsRate >= TARGET_SNAPSHOTS_PER_S && (engagementChild ? nonOk(engagementChild) === 0 : false),
    },
  ];
  const targetTable = markdownTable(
    ['target (child-process service)', 'measured', 'result'],
    targets.map((t) => [t.target, t.measured, t.pass ? 'PASS' : 'MISS']),
  );

  const engagementRows = rows.filter((r) => r.workload === 'engagement');
  const countedLine = engagementRows
    .map((r) => `${r.mode} c${r.concurrency}: ${(100 * (r.counted ?? Number.NaN)).toFixed(1)}% counted, ${formatRate(r.streamLength ?? Number.NaN)} events per stream`)
    .join('; ');
  const childEngagement = engagementRows.filter((r) => r.mode === 'child process');
  let saturation = '';
  if (childEngagement.length > 1) {
    const rates = childEngagement.map((r) => r.summary.eventsPerSecond);
    const spread = (Math.max(...rates) - Math.min(...rates)) / Math.max(...rates);
    const loops = childEngagement.map((r) => r.summary.notes?.serviceLoopPct ?? Number.NaN);
    if (spread < 0.1) {
      saturation =
        ` Throughput differs by only ${(100 * spread).toFixed(0)}% between concurrency ${childEngagement[0]!.concurrency} and ${childEngagement.at(-1)!.concurrency} while latency grows with concurrency: the service is saturated from the lowest` +
        (loops.every(Number.isFinite) ? ` (its event loop busy ${loops.map((l) => `${l.toFixed(0)}%`).join(', ')}).` : '.');
    }
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const method = [
    `- Code: ${code}.`,
    `- Machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.pg} (${machine.settings}) on the same machine; load generator, service and PostgreSQL share the cores.`,
    `- The service (\`src/main.ts\`, event store \`postgres\`, no Redis: in-memory rate limits at RATE_LIMIT_API=10,000,000 — the largest config.ts accepts — and RATE_LIMIT_CREDENTIALS=100,000; LOG_LEVEL=silent; its projectors and process managers running) runs in a child process, \`node --require tsx/cjs src/main.ts\`, on a fresh database; its PostgreSQL pool has 16 connections. The in-process rows run \`startService\` inside the load generator's process, on another fresh database, one repetition each, for comparison only; their service CPU and event loop are this process's, load generator included. The service's event-loop utilisation comes from \`performance.eventLoopUtilization()\` in the child, read over IPC before and after each run (bench/commands-probe.ts, preloaded; it does nothing else unless asked to profile).`,
    `- Set-up through the API: register a user, create a workspace, connect an account, create an API key with scope engagement:write.`,
    `- Load: autocannon ${autocannonVersion()}, one connection per concurrent request, no pipelining, ${durationS} s per timed run after a ${WARMUP_S} s warm-up per workload; ${reps} runs per figure, each figure the median of the runs on its own. Latency: per 2xx response, request written to response complete, from autocannon's \`response\` event (sub-millisecond resolution); p50/p99 per run, median of runs.`,
    `- create-post: \`{accountId, content}\` with ${postContent().length} characters of content, the owner's Bearer token; each request loads the user, the session, the workspace and the account, then appends \`PostDrafted\` to a new stream.`,
    `- HTTP floor (bench/commands-floor.ts, child process): the service's \`createApp\` — request context and metrics, security headers, CORS, JSON body parsing, problem+json — with a POST route on the create-post path that answers 201 with the body at once: no authentication, rate limit, validation or database. The same body and concurrency as create-post, ${FLOOR_DURATION_S} s per run. No route of this stack can go faster on this machine.`,
    `- Event store reference, same run, alternating with create-post: PostgresEventStore appending one \`PostDrafted\` to a new stream, ${formatRate(STORE_APPENDS)} appends at concurrency ${CREATE_POST_CONCURRENCY} on a pool of ${STORE_POOL} (bench/contenders/postledger.ts, as in \`npm run bench -- eventstore\`), in its own fresh database.`,
    `- engagement: batches of ${formatRate(SNAPSHOTS_PER_BATCH)} snapshots, ${SNAPSHOTS_PER_BATCH / POSTS_PER_BATCH} for each of ${POSTS_PER_BATCH} posts, all 8 metrics; consecutive batches go round robin to ${ENGAGEMENT_GROUPS} groups of ${POSTS_PER_BATCH} posts (no two batches in flight share a post) with \`capturedAt\` later than every earlier snapshot of the post, so every snapshot is new and counted. Each run uses posts no earlier run touched (drafted by create-post), so engagement streams start empty each run. Concurrency ${engagementConcurrencies.join(', ')} in turn (order rotated per repetition); the best median is the figure. Checked after each run in the log: ${countedLine}.${saturation}`,
    `- After each workload's warm-up: VACUUM ANALYZE of the databases written (these servers run with autovacuum off; statistics taken on a near-empty log make the projectors' filtered reads scan the whole log) and a CHECKPOINT. A run during which other programs used more than ${maxForeign}% of the machine (lib/cpu.ts; the service child's own CPU excluded) was run again once, keeping the quieter: ${reruns} re-run${reruns === 1 ? '' : 's'}; the busiest run kept had ${worstKept.pct.toFixed(0)}% foreign CPU${worstKept.where ? ` (${worstKept.where})` : ''}.${others.waitedMs > 2000 ? ` Waited ${Math.round(others.waitedMs / 1000)} s for another benchmark on this machine to finish first.` : ''}${others.stillRunning.length > 0 ? ' **Another benchmark was still running on this machine: these figures are not reliable.**' : ''} Whole run: ${minutes} min.`,
  ].join('\n');

  const body = [
    table,
    '',
    '### Targets',
    '',
    targetTable,
    '',
    '### Where the CPU went (medians of the runs; % of one core)',
    '',
    cpuTable,
    '',
    '### What one request costs PostgreSQL (child process; pg_stat_database and pg_stat_user_tables over all timed runs ÷ 2xx responses; approximate)',
    '',
    pgTable,
    ...(pgNotes.length > 0 ? ['', `Not exact: ${pgNotes.join('; ')}.`] : []),
    '',
    '### How it was measured',
    '',
    method,
  ].join('\n');

  console.log(`\n## commands, ${today()}\n`);
  console.log(body);
  console.log('');
  for (const { workload, file } of profiles) {
    const report = summarizeProfiles([file], REPO_ROOT);
    console.log(`### CPU profile of the service child during the timed ${workload} runs (not a figure: profiling slows it down)\n`);
    console.log(`${file}: ${report.text}`);
    console.log('');
  }
  if (writeResults) {
    upsertSection(RESULTS_FILE, 'commands', today(), body);
    log(`results written to ${RESULTS_FILE}`);
  }
  console.log(`commands: create-post ${Math.round(createRate)} req/s p99 ${formatMs(createP99)} ms; engagement ${Math.round(snapshotsRate)} snapshots/s`);
}

/** One load run; fails when the service died during it rather than reporting its connection errors as figures. */
async function checked(service: RunningService, spec: Parameters<typeof runLoad>[0]): Promise<LoadRep> {
  service.assertAlive();
  const result = await runLoad(spec);
  service.assertAlive();
  return result;
}

function formatCount(value: number): string {
  return value >= 100 ? formatRate(value) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Database-wide counters first, then index and sequential scans by table. */
function pgKeyOrder(a: string, b: string): number {
  const rank = (k: string) => (k.startsWith('index scans') ? 1 : k.startsWith('seq scans') ? 2 : 0);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function nonOk(row: Row): number {
  return row.failures ?? 0;
}

function failures(reps: readonly LoadRep[]): number {
  return reps.reduce((sum, r) => sum + r.notes.non2xx + r.notes.errors, 0);
}

function sumStatuses(reps: readonly LoadRep[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const r of reps) for (const [code, count] of Object.entries(r.statuses)) total[code] = (total[code] ?? 0) + count;
  return total;
}

function bestConcurrency(rows: readonly Row[], mode: Mode): number | undefined {
  const candidates = rows.filter((r) => r.workload === 'engagement' && r.mode === mode);
  if (candidates.length === 0) return undefined;
  return candidates.reduce((best, r) => (r.summary.eventsPerSecond > best.summary.eventsPerSecond ? r : best)).concurrency;
}

/** The commit measured, and whether src/ differed from it; BENCH_CODE_REV where there is no git checkout. */
function codeRevision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const rev = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src').length > 0 ? `commit ${rev} with uncommitted changes in src/` : `commit ${rev}`;
  } catch {
    return process.env.BENCH_CODE_REV ?? 'unknown (not a git checkout)';
  }
}

function autocannonVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}
