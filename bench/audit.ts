/**
 * `npm run bench -- audit`: over a log of AUDIT_BENCH_EVENTS events (default 1,000,000),
 * - chain verification (`verifyChain`, what `GET /v1/audit/verify` and `postledger audit verify` run),
 * - NDJSON export (`GET /v1/events` through the real API, read by a client that counts lines),
 * each in a child process of its own, several runs, medians, and the peak RSS of those processes.
 * The log is filled by bulk INSERTs (this benchmark only) and chained by the chain projection's own code.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'pg';
import { chainRows } from '../src/audit/chain-projection';
import { GENESIS_LINK } from '../src/audit/chain';
import { logPages } from '../src/audit/pages';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import { migrate } from '../src/platform/migrations';
import { authMigrations } from '../src/auth/migrations';
import { idempotencyMigrations } from '../src/commands/idempotency';
import { projectionMigrations } from '../src/projections';
import { personKeyMigrations } from '../src/personal-data';
import { relayMigrations } from '../src/streaming/relay-checkpoint';
import { benchDatabaseUrl, redactUrl, ScratchDatabases, serverInfo } from './lib/db';
import { markdownTable, today, upsertSection } from './lib/results';
import { median } from './lib/stats';

const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.AUDIT_BENCH_RUNS ?? 3);
const FILL_CHUNK = 50_000;
const TARGETS = { verify: 100_000, export: 50_000, peakMiB: 200 };

const log = (message: string) => process.stderr.write(`${message}\n`);

/** ≈ 300 bytes of data and ≈ 150 of metadata per event, like the event-store benchmark's PostDrafted. */
async function fill(pool: Pool): Promise<void> {
  for (let start = 0; start < EVENTS; start += FILL_CHUNK) {
    const end = Math.min(start + FILL_CHUNK, EVENTS);
    await pool.query(
      `insert into pl_events (position, event_id, stream_id, category, revision, type, schema_version, occurred_at, data, metadata)
       select g, gen_random_uuid(), 'post-' || md5(g::text)::uuid, 'post', 0, 'PostDrafted', 1, now() - (($2::int - g) || ' ms')::interval,
              jsonb_build_object('postId', md5(g::text)::uuid, 'workspaceId', '5b0e7a52-3f1c-4a8e-9d61-0c2b7f4e8a19',
                'authorId', '9e3d1c7a-6b2f-4d0e-8a5c-1f7b3e9d2c40', 'channel', 'linkedin', 'title', 'Weekly update #' || (g % 1000),
                'body', 'Launch week recap: thanks to all who tried the new scheduler.', 'tags', jsonb_build_array('launch', 'recap'), 'seq', g),
              jsonb_build_object('actor', jsonb_build_object('type', 'user', 'id', '9e3d1c7a-6b2f-4d0e-8a5c-1f7b3e9d2c40'),
                'workspaceId', '5b0e7a52-3f1c-4a8e-9d61-0c2b7f4e8a19', 'correlationId', md5((g * 7)::text)::uuid)
       from generate_series($1::int + 1, $2::int) g`,
      [start, end],
    );
    log(`  filled ${end.toLocaleString('en')} / ${EVENTS.toLocaleString('en')}`);
  }
  await pool.query('analyze pl_events');
}

/** The chain rows the projection would write, inserted 10,000 at a time with unnest. */
async function chain(store: PostgresEventStore, pool: Pool): Promise<void> {
  let previous = GENESIS_LINK;
  let done = 0;
  for await (const page of logPages(store, { pageSize: 10_000 })) {
    const rows = chainRows(previous, page);
    previous = rows.at(-1)!.link;
    const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((r) => r[key]);
    await pool.query(
      `insert into pl_audit_chain (position, link, event_id, stream_id, category, type, occurred_at, actor_type, actor_id, workspace_id, correlation_id)
       select * from unnest($1::bigint[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[])`,
      [column('position'), column('link'), column('event_id'), column('stream_id'), column('category'), column('type'), column('occurred_at'), column('actor_type'), column('actor_id'), column('workspace_id'), column('correlation_id')],
    );
    done += rows.length;
    if (done % 200_000 < rows.length) log(`  chained ${done.toLocaleString('en')}`);
  }
}

/**
 * Migrates a fresh database as `postledger migrate` would, fills its log with EVENTS events and
 * chains them. Exported so that a database can be prepared once and reused through
 * AUDIT_BENCH_DATABASE_URL.
 */
export async function prepareAuditDatabase(url: string): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 4 });
  const store = new PostgresEventStore({ connection: { connectionString: url }, pool });
  try {
    await store.migrate();
    // every table the service has, as `postledger migrate` makes them
    await migrate(pool, [...authMigrations, ...idempotencyMigrations, ...projectionMigrations, ...relayMigrations, ...personKeyMigrations]);
    log(`audit benchmark: ${EVENTS.toLocaleString('en')} events in ${redactUrl(url)}`);
    await fill(pool);
    await chain(store, pool);
    await pool.query('analyze pl_audit_chain');
  } finally {
    await store.close();
    await pool.end();
  }
}

