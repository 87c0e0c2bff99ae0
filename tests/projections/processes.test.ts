import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Pool } from 'pg';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createLogger } from '../../src/platform/logger';
import { migrate } from '../../src/platform/migrations';
import { checkpointMigrations } from '../../src/projections/checkpoints';
import { Projector } from '../../src/projections/projector';
import { readModelDb } from '../../src/projections/read-models';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { tallyProjection } from './fixtures/tally';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(__dirname, 'fixtures/tally-projector.ts');

let database: TestDatabase;
let pool: Pool;
let store: PostgresEventStore;
let seq = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase('procs');
  pool = new Pool({ ...database.connection, max: 4 });
  store = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 100 });
  await store.migrate();
  await migrate(pool, [...checkpointMigrations, ...tallyProjection().migrations]);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await store.close();
  await pool.end();
  await database.drop();
});

/** A projector process; `lines` grows with what it prints. */
function startChild(env: Record<string, string> = {}): { child: ChildProcess; lines: string[]; exited: Promise<void> } {
  // node itself with tsx as a loader: one process, so that SIGKILL hits the projector and nothing else
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', DATABASE_URL: database.connectionString, LOG_LEVEL: 'warn', ...env } });
  children.push(child);
  const lines: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  // what goes wrong in the child shows in the test's output
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, lines, exited };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Appends `count` ticks of `by` each, in appends of 10; returns their sum. */
async function ticks(count: number, by = 1): Promise<number> {
  for (let i = 0; i < count; i += 10) {
    await store.appendToStream(
      `tick-${randomUUID()}`,
      Array.from({ length: Math.min(10, count - i) }, () => ({ id: randomUUID(), type: 'Tick', data: { seq: ++seq, by } })),
    );
  }
  return count * by;
}

const tally = async () => (await pool.query<{ total: string; applications: number }>('select total, applications from tally_total')).rows[0]!;
const appliedRows = async () => (await pool.query<{ n: number; distinct: number }>('select count(*)::int as n, count(distinct position)::int as distinct from tally_applied')).rows[0]!;

describe('projector processes', () => {
  it('resumes after a kill -9 in the middle of a batch without counting anything twice', async () => {
    const expected = await ticks(120);
    // the batch holding tick 60 writes its rows, then waits inside its transaction
    const victim = startChild({ STALL_AT: '60' });
    await until(() => victim.lines.includes('stalled'), `the child to stall mid-batch (it printed ${JSON.stringify(victim.lines)})`);
    const during = await tally();
    victim.child.kill('SIGKILL');
    await victim.exited;
    // what it applied before the stalled batch is committed; the stalled batch is not
    expect(Number(during.total)).toBeLessThan(expected);

    let more = 0;
    const resumed = new Projector({ db: readModelDb(pool), store, projection: tallyProjection(), lockConnection: database.connection, logger: createLogger('silent'), retryMs: 20 });
    resumed.start();
    try {
      await until(async () => Number((await tally()).total) === expected, 'the resumed projector to apply every tick');
      more = await ticks(30, 2);
      await until(async () => Number((await tally()).total) === expected + more, 'the live ticks');
    } finally {
      await resumed.stop();
    }
    const final = await tally();
    expect(final).toEqual({ total: String(expected + more), applications: 150 });
    expect(await appliedRows()).toEqual({ n: 150, distinct: 150 });
  });

  it('runs one active process of two; the other takes over when it dies', async () => {
    const before = await tally();
    const first = startChild();
    await until(() => first.lines.includes('state running'), 'the first process to lead');
    const second = startChild();
    await until(() => second.lines.includes('state standby'), 'the second process to stand by');
    const a = await ticks(40);
    await until(async () => Number((await tally()).total) === Number(before.total) + a, 'the leader to apply');
    expect(second.lines).not.toContain('state running');

    first.child.kill('SIGKILL');
    await first.exited;
    await until(() => second.lines.includes('state running'), 'the standby to take over');
    const b = await ticks(40, 3);
    await until(async () => Number((await tally()).total) === Number(before.total) + a + b, 'the new leader to apply');
    second.child.kill('SIGKILL');
    await second.exited;
    expect((await tally()).applications).toBe(before.applications + 80);
    const rows = await appliedRows();
    expect(rows.n).toBe(rows.distinct);
  });
});
