/**
 * `npm run bench -- realtime`: the WebSocket gateway under load. The service (ROLES=api, the
 * log feed) runs in a child process on a database of its own; this process holds the clients
 * and appends the events.
 *
 * Per repetition: a fresh service (with --expose-gc, so the probe can collect before it reads memory); 50 workspaces, each with its owner (registered through HTTP);
 * 2000 sockets (40 per workspace) each subscribed to its workspace. Memory per idle connection
 * = growth of the service's resident set (after full GCs) from before the sockets to after they
 * are all subscribed and idle, divided by their number (the V8 heap plus external growth too). Then events are appended to the log at 500/s
 * (one-event appends to new post streams, round robin over the workspaces) for the duration;
 * delivery latency = from just before the append call to the receipt of the event by a client,
 * one sample per client per event, after a warm-up. Medians of the repetitions.
 *
 * Environment: BENCH_DATABASE_URL (else DATABASE_URL, else the local server), BENCH_REPS (3),
 * BENCH_DURATION_S (10), BENCH_WARMUP_S (2), BENCH_CLIENTS (2000), BENCH_WORKSPACES (50),
 * BENCH_RATE (500 events/s), BENCH_NO_RESULTS=1 to leave bench/RESULTS.md alone, BENCH_CPU_PROF=1 to
 * profile the service during the timed part and print where its CPU went (implies BENCH_NO_RESULTS).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import { cpuSnapshot, foreignCpuPct } from './lib/cpu';
import { benchDatabaseUrl, ScratchDatabases, serverInfo } from './lib/db';
import { markdownTable, today, upsertSection } from './lib/results';
import { median, percentile } from './lib/stats';
import { summarizeProfiles } from './commands-profile';
import { freePort, loopUtilization, type RunningService, serviceEnv, startServiceProcess } from './commands-service';
import { envNumber, log } from './lib/env';

const BENCH_DIR = __dirname;
const REPO_ROOT = resolve(BENCH_DIR, '..');
const TARGET_P99_MS = 100;
const TARGET_KIB_PER_CONNECTION = 50;
const CONNECT_CONCURRENCY = 50;
/** Appends in flight at most; an append that would pass it is not made (counted as a shortfall). */
const MAX_IN_FLIGHT = 64;

interface Rep {
  clients: number;
  /** Growth of the resident set per connection (after full GCs). */
  kibPerConnection: number;
  /** Growth of V8's heap plus external memory (buffers) per connection. */
  heapKibPerConnection: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  appendsPerSecond: number;
  samples: number;
  /** Receipts / (events appended × clients of their workspace), over the whole run. */
  deliveredShare: number;
  serviceLoop: number;
  foreignCpuPct: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The service's memory in KiB after full garbage collections, once it stopped moving by more than 1% between two readings a second apart (at most 10 s). */
async function settledMemory(service: RunningService): Promise<{ rssKiB: number; heapKiB: number }> {
  const read = async () => {
    const usage = await service.memory!();
    return { rssKiB: usage.rss / 1024, heapKiB: (usage.heapUsed + usage.external) / 1024 };
  };
  let last = await read();
  for (let i = 0; i < 10; i += 1) {
    await sleep(1000);
    const now = await read();
    if (Math.abs(now.rssKiB - last.rssKiB) <= last.rssKiB * 0.01) return now;
    last = now;
  }
  return last;
}

async function post<T>(baseUrl: string, path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

interface Workspace {
  id: string;
  token: string;
}

async function setUpWorkspaces(baseUrl: string, count: number): Promise<Workspace[]> {
  const workspaces: Workspace[] = [];
  for (let i = 0; i < count; i += 1) {
    const { accessToken } = await post<{ accessToken: string }>(baseUrl, '/v1/auth/register', {
      email: `rt-${randomUUID()}@example.com`,
      password: 'correct horse battery staple',
      displayName: `Owner ${i}`,
    });
    const { id } = await post<{ id: string }>(baseUrl, '/v1/workspaces', { name: `Realtime ${i}` }, accessToken);
    workspaces.push({ id, token: accessToken });
  }
  return workspaces;
}

/** The clients of one repetition: each records the latency of every event it receives. */
class Clients {
  readonly sockets: WebSocket[] = [];
  latenciesMs: number[] = [];
  received = 0;
  /** Events appended from this time on (performance.now()) are timed; undefined: none. */
  recordFrom: number | undefined;

  async connect(url: string, workspace: Workspace): Promise<void> {
    const socket = new WebSocket(url, ['bearer', workspace.token]);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('{"type":"caught-up"')) {
          socket.off('message', onMessage);
          socket.on('message', (frame: Buffer) => this.receive(frame));
          resolve();
        } else if (text.startsWith('{"type":"error"')) reject(new Error(text));
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ type: 'subscribe', workspaceId: workspace.id }));
    });
    this.sockets.push(socket);
  }

  private receive(frame: Buffer): void {
    const now = performance.now();
    this.received += 1;
    if (this.recordFrom === undefined) return;
    // the append time is in the event's data; no need to parse the whole envelope
    const match = /"sentAt":([\d.]+)/.exec(frame.toString('latin1'));
    const sentAt = match ? Number(match[1]) : Number.NaN;
    if (sentAt >= this.recordFrom) this.latenciesMs.push(now - sentAt);
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      this.sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close();
          }),
      ),
    );
  }
}