/** One DATA_DIR for every child: the personal-data master key there opens what earlier runs sealed. */
/**
 * Where the serving child keeps its keys. A reused database (AUDIT_BENCH_DATABASE_URL) holds the
 * personal data of the analysts earlier runs registered, sealed with that run's master key: the
 * export must be able to open it, so a reused database keeps one data directory, named after it.
 */
function childDataDir(): string {
  const reused = process.env.AUDIT_BENCH_DATABASE_URL;
  if (!reused) return mkdtempSync(path.join(tmpdir(), 'postledger-bench-audit-'));
  const dir = path.join(tmpdir(), `postledger-bench-audit-${createHash('sha256').update(reused).digest('hex').slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
const dataDir = childDataDir();

function child(mode: 'verify' | 'verify-port' | 'serve', url: string): ChildProcessWithoutNullStreams {
  const args =
    mode === 'serve'
      ? [path.join(__dirname, 'audit-child.ts'), 'serve', url, dataDir]
      : [path.join(__dirname, 'audit-verify-child.ts'), url, ...(mode === 'verify-port' ? ['port'] : [])];
  // as `npm start` and the CLI run the service: TypeScript compiled on load through tsx's CommonJS hook
  return spawn(process.execPath, ['--require', 'tsx/cjs', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

async function lines(proc: ChildProcessWithoutNullStreams): Promise<AsyncIterator<string>> {
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  proc.on('exit', (code) => {
    if (code !== 0) log(`child exited ${code}: ${err}`);
  });
  return createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
}

/**
 * Waits for the child's exit. It must end by itself once done; one that has not within
 * `graceMs` is killed and named, so a handle left open shows rather than hanging the run.
 */
async function exited(proc: ChildProcessWithoutNullStreams, graceMs = 30_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const timer = setTimeout(() => {
    log(`  the child ${path.basename(proc.spawnargs[3] ?? '')} did not exit by itself within ${graceMs / 1000} s (a handle left open): killed`);
    proc.kill('SIGKILL');
  }, graceMs);
  await once(proc, 'exit');
  clearTimeout(timer);
}

async function nextJson<T>(it: AsyncIterator<string>): Promise<T> {
  const next = await it.next();
  if (next.done) throw new Error('the child ended without an answer');
  return JSON.parse(next.value) as T;
}

interface Run {
  rate: number;
  rssMiB: number;
  events: number;
  /** CPU time of the serving/verifying process per event, µs: what the rate would be bounded by on a free core. */
  cpuUs: number;
}

async function verifyRun(url: string, mode: 'verify' | 'verify-port' = 'verify'): Promise<Run> {
  const proc = child(mode, url);
  const out = await lines(proc);
  const { events, seconds, maxRssMiB, cpuPerEventUs } = await nextJson<{ events: number; seconds: number; maxRssMiB: number; cpuPerEventUs: number }>(out);
  await exited(proc);
  return { rate: events / seconds, rssMiB: maxRssMiB, events, cpuUs: cpuPerEventUs };
}

async function exportRun(url: string): Promise<Run & { mib: number; readyMiB: number }> {
  const proc = child('serve', url);
  const out = await lines(proc);
  const { port, token } = await nextJson<{ port: number; token: string }>(out);
  const started = process.hrtime.bigint();
  let count = 0;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/v1/events', headers: { Authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET /v1/events answered ${res.statusCode}`));
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
        });
        res.on('end', resolve);
        res.on('error', reject);
      })
      .on('error', reject);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  proc.stdin.write('stop\n');
  const { maxRssMiB, readyMiB, cpuUs } = await nextJson<{ maxRssMiB: number; readyMiB: number; cpuUs: number }>(out);
  await exited(proc);
  return { rate: count / seconds, rssMiB: maxRssMiB, readyMiB, events: count, mib: bytes / 1024 / 1024, cpuUs: cpuUs / count };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

