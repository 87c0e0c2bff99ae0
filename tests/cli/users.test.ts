import { randomUUID } from 'node:crypto';
import { parseArgs, USAGE } from '../../src/cli/args';
import { runCli } from '../../src/cli/run';
import { changePlatformRole } from '../../src/cli/users';
import type { EventStore } from '../../src/eventstore/port';
import { startTestApi, type TestApi, type TestUser } from '../support/api';
import { FakeProcess } from '../support/fake-process';
import { unusedPort } from '../support/ports';

describe('parseArgs: users', () => {
  it('reads grant-role and revoke-role with an email and a platform role', () => {
    expect(parseArgs(['users', 'grant-role', 'ann@example.com', 'admin'])).toEqual({ command: 'users', action: 'grant-role', email: 'ann@example.com', role: 'admin' });
    expect(parseArgs(['users', 'revoke-role', 'ann@example.com', 'analyst'])).toEqual({ command: 'users', action: 'revoke-role', email: 'ann@example.com', role: 'analyst' });
    expect(parseArgs(['users', 'grant-role', '--help'])).toEqual({ command: 'help' });
  });

  it.each([
    [['users'], '"users" needs grant-role or revoke-role (got nothing)'],
    [['users', 'delete', 'ann@example.com'], '"users" needs grant-role or revoke-role (got "delete")'],
    [['users', 'grant-role', 'ann@example.com'], '"users grant-role" takes <email> <role>'],
    [['users', 'revoke-role', 'ann@example.com', 'admin', 'now'], '"users revoke-role" takes <email> <role>'],
    [['users', 'grant-role', 'ann@example.com', 'owner'], 'unknown role "owner": the platform roles are admin, auditor, analyst'],
  ])('rejects %j', (argv, error) => {
    expect(parseArgs(argv)).toEqual({ command: 'invalid', error });
  });

  it('documents both commands', () => {
    expect(USAGE).toContain('  users grant-role <email> <role> ');
    expect(USAGE).toContain('  users revoke-role <email> <role> ');
  });
});

describe('postledger users grant-role / revoke-role', () => {
  let api: TestApi;
  let ann: TestUser;

  beforeAll(async () => {
    api = await startTestApi();
    ann = await api.register();
  });
  afterAll(async () => {
    await api.close();
  });

  async function cli(...argv: string[]): Promise<FakeProcess> {
    const host = new FakeProcess({ DATABASE_URL: api.database.connectionString, DATA_DIR: api.dataDir, LOG_LEVEL: 'silent' });
    await runCli(['users', ...argv], host);
    return host;
  }

  it('grants a platform role as the system actor cli, and the user can use it on the next request', async () => {
    const host = await cli('grant-role', ann.email.toUpperCase(), 'admin');
    expect(host.stdout.text).toBe(`granted admin to ${ann.email.toUpperCase()}; platform roles now: admin\n`);
    expect(host.stderr.text).toBe('');
    expect(host.exits).toEqual([0]);
    expect((await api.store.readStream(`user-${ann.userId}`)).at(-1)).toMatchObject({
      type: 'UserPlatformRolesSet',
      data: { roles: ['admin'] },
      metadata: { actor: { type: 'system', id: 'cli' }, correlationId: expect.any(String) },
    });
    const other = await api.register();
    const res = await api.http.put(`/v1/admin/users/${other.userId}/roles`).set(ann.auth).send({ roles: ['analyst'] });
    expect(res.status).toBe(200);
  });

  it('says so when the user already has the role, appending nothing', async () => {
    await cli('grant-role', ann.email, 'admin');
    const before = (await api.events()).length;
    const host = await cli('grant-role', ann.email, 'admin');
    expect(host.stdout.text).toBe(`${ann.email} already had admin; platform roles now: admin\n`);
    expect(host.exits).toEqual([0]);
    expect((await api.events()).length).toBe(before);
  });

  it('revokes a role, keeping the others, and says so when the user did not have it', async () => {
    const bob = await api.register();
    await cli('grant-role', bob.email, 'analyst');
    expect((await cli('grant-role', bob.email, 'auditor')).stdout.text).toBe(`granted auditor to ${bob.email}; platform roles now: auditor, analyst\n`);
    expect((await cli('revoke-role', bob.email, 'analyst')).stdout.text).toBe(`revoked analyst from ${bob.email}; platform roles now: auditor\n`);
    expect((await cli('revoke-role', bob.email, 'auditor')).stdout.text).toBe(`revoked auditor from ${bob.email}; platform roles now: (none)\n`);
    const host = await cli('revoke-role', bob.email, 'auditor');
    expect(host.stdout.text).toBe(`${bob.email} did not have auditor; platform roles now: (none)\n`);
    expect(host.exits).toEqual([0]);
  });

  it('exits 2 with a clear message for an unknown email, appending nothing', async () => {
    const before = (await api.events()).length;
    const host = await cli('grant-role', 'nobody@example.com', 'admin');
    expect(host.stdout.text).toBe('');
    expect(host.stderr.text).toBe('postledger: no user has the email "nobody@example.com"\n');
    expect(host.exits).toEqual([2]);
    expect((await api.events()).length).toBe(before);
  });

  it('exits 2 for an email whose registration never reached the log', async () => {
    const email = `half-${randomUUID()}@example.com`;
    await api.assembly.deps.credentials.reserveEmail(randomUUID(), email, 'not-a-hash');
    const host = await cli('grant-role', email, 'admin');
    expect(host.stderr.text).toBe(`postledger: no user has the email "${email}"\n`);
    expect(host.exits).toEqual([2]);
  });

  it('passes on a failure of the event log as it is', async () => {
    const broken = { readStream: () => Promise.reject(new Error('event log is down')) } as unknown as EventStore;
    await expect(changePlatformRole(broken, api.pool, { action: 'grant-role', email: ann.email, role: 'auditor' })).rejects.toThrow('event log is down');
  });

  it('exits 2 with the usage for an unknown role, before touching the database', async () => {
    const host = new FakeProcess({ DATABASE_URL: 'postgres://127.0.0.1:1/never' });
    await runCli(['users', 'grant-role', ann.email, 'superuser'], host);
    expect(host.stderr.text).toBe(`postledger: unknown role "superuser": the platform roles are admin, auditor, analyst\n\n${USAGE}`);
    expect(host.exits).toEqual([2]);
  });

  it('exits 1 on a bad configuration and on a database it cannot reach', async () => {
    const bad = new FakeProcess({ DATABASE_URL: 'mysql://x' });
    await runCli(['users', 'grant-role', ann.email, 'admin'], bad);
    expect(bad.stderr.text).toBe('DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "mysql://x")\n');
    expect(bad.exits).toEqual([1]);

    const port = await unusedPort();
    const down = new FakeProcess({ DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${port}/x`, LOG_LEVEL: 'silent' });
    await runCli(['users', 'revoke-role', ann.email, 'admin'], down);
    expect(down.stderr.text).toBe(`postledger users revoke-role failed: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    expect(down.exits).toEqual([1]);
  });
});
