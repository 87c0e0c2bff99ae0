/**
 * `npm run bench -- projections`: the read side.
 *
 * 1. Rebuild rate: a mixed log of ≥ 200k events (users, workspace, accounts, posts through
 *    their lifecycle, comments, engagement) rebuilt by `rebuildProjections` — every projection
 *    from one read of the log, as `postledger projections rebuild all` does — several runs;
 *    both rates printed: log events read per second, and events applied per second summed
 *    over the projections.
 * 2. Queries: a workspace with 100k posts and 1M engagement snapshots (appended through the
 *    store, then projected by a rebuild), the post list and the analytics overview through
 *    HTTP, p50/p99 uncached (a new `to` each request) and cached (the same request again).
 * 3. Lag: live projectors under a steady load of 1,000 events/s (post drafts, comments,
 *    snapshot batches); the time from an append's return to the read models having passed its
 *    position (what `X-Min-Position` waits for).
 *
 * Prints tables, records them in bench/RESULTS.md ("Projections"), and ends with
 * `projections: rebuild <x> ev/s; lag p99 <y> ms; overview p99 <z> ms uncached`.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { authMigrations } from '../src/auth/migrations';
import { idempotencyMigrations } from '../src/commands/idempotency';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import type { EventStore, NewEvent, Position } from '../src/eventstore/port';
import { personKeyMigrations, type PersonKeys, sealPersonalData } from '../src/personal-data';
import { buildApi } from '../src/http/api';
import { createApp } from '../src/http/app';
import { serverFor } from '../src/http/server';
import { createLogger } from '../src/platform/logger';
import { createMetrics } from '../src/platform/metrics';
import { migrate } from '../src/platform/migrations';
import { projectionMigrations, projections } from '../src/projections';
import { Projector } from '../src/projections/projector';
import { rebuildProjections } from '../src/projections/rebuild';
import { readModelDb } from '../src/projections/read-models';
import { overview } from '../src/queries/analytics';
import { ReadYourWrites } from '../src/queries/read-your-writes';
import { benchDatabaseUrl, redactUrl, ScratchDatabases, serverInfo } from './lib/db';
import { appendMixedLog, type LogWorkspace } from './lib/mixed-log';
import { markdownTable, today, upsertSection } from './lib/results';
import { median, percentile } from './lib/stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const REBUILD_POSTS = Number(process.env.BENCH_REBUILD_POSTS ?? 11_200);
const QUERY_POSTS = Number(process.env.BENCH_QUERY_POSTS ?? 100_000);
const SNAPSHOTS_PER_POST = 10;
const LOAD_EVENTS_PER_SECOND = 1000;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const WARM_UP_SECONDS = 3;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
/** `BENCH_PHASES=queries,lag` runs only those (default: rebuild, queries, lag). */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'rebuild,queries,lag').split(','));

const logger = createLogger('silent');
const log = (message: string) => process.stderr.write(`[projections] ${message}\n`);

interface Setup {
  pool: Pool;
  /** The adapter: the generated events (no personal data) are appended here, and the audit chain reads it. */
  store: PostgresEventStore;
  /** Personal data sealed and opened, as the service reads the log. */
  sealed: EventStore;
  personKeys: PersonKeys;
  url: string;
}

async function open(url: string): Promise<Setup> {
  const pool = new Pool({ connectionString: url, max: 16 });
  const store = new PostgresEventStore({ connection: { connectionString: url }, pool, pollIntervalMs: 1000 });
  await store.migrate();
  await migrate(pool, [...authMigrations, ...idempotencyMigrations, ...projectionMigrations, ...personKeyMigrations]);
  const { store: sealed, personKeys } = await sealPersonalData(store, { pool, dataDir: path.join('.data', 'bench-keys'), keyCacheSize: 10_000, keyCacheTtlMs: 600_000 });
  return { pool, store, sealed, personKeys, url };
}

/** A user, a workspace and accounts through the API, so that requests can authenticate. */
async function apiWorkspace(base: string, accounts: number): Promise<LogWorkspace & { token: string }> {
  const call = async (method: string, route: string, body: unknown, token?: string) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const registered = await call('POST', '/v1/auth/register', { email: `bench-${randomUUID()}@example.com`, password: 'correct horse battery staple', displayName: 'Bench' });
  const token = registered.accessToken as string;
  const ownerId = (registered.user as { id: string }).id;
  const workspaceId = (await call('POST', '/v1/workspaces', { name: 'Bench' }, token)).id as string;
  const accountIds: string[] = [];
  for (let i = 0; i < accounts; i++) accountIds.push((await call('POST', `/v1/workspaces/${workspaceId}/accounts`, { platform: 'x', handle: `@bench${i}`, externalId: randomUUID() }, token)).id as string);
  return { workspaceId, ownerId, accountIds, token };
}

