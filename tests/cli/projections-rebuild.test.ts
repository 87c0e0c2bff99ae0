import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { parseArgs } from '../../src/cli/args';
import { runCli } from '../../src/cli/run';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { projections } from '../../src/projections';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FakeProcess } from '../support/fake-process';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('clirebuild');
});
afterAll(async () => {
  await db.drop();
});

describe('postledger projections rebuild', () => {
  it('parses a projection name or all', () => {
    expect(parseArgs(['projections', 'rebuild', 'posts'])).toEqual({ command: 'projections-rebuild', target: 'posts' });
    expect(parseArgs(['projections', 'rebuild', 'all'])).toEqual({ command: 'projections-rebuild', target: 'all' });
    expect(parseArgs(['projections', 'rebuild'])).toMatchObject({ command: 'invalid' });
    expect(parseArgs(['projections', 'rebuild', 'a', 'b'])).toMatchObject({ command: 'invalid' });
  });

  it('rebuilds one projection from the log, with progress lines in the logs when stderr is no terminal', async () => {
    const first = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'silent' });
    // migrates the database, so that there is a log to write to
    await runCli(['projections', 'rebuild', 'accounts'], first);
    expect(first.exits).toEqual([0]);
    const pool = new Pool(db.connection);
    const store = new PostgresEventStore({ connection: db.connection, pool });
    try {
      const accountId = randomUUID();
      await store.appendToStream(`account-${accountId}`, [
        {
          id: randomUUID(),
          type: 'AccountConnected',
          data: { accountId, workspaceId: randomUUID(), platform: 'x', handle: '@acme', externalId: 'x-1', connectedBy: randomUUID() },
        },
      ]);
      const host = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'info' });
      await runCli(['projections', 'rebuild', 'accounts'], host);
      expect(host.exits).toEqual([0]);
      expect(host.stdout.text).toMatch(
        /^rebuilt accounts: 1 events, checkpoint \d+\nread 1 log events once in \d+\.\d s \(\d+ events\/s\); applied 1 events across 1 projections \(\d+ events\/s\)\n$/,
      );
      const logged = host.stderr.text.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
      expect(logged.map((l) => l.msg)).toEqual(expect.arrayContaining(['rebuild accounts: progress', 'rebuild done: the new tables are live']));
      expect((await pool.query('select handle from rm_accounts')).rows).toEqual([{ handle: '@acme' }]);
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('rebuilds every projection with all, from one read of the log', async () => {
    const host = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'info' });
    await runCli(['projections', 'rebuild', 'all'], host);
    expect(host.exits).toEqual([0]);
    const lines = host.stdout.text.trim().split('\n');
    expect(lines.slice(0, -1).map((l) => l.split(':')[0])).toEqual(projections.map((p) => `rebuilt ${p.name}`));
    // the account event of the test before: read once, applied by accounts and the audit chain
    expect(lines.at(-1)).toMatch(new RegExp(`^read 1 log events once in \\d+\\.\\d s \\(\\d+ events/s\\); applied 2 events across ${projections.length} projections \\(\\d+ events/s\\)$`));
    const logged = host.stderr.text.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(logged.filter((l) => l.msg === 'rebuild done: the new tables are live')).toHaveLength(projections.length);
    expect(logged.map((l) => l.msg)).toContain(`rebuild ${projections.length} projections: 1 log positions read once, 2 events applied; building indexes`);
  });

  it('refuses an unknown projection (exit 2) and reports a database it cannot reach (exit 1)', async () => {
    const unknown = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'silent' });
    await runCli(['projections', 'rebuild', 'nope'], unknown);
    expect(unknown.exits).toEqual([2]);
    expect(unknown.stderr.text).toContain('unknown projection "nope"');
    const down = new FakeProcess({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
    await runCli(['projections', 'rebuild', 'posts'], down);
    expect(down.exits).toEqual([1]);
    expect(down.stderr.text).toMatch(/postledger projections rebuild failed: /);
    const badConfig = new FakeProcess({ PORT: 'x' });
    await runCli(['projections', 'rebuild', 'posts'], badConfig);
    expect(badConfig.exits).toEqual([1]);
  });
});