async function connectAll(clients: Clients, url: string, workspaces: Workspace[], total: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) await clients.connect(url, workspaces[i % workspaces.length]!);
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
}

/** Appends `rate` events a second to the workspaces in turn for `seconds`; resolves with the rate achieved. */
async function appendAtRate(store: PostgresEventStore, workspaces: Workspace[], rate: number, seconds: number, onAppended: () => void): Promise<number> {
  let issued = 0;
  let done = 0;
  let inFlight = 0;
  const start = performance.now();
  const endAt = start + seconds * 1000;
  const pending = new Set<Promise<unknown>>();
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (issued < due && inFlight < MAX_IN_FLIGHT) {
      const workspace = workspaces[issued % workspaces.length]!;
      issued += 1;
      inFlight += 1;
      const streamId = `post-${randomUUID()}`;
      const append = store
        .appendToStream(streamId, [{ id: randomUUID(), type: 'PostDrafted', data: { postId: streamId.slice(5), content: 'x'.repeat(200), sentAt: performance.now() }, metadata: { workspaceId: workspace.id } }])
        .then(() => {
          done += 1;
          onAppended();
        })
        .finally(() => {
          inFlight -= 1;
          pending.delete(append);
        });
      pending.add(append);
    }
    await sleep(2);
  }
  await Promise.all(pending);
  return done / ((performance.now() - start) / 1000);
}

interface Settings {
  clients: number;
  workspaces: number;
  rate: number;
  durationS: number;
  warmupS: number;
  /** Where the service's CPU profile of the timed part goes (BENCH_CPU_PROF=1). */
  profileFile?: string;
}