interface RebuildRun {
  /** Log events read (once each, whichever projections read them). */
  logEvents: number;
  /** Events applied, summed over the projections. */
  applied: number;
  /** The same as `applied`. */
  events: number;
  seconds: number;
  perProjection: { name: string; events: number; applySeconds: number; indexSeconds: number }[];
}

/** `rebuildProjections` of every projection (or those named): one read of the log, as `postledger projections rebuild all` does. */
async function rebuildAll(setup: Setup, names?: readonly string[]): Promise<RebuildRun> {
  const chosen = projections.filter((p) => !names || names.includes(p.name));
  const started = performance.now();
  const result = await rebuildProjections({ db: readModelDb(setup.pool), store: setup.sealed, rawStore: setup.store, projections: chosen, lockConnection: { connectionString: setup.url }, logger });
  const seconds = (performance.now() - started) / 1000;
  const perProjection = result.projections.map((r) => ({ name: r.projection, events: r.events, applySeconds: r.applySeconds, indexSeconds: r.indexSeconds }));
  return { logEvents: result.logEvents, applied: result.applied, events: result.applied, seconds, perProjection };
}

/** One keep-alive connection, as a browser or an API client keeps: fetch's own work (and garbage) would share this process with the API. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
}

async function timedRequests(base: string, token: string, route: (i: number) => string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const status = await get(`${base}${route(i)}`, token);
    if (status !== 200) throw new Error(`GET ${route(i)}: ${status}`);
    times.push(performance.now() - started);
  }
  return times;
}

/** Appends at `LOAD_EVENTS_PER_SECOND` for `LOAD_SECONDS`; each append's time to visible, in ms. */
async function lagUnderLoad(setup: Setup, ws: LogWorkspace, waiter: ReadYourWrites, seconds = LOAD_SECONDS): Promise<{ lags: number[]; byStream: Record<string, number[]>; events: number; seconds: number }> {
  const byStream: Record<string, number[]> = { post: [], comment: [], engagement: [] };
  const lags: number[] = [];
  const inFlight: Promise<void>[] = [];
  let events = 0;
  const tickMs = 10;
  // per 10 ms tick: one post draft (1 event), one comment (1), one batch of 8 snapshots: 10 events
  const perTick = LOAD_EVENTS_PER_SECOND / (1000 / tickMs);
  const started = performance.now();
  const measure = (streamId: string, batch: NewEvent[], reads: string[]) => {
    inFlight.push(
      (async () => {
        const { position } = await setup.store.appendToStream(streamId, batch);
        const appended = performance.now();
        await waiter.waitFor(reads, position as Position);
        lags.push(performance.now() - appended);
        byStream[streamId.slice(0, streamId.indexOf('-'))]!.push(lags.at(-1)!);
        events += batch.length;
      })(),
    );
  };
  for (let tick = 0; tick < (seconds * 1000) / tickMs; tick++) {
    const due = started + tick * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const postId = randomUUID();
    const accountId = ws.accountIds[tick % ws.accountIds.length]!;
    measure(`post-${postId}`, [{ id: randomUUID(), type: 'PostDrafted', schemaVersion: 2, data: { postId, workspaceId: ws.workspaceId, accountId, authorId: ws.ownerId, content: `Load ${tick}`, media: [], tags: ['load'] } }], ['posts', 'publications']);
    const commentId = randomUUID();
    measure(`comment-${commentId}`, [{ id: randomUUID(), type: 'CommentAdded', data: { commentId, postId, workspaceId: ws.workspaceId, authorId: ws.ownerId, body: `Load comment ${tick}` } }], ['comments']);
    const snapshots: NewEvent[] = Array.from({ length: perTick - 2 }, (_, k) => ({
      id: randomUUID(),
      type: 'EngagementSnapshotRecorded',
      data: {
        postId,
        workspaceId: ws.workspaceId,
        accountId,
        capturedAt: new Date(Date.now() - (perTick - k) * 60_000).toISOString(),
        metrics: { impressions: 10 * (k + 1), reach: 8 * (k + 1), likes: k + 1, comments: 0, shares: 0, saves: 0, clicks: k, views: 5 * (k + 1) },
        delta: { impressions: 10, reach: 8, likes: 1, comments: 0, shares: 0, saves: 0, clicks: k === 0 ? 0 : 1, views: 5 },
        counted: true,
      },
    }));
    measure(`engagement-${postId}`, snapshots, ['engagement']);
  }
  await Promise.all(inFlight);
  return { lags, byStream, events, seconds: (performance.now() - started) / 1000 };
}

