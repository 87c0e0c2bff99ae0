import { USAGE } from '../../src/cli/args';
import { runCli } from '../../src/cli/run';
import { createTestDatabase } from '../support/database';
import { FakeProcess } from '../support/fake-process';
import { unusedPort } from '../support/ports';



describe('runCli', () => {
  it('prints the usage for help and exits 0', async () => {
    const host = new FakeProcess();
    await runCli(['help'], host);
    expect(host.stdout.text).toBe(USAGE);
    expect(host.exits).toEqual([0]);
  });

  it('explains an unknown command on stderr and exits 2', async () => {
    const host = new FakeProcess();
    await runCli(['rebuild'], host);
    expect(host.stderr.text).toBe(`postledger: unknown command "rebuild"\n\n${USAGE}`);
    expect(host.exits).toEqual([2]);
  });

  it('serve --role is the ROLES setting, validated like it', async () => {
    const host = new FakeProcess({});
    await runCli(['serve', '--role', 'worker'], host);
    expect(host.stderr.text).toBe('ROLES: must be all, or a comma-separated list of api, projector, relay (got "worker")\n');
    expect(host.exits).toEqual([1]);
  });

  it('serve reports a bad configuration like the service does', async () => {
    const host = new FakeProcess({ PORT: 'abc' });
    await runCli(['serve'], host);
    expect(host.stderr.text).toBe('PORT: must be an integer from 1 to 65535 (got "abc")\n');
    expect(host.exits).toEqual([1]);
  });

  it('migrate prints each migration it applied, then that nothing is left; logs go to stderr', async () => {
    const db = await createTestDatabase('cli');
    try {
      const first = new FakeProcess({ DATABASE_URL: db.connectionString });
      await runCli(['migrate'], first);
      const applied = first.stdout.text.trim().split('\n');
      expect(applied[0]).toBe('applied 0001_event_log');
      expect(applied).toEqual(expect.arrayContaining(['applied 1001_auth_credentials', 'applied 2001_idempotency_keys', 'applied 3000_projection_checkpoints']));
      expect(first.exits).toEqual([0]);
      expect(first.stderr.text.trim().split('\n').map((l) => JSON.parse(l).msg)).toContain(`applied ${applied.length} migration(s)`);

      const second = new FakeProcess({ DATABASE_URL: db.connectionString, LOG_LEVEL: 'silent' });
      await runCli(['migrate'], second);
      expect(second.stdout.text).toBe('nothing to apply: the database schema is up to date\n');
      expect(second.stderr.text).toBe('');
      expect(second.exits).toEqual([0]);
    } finally {
      await db.drop();
    }
  });

  it('migrate reports a bad configuration on one line and exits 1', async () => {
    const host = new FakeProcess({ DATABASE_URL: 'mysql://x' });
    await runCli(['migrate'], host);
    expect(host.stderr.text).toBe('DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "mysql://x")\n');
    expect(host.exits).toEqual([1]);
  });

  it('migrate reports a database it cannot reach on one line, password masked, and exits 1', async () => {
    const port = await unusedPort();
    const host = new FakeProcess({ DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${port}/x`, LOG_LEVEL: 'silent' });
    await runCli(['migrate'], host);
    expect(host.stderr.text).toBe(`postledger migrate failed: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    expect(host.exits).toEqual([1]);
  });
});
