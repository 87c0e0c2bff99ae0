import { Pool } from 'pg';
import { parseArgs } from '../../src/cli/args';
import { projectionStatus } from '../../src/cli/projections';
import { runCli } from '../../src/cli/run';
import { migrate } from '../../src/platform/migrations';
import { projectionMigrations, projections } from '../../src/projections';
import { createTestDatabase } from '../support/database';
import { FakeProcess } from '../support/fake-process';

describe('postledger projections status', () => {
  it('parses only "projections status"', () => {
    expect(parseArgs(['projections', 'status'])).toEqual({ command: 'projections-status' });
    expect(parseArgs(['projections'])).toMatchObject({ command: 'invalid' });
    expect(parseArgs(['projections', 'replay'])).toMatchObject({ command: 'invalid' });
  });

  it('lists every projection, never-started ones too, and exits 1 while one has failed', async () => {
    const db = await createTestDatabase('cliproj');
    const pool = new Pool(db.connection);
    try {
      // before any migration: every projection is "not started"
      expect((await projectionStatus(pool)).map((r) => r.status)).toEqual(projections.map(() => 'not started'));
      await migrate(pool, projectionMigrations);
      await pool.query(`insert into pl_projection_checkpoints (name, position, status) values ('posts', 42, 'running')`);
      await pool.query(`insert into pl_projection_checkpoints (name, position, status, error) values ('comments', 7, 'failed', 'at position 8: boom')`);
      const host = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'silent' });
      await runCli(['projections', 'status'], host);
      expect(host.stdout.text).toMatch(/^posts\s+running\s+position 42$/m);
      expect(host.stdout.text).toMatch(/^comments\s+failed\s+position 7\s+error: at position 8: boom$/m);
      expect(host.stdout.text).toMatch(/^memberships\s+not started\s+position 0$/m);
      expect(host.exits).toEqual([1]);
      await pool.query(`update pl_projection_checkpoints set status = 'running', error = null`);
      const healthy = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'silent' });
      await runCli(['projections', 'status'], healthy);
      expect(healthy.exits).toEqual([0]);
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  it('reports a database it cannot reach and exits 1', async () => {
    const host = new FakeProcess({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
    await runCli(['projections', 'status'], host);
    expect(host.stderr.text).toMatch(/^postledger projections status failed: /);
    expect(host.exits).toEqual([1]);
  });

  it('stops on a bad configuration', async () => {
    const host = new FakeProcess({ PORT: 'x' });
    await runCli(['projections', 'status'], host);
    expect(host.exits).toEqual([1]);
  });
});