/** Server-side time of the overview's statement (EXPLAIN ANALYZE), ms. */
async function overviewExecutionMs(pool: Pool, workspaceId: string, from: Date, to: Date): Promise<number> {
  let ms = Number.NaN;
  const explaining = {
    query: async (text: string, values: unknown[]) => {
      const { rows } = await pool.query<{ 'QUERY PLAN': [{ 'Execution Time': number; 'Planning Time': number }] }>(`explain (analyze, format json) ${text}`, values);
      ms = rows[0]!['QUERY PLAN'][0]['Execution Time'] + rows[0]!['QUERY PLAN'][0]['Planning Time'];
      return { rows: [{ posts: 0, published: 0, failed: 0 }] };
    },
  };
  await overview(explaining as unknown as Pool, { workspaceId, from, to });
  return ms;
}

async function rowCounts(pool: Pool, tables: string[]): Promise<string> {
  const counts = await Promise.all(tables.map(async (t) => `${t} ${(await pool.query<{ n: string }>(`select count(*)::text as n from ${t}`)).rows[0]!.n} rows`));
  return counts.join(', ');
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function runProjectionsBenchmark(): Promise<void> {
  const scratch = new ScratchDatabases(benchDatabaseUrl());
  const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 }) : undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const info = await serverInfo(benchDatabaseUrl());
    log(`PostgreSQL ${info.version} at ${redactUrl(benchDatabaseUrl())}; cache: ${redis ? 'Redis' : 'memory'}`);
    const database = await scratch.create('projections');
    const setup = await open(database.url);
    closers.push(() => setup.pool.end(), () => setup.store.close());
    if (redis) await redis.connect();
    const metrics = createMetrics();
    const api = await buildApi({
      config: { auth: { issuer: 'bench', audience: 'bench', accessTokenTtlSeconds: 3600, refreshTokenTtlDays: 1 }, dataDir: path.join('.data', 'bench-keys'), rateLimits: { windowMs: 60_000, credentials: 1_000_000, webhook: 1_000_000, api: 100_000_000 } },
      pool: setup.pool,
      store: setup.sealed,
      personKeys: setup.personKeys,
      logger,
      redis,
      metrics,
      webhookSecret: 'bench-webhook-secret-of-at-least-32-characters',
    });
    closers.push(() => api.close());
    // served as the service serves it (src/http/server.ts)
    const server = serverFor(createApp({ logger, metrics, readinessChecks: [], routes: [api.router] })).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    closers.push(() => new Promise((r) => server.close(r)), async () => agent.destroy());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // 1. rebuild rate over a mixed log
    const small = await apiWorkspace(base, 5);
    let started = performance.now();
    const mixed = PHASES.has('rebuild') ? await appendMixedLog(setup.store, small, { posts: REBUILD_POSTS, snapshotsPerPost: 12, commentsPerPost: 1, withApproval: true }) : 0;
    log(`appended a mixed log of ${mixed} events in ${fmt((performance.now() - started) / 1000)} s`);
    const head = Number((await setup.store.headPosition()) ?? 0n);
    const rebuilds: (RebuildRun & { cpuSeconds: number; load: [number, number] })[] = [];
    for (let run = 1; run <= (PHASES.has('rebuild') ? RUNS : 0); run++) {
      const loadBefore = os.loadavg()[0]!;
      const cpu = process.cpuUsage();
      const result = await rebuildAll(setup);
      const used = process.cpuUsage(cpu);
      rebuilds.push({ ...result, cpuSeconds: (used.user + used.system) / 1e6, load: [loadBefore, os.loadavg()[0]!] });
      log(
        `rebuild run ${run}: ${result.logEvents} log events read once and ${result.applied} applied across projections in ${fmt(result.seconds)} s: ` +
          `${Math.round(result.logEvents / result.seconds)} log events/s, ${Math.round(result.applied / result.seconds)} applied/s; ` +
          `this process's CPU ${fmt(rebuilds.at(-1)!.cpuSeconds)} s; load ${fmt(loadBefore)} → ${fmt(os.loadavg()[0]!)}`,
      );
    }
    /** Events applied per second, summed over the projections: the rate this benchmark has always recorded. */
    const rebuildRate = median(rebuilds.map((r) => r.applied / r.seconds));
    /** Log events per second: each event of the log read once and applied to every projection that reads it. */
    const logRate = median(rebuilds.map((r) => r.logEvents / r.seconds));
    if (rebuilds.length > 0) {
      const perProjectionRows = projections.map((p) => {
        const runs = rebuilds.map((r) => r.perProjection.find((x) => x.name === p.name)!);
        return [p.name, String(runs[0]!.events), fmt(median(runs.map((r) => r.applySeconds)), 2), fmt(median(runs.map((r) => r.indexSeconds)), 2)];
      });
      const pass = (rate: number) => (rate >= 20_000 ? 'met' : 'missed');
      const rebuildBody = [
        `\`npm run bench -- projections\` (bench/projections.ts), rebuild phase: \`rebuildProjections\` of all ${projections.length} projections, as \`postledger projections rebuild all\` runs it — the log read once, each page fanned out to the projections that read it, new tables filled side by side and swapped in together — over a mixed log of ${head} events (${REBUILD_POSTS} posts through drafted → submitted → approved → publish requested → published/failed, a comment and 12 engagement snapshots each, plus users, workspace and accounts). ` +
          `PostgreSQL ${info.version} (${Object.entries(info.settings).map(([k, v]) => `${k}=${v}`).join(', ')}) on the same 2 cores as the benchmark; ${os.cpus().length} CPUs; medians of ${rebuilds.length} runs.`,
        '',
        markdownTable(
          ['measure', 'median', 'runs', 'target ≥ 20,000/s'],
          [
            ['log events read per second (each once)', String(Math.round(logRate)), rebuilds.map((r) => String(Math.round(r.logEvents / r.seconds))).join(', '), pass(logRate)],
            ['events applied per second, summed over the projections', String(Math.round(rebuildRate)), rebuilds.map((r) => String(Math.round(r.applied / r.seconds))).join(', '), pass(rebuildRate)],
            ['seconds for the whole rebuild, swap included', fmt(median(rebuilds.map((r) => r.seconds)), 2), rebuilds.map((r) => fmt(r.seconds, 2)).join(', '), ''],
            ['CPU of the rebuilding process, µs per log event', fmt(median(rebuilds.map((r) => (r.cpuSeconds * 1e6) / r.logEvents))), rebuilds.map((r) => fmt((r.cpuSeconds * 1e6) / r.logEvents)).join(', '), ''],
          ],
          ['l', 'r', 'r', 'l'],
        ),
        '',
        `Load average (1 min) before → after each run: ${rebuilds.map((r) => `${fmt(r.load[0])} → ${fmt(r.load[1])}`).join('; ')}.`,
        '',
        `Per projection (first run's events; medians of the wall time spent in its own transactions, which overlap the others', and in building its secondary indexes after the load):`,
        '',
        markdownTable(['projection', 'events applied', 'apply s', 'index s'], perProjectionRows, ['l', 'r', 'r', 'r']),
      ].join('\n');
      process.stdout.write(`\n${rebuildBody}\n\n`);
      upsertSection(path.join(__dirname, 'RESULTS.md'), 'Projections: rebuild', today(), rebuildBody);
    }
    if (!PHASES.has('queries') && !PHASES.has('lag')) {
      process.stdout.write(`projections: rebuild ${Math.round(rebuildRate)} ev/s applied (${Math.round(logRate)} log events/s read); queries and lag not run\n`);
      return;
    }

    // 2. queries on 100k posts and 1M snapshots
    const big = await apiWorkspace(base, 10);
    started = performance.now();
    const loadAtFill = os.loadavg()[0]!;
    const bigEvents = await appendMixedLog(setup.store, big, {
      posts: QUERY_POSTS,
      snapshotsPerPost: SNAPSHOTS_PER_POST,
      commentsPerPost: 0,
      withApproval: false,
      onProgress: (n) => log(`  appended ${n} events`),
    });
    const appendSeconds = (performance.now() - started) / 1000;
    log(`appended ${bigEvents} events (${QUERY_POSTS} posts, ${QUERY_POSTS * SNAPSHOTS_PER_POST} snapshots) in ${fmt(appendSeconds)} s`);
    // every projection, so that the live projectors of the lag phase start at the head of the log
    const filled = await rebuildAll(setup);
    log(`projected them (rebuild of every projection): ${filled.events} events in ${fmt(filled.seconds)} s (${Math.round(filled.events / filled.seconds)} ev/s)`);
    await setup.pool.query('analyze');
    const ws = `/v1/workspaces/${big.workspaceId}`;
    const queryRuns: Record<string, { p50: number; p99: number }[]> = {
      'floor: GET /v1/me (authentication alone)': [],
      'list, first page uncached': [],
      'list, page 3 by cursor uncached': [],
      'list, first page cached': [],
      'overview uncached': [],
      'overview cached': [],
    };
    const loadAtQueries = os.loadavg()[0]!;
    const overviewServerMs: number[] = [];
    const firstPage = (await (await fetch(`${base}${ws}/posts?limit=50`, { headers: { authorization: `Bearer ${big.token}` } })).json()) as { nextCursor: string };
    const second = (await (await fetch(`${base}${ws}/posts?limit=50&cursor=${firstPage.nextCursor}`, { headers: { authorization: `Bearer ${big.token}` } })).json()) as { nextCursor: string };
    for (let run = 1; run <= RUNS; run++) {
      const record = (name: string, times: number[]) => queryRuns[name]!.push({ p50: percentile(times, 0.5), p99: percentile(times, 0.99) });
      record('floor: GET /v1/me (authentication alone)', await timedRequests(base, big.token, () => '/v1/me'));
      const to = Date.now() + run * 10_000_000;
      // a `to` past every post, new for each request: a new cache key, the same page
      const until = (i: number) => new Date(to + 86_400_000 + i).toISOString();
      record('list, first page uncached', await timedRequests(base, big.token, (i) => `${ws}/posts?limit=50&to=${until(i)}`));
      record('list, page 3 by cursor uncached', await timedRequests(base, big.token, (i) => `${ws}/posts?limit=50&cursor=${second.nextCursor}&to=${until(i)}`));
      record('list, first page cached', await timedRequests(base, big.token, () => `${ws}/posts?limit=50`));
      // a new `to` each request: a new cache key, so each one is computed
      record('overview uncached', await timedRequests(base, big.token, (i) => `${ws}/analytics/overview?from=${new Date(to - 30 * 86_400_000).toISOString()}&to=${new Date(to + i).toISOString()}`));
      record('overview cached', await timedRequests(base, big.token, () => `${ws}/analytics/overview?from=${new Date(to - 30 * 86_400_000).toISOString()}&to=${new Date(to).toISOString()}`));
      log(`queries run ${run}: ${Object.entries(queryRuns).map(([k, v]) => `${k} p99 ${fmt(v.at(-1)!.p99)} ms`).join('; ')}`);
      overviewServerMs.push(await overviewExecutionMs(setup.pool, big.workspaceId, new Date(to - 30 * 86_400_000), new Date(to + 1)));
    }
    const queryRows = Object.entries(queryRuns).map(([name, runs]) => [name, fmt(median(runs.map((r) => r.p50))), fmt(median(runs.map((r) => r.p99)))]);

    // 3. lag under a steady load
    const db = readModelDb(setup.pool);
    const projectors = projections.map((projection) => new Projector({ db, store: projection.storedForm ? setup.store : setup.sealed, projection, lockConnection: { connectionString: setup.url }, logger }));
    for (const p of projectors) p.start();
    closers.push(() => Promise.all(projectors.map((p) => p.stop())));
    const waiter = new ReadYourWrites({ pool: setup.pool, logger, timeoutMs: 30_000 });
    closers.push(() => waiter.close());
    // let every projector take the lead and reach the head first
    const logHead = (await setup.store.headPosition()) ?? 0n;
    for (const deadline = Date.now() + 600_000; ; ) {
      try {
        await waiter.waitFor(projections.map((p) => p.name), logHead);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    // the load runs a while unmeasured first: connections opened, code compiled, caches filled
    const warmUp = await lagUnderLoad(setup, big, waiter, WARM_UP_SECONDS);
    log(`lag warm-up (${WARM_UP_SECONDS} s, not counted): p50 ${fmt(percentile(warmUp.lags, 0.5))} ms, p99 ${fmt(percentile(warmUp.lags, 0.99))} ms`);
    const lagRuns: { p50: number; p99: number; rate: number; byStream: Record<string, number> }[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const result = await lagUnderLoad(setup, big, waiter);
      const byStream = Object.fromEntries(Object.entries(result.byStream).map(([kind, lags]) => [kind, percentile(lags, 0.99)]));
      lagRuns.push({ p50: percentile(result.lags, 0.5), p99: percentile(result.lags, 0.99), rate: result.events / result.seconds, byStream });
      log(
        `lag run ${run}: ${Math.round(result.events / result.seconds)} events/s, lag p50 ${fmt(lagRuns.at(-1)!.p50)} ms, p99 ${fmt(lagRuns.at(-1)!.p99)} ms ` +
          `(p99 by append: ${Object.entries(byStream).map(([kind, p99]) => `${kind} ${fmt(p99)} ms`).join(', ')}); load ${fmt(os.loadavg()[0]!)}`,
      );
    }
    const lagP50 = median(lagRuns.map((r) => r.p50));
    const lagP99 = median(lagRuns.map((r) => r.p99));
    const overviewP99 = median(queryRuns['overview uncached']!.map((r) => r.p99));

    const body = [
      `PostgreSQL ${info.version} (${Object.entries(info.settings).map(([k, v]) => `${k}=${v}`).join(', ')}), cache ${redis ? 'Redis' : 'in memory'}; client, API, projectors and server on the same 2 cores; medians of ${RUNS} runs.`,
      '',
      rebuilds.length > 0
        ? `**Rebuild** (all projections from one read of a mixed log of ${mixed} events; details in "Projections: rebuild"): ${Math.round(rebuildRate)} events applied/s summed over the projections, ${Math.round(logRate)} log events/s read.`
        : `**Rebuild**: not run this time (\`BENCH_PHASES\`); see "Projections: rebuild".`,
      '',
      `**Queries** on one workspace with ${QUERY_POSTS} posts and ${QUERY_POSTS * SNAPSHOTS_PER_POST} snapshots (${bigEvents} events, projected at ${Math.round(filled.events / filled.seconds)} ev/s), ${REQUESTS} sequential HTTP requests per run on one keep-alive connection (node:http; runs before 2026-11-26 16:00 used fetch, whose own work shared the process with the API), ms:`,
      '',
      markdownTable(['request', 'p50', 'p99'], queryRows, ['l', 'r', 'r']),
      '',
      `Filling: ${bigEvents} events appended through the store in ${fmt(appendSeconds)} s, projected by \`rebuildProjections\` of every projection in ${fmt(filled.seconds)} s (load average ${fmt(loadAtFill)} when the fill began, ${fmt(loadAtQueries)} when the queries began). ` +
        `The overview's one statement runs in ${fmt(median(overviewServerMs), 2)} ms inside PostgreSQL (EXPLAIN ANALYZE, median of the runs): it reads the rollups (${await rowCounts(setup.pool, ['rm_engagement_hourly', 'rm_engagement_post_starts', 'rm_publication_hours'])}), not the ${QUERY_POSTS * SNAPSHOTS_PER_POST} bucket rows. ` +
        `The floor row is an authenticated GET that reads nothing else: a cached overview adds the workspace access check, the checkpoint read of its cache key and a Redis GET to it.`,
      '',
      `**Lag** (append returned → every projection reading the event has passed it, as \`X-Min-Position\` waits) under ${LOAD_EVENTS_PER_SECOND} events/s for ${LOAD_SECONDS} s, after ${WARM_UP_SECONDS} s of the same load not counted (post drafts, comments, batches of 8 snapshots): p50 ${fmt(lagP50)} ms, p99 ${fmt(lagP99)} ms (achieved ${Math.round(median(lagRuns.map((r) => r.rate)))} events/s; p99 by append, medians: ${Object.keys(lagRuns[0]?.byStream ?? {})
        .map((kind) => `${kind} ${fmt(median(lagRuns.map((r) => r.byStream[kind]!)))} ms`)
        .join(', ')}; runs' p99: ${lagRuns.map((r) => fmt(r.p99)).join(', ')} ms).`,
    ].join('\n');
    process.stdout.write(`\n${body}\n\n`);
    upsertSection(path.join(__dirname, 'RESULTS.md'), 'Projections', today(), body);
    process.stdout.write(`projections: rebuild ${Math.round(rebuildRate)} ev/s; lag p99 ${fmt(lagP99)} ms; overview p99 ${fmt(overviewP99)} ms uncached\n`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    redis?.disconnect();
    await scratch.dropAll();
  }
}
