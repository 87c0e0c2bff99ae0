/**
 * The service under test for `npm run bench -- commands`: started in a child process
 * (`node --require tsx/cjs src/main.ts`, as `npm start`, so the load generator and the server do not share an event
 * loop) or in this process (`startService`), on a database of its own, and set up through
 * HTTP the way a client would (user, workspace, social account, API key).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';
import { loadConfig } from '../src/platform/config';
import { adminQuery } from './lib/db';
import type { ProbeRequest, ProbeResponse } from './commands-probe';
import { createLogger } from '../src/platform/logger';
import { startService } from '../src/service';

/** Variables of the caller's environment that would change what is measured (Redis-backed limits, Kafka, another event store). */
const UNSET = ['REDIS_URL', 'KAFKA_BROKERS', 'EVENT_STORE', 'EVENTSTORE_CONNECTION_STRING', 'JWT_PRIVATE_KEY', 'JWT_PREVIOUS_PUBLIC_KEYS', 'CORS_ORIGINS', 'NODE_OPTIONS'];

/**
 * The service's environment for a benchmark: high rate limits (RATE_LIMIT_API at the largest
 * value config.ts accepts, 10,000,000), silent logs, tokens that outlive the run.
 */
export function serviceEnv(databaseUrl: string, port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of UNSET) delete env[name];
  return {
    ...env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    RATE_LIMIT_API: '10000000',
    RATE_LIMIT_CREDENTIALS: '100000',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    SHUTDOWN_TIMEOUT_MS: '3000',
  };
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Event-loop time so far, ms (performance.eventLoopUtilization()). */
export interface LoopTime {
  idle: number;
  active: number;
}

/** Share of the time between two readings that the event loop was busy, 0..1. */
export function loopUtilization(before: LoopTime | undefined, after: LoopTime | undefined): number {
  if (!before || !after) return Number.NaN;
  const active = after.active - before.active;
  const idle = after.idle - before.idle;
  return active + idle > 0 ? active / (active + idle) : Number.NaN;
}

export interface RunningService {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** The child's pid; undefined when the service runs in this process. */
  pid: number | undefined;
  /** Stops the service. */
  stop(): Promise<void>;
  /** Throws when the service is gone (the child exited or was killed): its figures would be connection errors. */
  assertAlive(): void;
  /** The service's event-loop time so far (in-process: this process's, load generator included). */
  loopTime(): Promise<LoopTime | undefined>;
  /** The child's memory after a full GC when it runs with --expose-gc (commands-probe.ts). */
  memory?(): Promise<NodeJS.MemoryUsage>;
  /** Starts the CPU profiler in the child (commands-probe.ts). */
  startProfile?(): Promise<void>;
  /** Stops it and writes the profile to `file`. */
  stopProfile?(file: string): Promise<void>;
}

async function waitUntilHealthy(baseUrl: string, timeoutMs: number, failed: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const error = failed();
    if (error) throw error;
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the service at ${baseUrl} did not become ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `node --require tsx/cjs --require ./bench/commands-probe.ts src/main.ts` (or `script`) from
 * `repoRoot`, with an IPC channel to the probe (event-loop utilisation, CPU profiler).
 */
export async function startServiceProcess(repoRoot: string, env: NodeJS.ProcessEnv, options: { script?: string } = {}): Promise<RunningService> {
  const args = ['--require', 'tsx/cjs', '--require', './bench/commands-probe.ts', options.script ?? 'src/main.ts'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exit: Error | undefined;
  let stopping = false;
  const pending = new Map<number, { resolve: (r: ProbeResponse) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  child.on('message', (response: ProbeResponse) => {
    const waiter = pending.get(response.id);
    pending.delete(response.id);
    if (response.error) waiter?.reject(new Error(`probe: ${response.error}`));
    else waiter?.resolve(response);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = new Error(`the service exited (code ${code}, signal ${signal})${output.trim() ? `:\n${output.trim()}` : ''}`);
      if (!stopping) process.stderr.write(`[service] ${exit.message}\n`);
      for (const { reject } of pending.values()) reject(exit);
      pending.clear();
      resolve();
    }),
  );
  const ask = (request: DistributiveOmit<ProbeRequest, 'id'>): Promise<ProbeResponse> => {
    if (exit) return Promise.reject(exit);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ id, ...request });
    });
  };
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  const stop = async () => {
    if (exit) return;
    stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilHealthy(baseUrl, 60_000, () => exit);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl,
    pid: child.pid,
    stop,
    assertAlive: () => {
      if (exit) throw exit;
    },
    loopTime: async () => (await ask({ kind: 'elu' })).elu,
    memory: async () => (await ask({ kind: 'memory' })).memory!,
    startProfile: async () => {
      await ask({ kind: 'profile-start' });
    },
    stopProfile: async (file) => {
      await ask({ kind: 'profile-stop', file });
    },
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The service in this process: `startService(loadConfig(env), createLogger('silent'))`. */
export async function startServiceInProcess(env: NodeJS.ProcessEnv): Promise<RunningService> {
  const service = await startService(loadConfig(env), createLogger('silent'));
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  await waitUntilHealthy(baseUrl, 10_000, () => undefined);
  return {
    baseUrl,
    pid: undefined,
    stop: async () => {
      await service.close();
    },
    assertAlive: () => undefined,
    loopTime: async () => {
      const { idle, active } = performance.eventLoopUtilization();
      return { idle, active };
    },
  };
}

// --- set-up through HTTP ----------------------------------------------------------------------

export const BENCH_PASSWORD = 'correct horse battery staple';

/** What the workloads need: a signed-in owner, their workspace and account, an `engagement:write` key. */
export interface Fixture {
  baseUrl: string;
  workspaceId: string;
  accountId: string;
  /** `Bearer …` of the workspace owner. */
  bearer: string;
  /** `ApiKey …` with scope engagement:write. */
  apiKey: string;
}

async function call<T>(baseUrl: string, method: string, path: string, body: unknown, authorization?: string, expected = 201): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export async function setUpWorkspace(baseUrl: string): Promise<Fixture> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const registered = await call<{ accessToken: string }>(baseUrl, 'POST', '/v1/auth/register', {
    email: `bench-${suffix}@example.com`,
    password: BENCH_PASSWORD,
    displayName: 'Bench Owner',
  });
  const bearer = `Bearer ${registered.accessToken}`;
  const { id: workspaceId } = await call<{ id: string }>(baseUrl, 'POST', '/v1/workspaces', { name: `Bench ${suffix}` }, bearer);
  const { id: accountId } = await call<{ id: string }>(baseUrl, 'POST', `/v1/workspaces/${workspaceId}/accounts`, { platform: 'x', handle: '@bench', externalId: '1' }, bearer);
  const { key } = await call<{ key: string }>(baseUrl, 'POST', `/v1/workspaces/${workspaceId}/api-keys`, { name: 'bench collector', scopes: ['engagement:write'] }, bearer);
  return { baseUrl, workspaceId, accountId, bearer, apiKey: `ApiKey ${key}` };
}

