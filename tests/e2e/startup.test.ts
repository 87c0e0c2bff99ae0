import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unusedPort } from '../support/ports';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');


interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a command with only the variables given (and PATH), so the test's own environment does not leak in. */
function run(command: string, args: string[], env: Record<string, string>, options: { detached?: boolean } = {}): Run {
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, detached: options.detached ?? false });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the service as a process (tsx src/main.ts)', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase('e2e')));
  afterAll(() => db.drop());

  it('exits 1 with one line naming PORT when PORT is not a number', async () => {
    const service = run(TSX, ['src/main.ts'], { PORT: 'abc' });
    expect(await service.exit).toEqual({ code: 1, signal: null });
    expect(service.stderr()).toBe('PORT: must be an integer from 1 to 65535 (got "abc")\n');
    expect(service.stdout()).toBe('');
  });

  it('starts, answers /healthz and /readyz, and exits 0 soon after SIGTERM, logging JSON lines', async () => {
    const port = await unusedPort();
    const service = run(TSX, ['src/main.ts'], { DATABASE_URL: db.connectionString, PORT: String(port), HOST: '127.0.0.1' });
    try {
      await waitFor(() => service.stdout().includes('Postledger is listening'), 'the service to listen');
      const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(healthz.status).toBe(200);
      expect(await healthz.json()).toEqual({ status: 'ok' });
      const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toMatchObject({ status: 'ready', dependencies: { postgres: { status: 'up' }, eventstore: { status: 'up' } } });

      const stopped = Date.now();
      service.child.kill('SIGTERM');
      expect(await service.exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - stopped).toBeLessThan(5000);
    } finally {
      service.child.kill('SIGKILL');
    }
    const records = service.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string });
    expect(records.map((r) => r.msg)).toEqual(expect.arrayContaining(['Postledger is listening', 'shutting down', 'closed HTTP server', 'shutdown complete']));
    expect(records.some((r) => /^applied \d+ migration\(s\)$/.test(r.msg))).toBe(true);
    expect(service.stdout()).not.toContain(':postledger@'); // no password of any kind in the logs
    expect(service.stderr()).toBe('');
  });
});

describe('postledger migrate (bin/postledger.js) with no DATABASE_URL', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-e2e-'));
  // run as root, the embedded server runs as the `postgres` user, who must reach the data directory
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts the embedded PostgreSQL under DATA_DIR, applies the migrations once, and stops it', async () => {
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await unusedPort()), LOG_LEVEL: 'warn' };
    const first = run('node', ['bin/postledger.js', 'migrate'], env);
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(first.stdout().split('\n')[0]).toBe('applied 0001_event_log');
    expect(first.stdout()).toContain('applied 1001_auth_credentials\n');

    const second = run('node', ['bin/postledger.js', 'migrate'], env);
    expect(await second.exit).toEqual({ code: 0, signal: null });
    expect(second.stdout()).toBe('nothing to apply: the database schema is up to date\n');
    expect(second.stderr()).toBe('');
  });
});

/** The arguments of `node` in package.json's start script (`node --require tsx/cjs src/main.ts`). */
const START_ARGS = (() => {
  const [command, ...args] = (JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node`);
  return args;
})();

describe('npm start with no settings: the embedded PostgreSQL', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-e2e-'));
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(env: Record<string, string>, options: { detached?: boolean } = {}): Promise<Run> {
    // `npm start`'s own command, one process (no npm or tsx wrapper), so that SIGKILL really kills the service
    const service = run(process.execPath, START_ARGS, env, options);
    await waitFor(() => service.stdout().includes('Postledger is listening'), 'the service to listen', 60_000);
    return service;
  }

  async function register(port: number, email: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${port}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: 'E2E' }),
    });
    return res.status;
  }

  it('serves, stops cleanly (embedded server last), starts again after a clean stop and after kill -9, keeping its data', async () => {
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await unusedPort()), HOST: '127.0.0.1' };
    const port = await unusedPort();
    const first = await start({ ...env, PORT: String(port) });
    expect(await register(port, 'kept@example.com')).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exit).toEqual({ code: 0, signal: null });
    const messages = first.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string });
    expect(messages.filter((m) => m.level === 'error' || m.level === 'fatal')).toEqual([]);
    const closed = messages.map((m) => m.msg).filter((m) => m.startsWith('closed '));
    expect(closed.at(-1)).toBe('closed embedded PostgreSQL');
    expect(messages.map((m) => m.msg)).toContain('shutdown complete');

    const second = await start({ ...env, PORT: String(port) });
    expect(await register(port, 'kept@example.com')).toBe(409); // the first start's data is still there
    second.child.kill('SIGKILL');
    await second.exit;

    // the killed service left its PostgreSQL running on the data directory: the next start must cope
    // (in a process group of its own, as a terminal runs it)
    const third = await start({ ...env, PORT: String(port) }, { detached: true });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect(await register(port, 'kept@example.com')).toBe(409);
      expect(await register(port, 'new@example.com')).toBe(201);
    } finally {
      // Ctrl-C: SIGINT to the whole group; the embedded server, in a group of its own, is stopped by the service, last
      process.kill(-third.child.pid!, 'SIGINT');
      expect(await third.exit).toEqual({ code: 0, signal: null });
    }
    const stopped = third.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string; clean?: boolean });
    expect(stopped.filter((m) => m.level === 'error' || m.level === 'fatal')).toEqual([]);
    expect(stopped.filter((m) => m.msg.startsWith('closed ')).at(-1)?.msg).toBe('closed embedded PostgreSQL');
    expect(stopped.find((m) => m.msg === 'shutdown complete')).toMatchObject({ clean: true });
  }, 120_000);
});