export async function runAuditBenchmark(): Promise<void> {
  const baseUrl = benchDatabaseUrl();
  const scratch = new ScratchDatabases(baseUrl);
  try {
    // AUDIT_BENCH_DATABASE_URL: a database a previous run filled and chained (kept, not dropped)
    const reused = process.env.AUDIT_BENCH_DATABASE_URL;
    const database = reused ? { url: reused } : await scratch.create('audit');
    if (!reused) await prepareAuditDatabase(database.url);
    const verifies: Run[] = [];
    const peers: Run[] = [];
    const exports: (Run & { mib: number; readyMiB: number })[] = [];
    const loadBefore = loadavg()[0]!;
    for (let run = 1; run <= RUNS; run++) {
      const v = await verifyRun(database.url);
      log(`  run ${run}: verify ${fmt(v.rate)} ev/s (${fmt(v.events)} events, ${v.cpuUs.toFixed(1)} µs CPU per event, peak RSS ${v.rssMiB.toFixed(0)} MiB)`);
      verifies.push(v);
      const p = await verifyRun(database.url, 'verify-port');
      log(`  run ${run}: verify, one thread through the port (peer) ${fmt(p.rate)} ev/s (${p.cpuUs.toFixed(1)} µs CPU per event, peak RSS ${p.rssMiB.toFixed(0)} MiB)`);
      peers.push(p);
      const e = await exportRun(database.url);
      log(`  run ${run}: export ${fmt(e.rate)} ev/s (${fmt(e.events)} lines, ${e.mib.toFixed(0)} MiB, ${e.cpuUs.toFixed(1)} µs CPU per event, peak RSS ${e.rssMiB.toFixed(0)} MiB)`);
      exports.push(e);
    }
    const verifyRate = median(verifies.map((v) => v.rate));
    const peerRate = median(peers.map((p) => p.rate));
    const exportRate = median(exports.map((e) => e.rate));
    const peak = Math.max(...verifies.map((v) => v.rssMiB), ...exports.map((e) => e.rssMiB));
    const loadAfter = loadavg()[0]!;
    const info = await serverInfo(baseUrl);
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const table = markdownTable(
      ['measure', 'median', 'runs', 'CPU µs per event (median)', 'peak RSS (MiB)', 'target', ''],
      [
        ['chain verification (ev/s)', fmt(verifyRate), verifies.map((v) => fmt(v.rate)).join(', '), median(verifies.map((v) => v.cpuUs)).toFixed(1), Math.max(...verifies.map((v) => v.rssMiB)).toFixed(0), `≥ ${fmt(TARGETS.verify)}`, verdict(verifyRate >= TARGETS.verify)],
        [`peer: verification in one thread through the port, as before (ev/s; ranges ${(verifyRate / peerRate).toFixed(2)}× this)`, fmt(peerRate), peers.map((p) => fmt(p.rate)).join(', '), median(peers.map((p) => p.cpuUs)).toFixed(1), Math.max(...peers.map((p) => p.rssMiB)).toFixed(0), '', ''],
        ['NDJSON export over HTTP (ev/s)', fmt(exportRate), exports.map((e) => fmt(e.rate)).join(', '), median(exports.map((e) => e.cpuUs)).toFixed(1), Math.max(...exports.map((e) => e.rssMiB)).toFixed(0), `≥ ${fmt(TARGETS.export)}`, verdict(exportRate >= TARGETS.export)],
        ['peak RSS of either process (MiB)', peak.toFixed(0), '', '', '', `< ${TARGETS.peakMiB}`, verdict(peak < TARGETS.peakMiB)],
      ],
      ['l', 'r', 'r', 'r', 'r', 'l', 'l'],
    );
    const body = [
      `${EVENTS.toLocaleString('en')} events (PostDrafted, ≈ 300 B data + 150 B metadata; ≈ ${exports[0]!.mib.toFixed(0)} MiB of NDJSON), ${RUNS} runs, medians. PostgreSQL ${info.version} on the same 2 cores as the client. Load average (1 min) ${loadBefore.toFixed(1)} before the runs, ${loadAfter.toFixed(1)} after: other work shared the 2 cores, so the rates are lower bounds; the CPU time per event is what the process itself spent (wall time includes waiting for PostgreSQL and for the cores).`,
      '',
      table,
      '',
      '- verification: `verifyChain` with its defaults in a child process that loads none of the API (bench/audit-verify-child.ts): the chain cut into as many ranges as cores (at most 4; here 2), each in a worker thread (32 MiB old-generation heap) with one connection of its own, reading `pl_events` as text beside the links of `pl_audit_chain` (one query, a merge join) in pages of 1,000 with the next page requested ahead, encoding each event from that text and comparing every recomputed link with the stored one. The children run as the service and the CLI do (`node --require tsx/cjs`). CPU and peak RSS include the worker threads.',
      '- peer: the same child verifying through the EventStore port in one thread (`verifyChain` over a store that is not a PostgresEventStore, `parallel: 1`): how verification ran before, and how it runs over EventStoreDB. Its ratio is the fair comparison when the machine is busy.',
      '- export: `GET /v1/events` served by the API in a child process (auth, route, `exportNdjson` with backpressure), read by a client in the benchmark process that counts lines.',
      `- peak RSS: \`process.resourceUsage().maxRSS\` of the child at its end (the whole process, Node, tsx and libraries included). The serving child had reached ${fmt(median(exports.map((e) => e.readyMiB)))} MiB (median) before the export began: the API loaded, one registration (argon2id, 19 MiB) and a role change.`,
      '- the log was filled by bulk INSERT … generate_series and chained by `chainRows` (the projection\'s code), not timed.',
    ].join('\n');
    upsertSection(path.join(__dirname, 'RESULTS.md'), 'audit', today(), body);
    process.stdout.write(`${body}\n\naudit: verify ${fmt(verifyRate)} ev/s; export ${fmt(exportRate)} ev/s; peak ${peak.toFixed(0)} MiB\n`);
  } finally {
    await scratch.dropAll();
  }
}