/** A post content of `length` characters (≈ 200 by default), as the create-post workload sends. */
export function postContent(length = 200): string {
  const base = 'Launch week recap: thanks to everyone who tried the new scheduler. Next up: approvals on mobile, better analytics and a calmer inbox. Tell us what you think in the comments below. #launch #recap #product ';
  return base.repeat(Math.ceil(length / base.length)).slice(0, length).trimEnd();
}

/** Drafts one post through the API; returns its id. */
export async function createPost(fixture: Fixture): Promise<string> {
  const { id } = await call<{ id: string }>(fixture.baseUrl, 'POST', `/v1/workspaces/${fixture.workspaceId}/posts`, { accountId: fixture.accountId, content: postContent() }, fixture.bearer);
  return id;
}

// --- CPU of the processes involved --------------------------------------------------------------

/** utime + stime of a process in ticks (USER_HZ = 100), or NaN when it is gone / not Linux. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** Ticks of every PostgreSQL process on this machine (postmaster, backends, background workers), by pid@starttime. */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return ticks;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(`${entry}@${fields[19]}`, Number(fields[11]) + Number(fields[12]));
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}

export interface CpuSplit {
  /** CPU of this process (the load generator; and the service when it runs in-process), % of one core. */
  loadgenPct: number;
  /** CPU of the service's child process, % of one core (NaN in-process). */
  servicePct: number;
  /** CPU of all PostgreSQL processes, % of one core. */
  postgresPct: number;
}

/** Starts measuring who used the CPU; the returned function ends the window. */
export function cpuSplit(servicePid: number | undefined): () => CpuSplit {
  const t0 = process.hrtime.bigint();
  const own0 = process.cpuUsage();
  const svc0 = servicePid === undefined ? Number.NaN : processTicks(servicePid);
  const pg0 = postgresTicks();
  return () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const own = process.cpuUsage(own0);
    const svc1 = servicePid === undefined ? Number.NaN : processTicks(servicePid);
    let pgTicks = 0;
    for (const [key, value] of postgresTicks()) pgTicks += value - (pg0.get(key) ?? 0);
    return {
      loadgenPct: (100 * (own.user + own.system)) / 1e6 / seconds,
      servicePct: (svc1 - svc0) / seconds,
      postgresPct: pgTicks / seconds,
    };
  };
}

// --- what the database did ----------------------------------------------------------------------

/**
 * Cumulative counters of the current database (pg_stat_database) and of its tables
 * (pg_stat_user_tables): the difference over a workload, divided by its requests, is what one
 * request costs PostgreSQL. Backends report their counters about once a second when busy and
 * within 10 s once idle, so a delta taken right after a run misses a little of its tail.
 */
export type PgCounters = Record<string, number>;

export async function pgCounters(url: string): Promise<PgCounters> {
  const [db] = await adminQuery<Record<string, string>>(
    url,
    `select xact_commit::text as transactions, xact_rollback::text as rollbacks, tup_fetched::text as "rows fetched", tup_returned::text as "rows returned",
            tup_inserted::text as "rows inserted", tup_updated::text as "rows updated", blks_read::text as "blocks read"
       from pg_stat_database where datname = current_database()`,
  );
  const tables = await adminQuery<{ relname: string; idx_scan: string | null; seq_scan: string }>(
    url,
    `select relname, idx_scan::text, seq_scan::text from pg_stat_user_tables`,
  );
  const counters: PgCounters = Object.fromEntries(Object.entries(db ?? {}).map(([k, v]) => [k, Number(v)]));
  for (const t of tables) {
    counters[`index scans ${t.relname}`] = Number(t.idx_scan ?? 0);
    counters[`seq scans ${t.relname}`] = Number(t.seq_scan);
  }
  return counters;
}

/** `(after − before) / per`, dropping counters that did not move. */
export function countersPer(before: PgCounters, after: PgCounters, per: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta / per;
  }
  return out;
}