async function runRep(databaseUrl: string, settings: Settings): Promise<Rep> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'postledger-bench-rt-'));
  let service: RunningService | undefined;
  const clients = new Clients();
  const store = new PostgresEventStore({ connection: { connectionString: databaseUrl, max: 16 } });
  try {
    service = await startServiceProcess(REPO_ROOT, { ...serviceEnv(databaseUrl, port, dataDir), ROLES: 'api', NODE_OPTIONS: '--expose-gc' });
    const workspaces = await setUpWorkspaces(service.baseUrl, settings.workspaces);
    // a warm service: one socket's worth of code loaded and compiled before the baseline
    await connectAll(clients, `ws://127.0.0.1:${port}/v1/realtime`, workspaces, settings.workspaces);
    await clients.closeAll();
    clients.sockets.length = 0;
    const before = await settledMemory(service);
    log(`service before the sockets: RSS ${(before.rssKiB / 1024).toFixed(1)} MiB, heap+external ${(before.heapKiB / 1024).toFixed(1)} MiB; connecting ${settings.clients} clients`);
    await connectAll(clients, `ws://127.0.0.1:${port}/v1/realtime`, workspaces, settings.clients);
    const after = await settledMemory(service);
    const kibPerConnection = (after.rssKiB - before.rssKiB) / settings.clients;
    const heapKibPerConnection = (after.heapKiB - before.heapKiB) / settings.clients;
    log(
      `service with ${settings.clients} idle subscribed sockets: RSS ${(after.rssKiB / 1024).toFixed(1)} MiB (${kibPerConnection.toFixed(1)} KiB each), ` +
        `heap+external ${(after.heapKiB / 1024).toFixed(1)} MiB (${heapKibPerConnection.toFixed(1)} KiB each)`,
    );

    let appended = 0;
    log(`appending ${settings.rate}/s for ${settings.warmupS} s of warm-up, then ${settings.durationS} s timed`);
    await appendAtRate(store, workspaces, settings.rate, settings.warmupS, () => (appended += 1));
    const appendedBefore = appended;
    clients.recordFrom = performance.now();
    const cpuBefore = cpuSnapshot();
    const loopBefore = await service.loopTime();
    if (settings.profileFile) await service.startProfile!();
    const appendsPerSecond = await appendAtRate(store, workspaces, settings.rate, settings.durationS, () => (appended += 1));
    // the last events' receipts
    const perEvent = settings.clients / settings.workspaces;
    for (let waited = 0; clients.latenciesMs.length < (appended - appendedBefore) * perEvent && waited < 5000; waited += 50) await sleep(50);
    const loopAfter = await service.loopTime();
    if (settings.profileFile) await service.stopProfile!(settings.profileFile);
    const foreign = foreignCpuPct(cpuBefore, cpuSnapshot());
    clients.recordFrom = undefined;
    service.assertAlive();
    const samples = clients.latenciesMs;
    return {
      clients: clients.sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
      kibPerConnection,
      heapKibPerConnection,
      p50Ms: percentile(samples, 0.5),
      p99Ms: percentile(samples, 0.99),
      maxMs: percentile(samples, 1),
      appendsPerSecond,
      samples: samples.length,
      deliveredShare: samples.length / ((appended - appendedBefore) * perEvent),
      serviceLoop: loopUtilization(loopBefore, loopAfter),
      foreignCpuPct: foreign,
    };
  } finally {
    await clients.closeAll();
    await service?.stop();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runRealtimeBenchmark(): Promise<void> {
  const reps = Math.round(envNumber('BENCH_REPS', 3));
  const settings = {
    clients: Math.round(envNumber('BENCH_CLIENTS', 2000)),
    workspaces: Math.round(envNumber('BENCH_WORKSPACES', 50)),
    rate: envNumber('BENCH_RATE', 500),
    durationS: envNumber('BENCH_DURATION_S', 10),
    warmupS: envNumber('BENCH_WARMUP_S', 2),
  };
  const profiling = process.env.BENCH_CPU_PROF === '1';
  const writeResults = process.env.BENCH_NO_RESULTS !== '1' && !profiling;
  const profiles: string[] = [];
  const baseUrl = benchDatabaseUrl();
  const info = await serverInfo(baseUrl);
  const databases = new ScratchDatabases(baseUrl);
  const results: Rep[] = [];
  try {
    for (let rep = 1; rep <= reps; rep += 1) {
      const database = await databases.create(`realtime${rep}`);
      log(`repetition ${rep}/${reps}`);
      const profileFile = profiling ? join(tmpdir(), `postledger-realtime-${process.pid}-${rep}.cpuprofile`) : undefined;
      const result = await runRep(database.url, { ...settings, profileFile });
      if (profileFile) profiles.push(profileFile);
      log(
        `repetition ${rep}: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(0)} ms, ` +
          `${result.kibPerConnection.toFixed(1)} KiB per connection, ${result.appendsPerSecond.toFixed(0)} appends/s, ` +
          `delivered ${(result.deliveredShare * 100).toFixed(2)}%, service loop ${(result.serviceLoop * 100).toFixed(0)}% busy, foreign CPU ${result.foreignCpuPct.toFixed(0)}%`,
      );
      results.push(result);
    }
  } finally {
    await databases.dropAll();
  }

  const m = (pick: (r: Rep) => number) => median(results.map(pick));
  const summary = {
    p50: m((r) => r.p50Ms),
    p99: m((r) => r.p99Ms),
    max: m((r) => r.maxMs),
    kib: m((r) => r.kibPerConnection),
    heapKib: m((r) => r.heapKibPerConnection),
    rate: m((r) => r.appendsPerSecond),
    delivered: m((r) => r.deliveredShare),
    loop: m((r) => r.serviceLoop),
    samples: m((r) => r.samples),
  };
  const perRep = markdownTable(
    ['rep', 'clients', 'appends/s', 'delivery p50 ms', 'p99 ms', 'max ms', 'KiB per idle connection (RSS)', '(heap + external)', 'delivered', 'service loop busy', 'foreign CPU'],
    results.map((r, i) => [
      String(i + 1),
      String(r.clients),
      r.appendsPerSecond.toFixed(0),
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.maxMs.toFixed(0),
      r.kibPerConnection.toFixed(1),
      r.heapKibPerConnection.toFixed(1),
      `${(r.deliveredShare * 100).toFixed(2)}%`,
      `${(r.serviceLoop * 100).toFixed(0)}%`,
      `${r.foreignCpuPct.toFixed(0)}%`,
    ]),
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const targets = markdownTable(
    ['target', 'median', 'result'],
    [
      [`delivery p99 < ${TARGET_P99_MS} ms`, `${summary.p99.toFixed(1)} ms`, summary.p99 < TARGET_P99_MS ? 'PASS' : 'MISS'],
      [`< ${TARGET_KIB_PER_CONNECTION} KiB per idle connection`, `${summary.kib.toFixed(1)} KiB`, summary.kib < TARGET_KIB_PER_CONNECTION ? 'PASS' : 'MISS'],
    ],
  );
  const body = [
    `${settings.clients} WebSocket clients over ${settings.workspaces} workspaces (${settings.clients / settings.workspaces} per workspace, one subscription each), ` +
      `events appended at ${settings.rate}/s for ${settings.durationS} s after ${settings.warmupS} s of warm-up; ${reps} repetitions, each on a fresh service ` +
      '(child process, `ROLES=api`, the log feed: no Kafka) and database. Latency: from just before the append to the receipt by each client ' +
      `(${summary.samples.toFixed(0)} samples per repetition, median). Memory: growth of the service's RSS (and of its V8 heap plus external memory), each read after full garbage collections, from a warm service without sockets to the same with the sockets connected, subscribed and idle.`,
    '',
    perRep,
    '',
    `Medians: delivery p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, max ${summary.max.toFixed(0)} ms; ${summary.kib.toFixed(1)} KiB per idle connection; ` +
      `${summary.rate.toFixed(0)} appends/s achieved; ${(summary.delivered * 100).toFixed(2)}% of the expected receipts; the service's event loop ${(summary.loop * 100).toFixed(0)}% busy.`,
    '',
    targets,
    '',
    `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, PostgreSQL ${info.version}; the clients, ` +
      'the appender, the service and PostgreSQL share the cores, and other sessions ran on the machine (foreign CPU above).',
  ].join('\n');
  console.log(`\n${body}\n`);
  if (profiling) console.log(summarizeProfiles(profiles, REPO_ROOT).text);
  if (writeResults) upsertSection(join(BENCH_DIR, 'RESULTS.md'), 'realtime', today(), body);
  console.log(`realtime: ${settings.clients} clients; delivery p99 ${summary.p99.toFixed(1)} ms; ${summary.kib.toFixed(1)} KiB per connection`);
}
