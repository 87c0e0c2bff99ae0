import { createServer } from 'node:net';
import { configOrExit, REPEATED_SIGNAL_MS, serve } from '../src/serve';
import { createTestDatabase, type TestDatabase } from './support/database';
import { FakeProcess } from './support/fake-process';
import { unusedPort } from './support/ports';


/** A stand-in for `process`: signals are emitted by the test, exits are recorded. */

async function healthz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
}

describe('serve', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase('serve')));
  afterAll(() => db.drop());

  const envFor = (port: number) => ({ DATABASE_URL: db.connectionString, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' });

  it('prints a ConfigError as one line on stderr and exits 1', async () => {
    const host = new FakeProcess({ PORT: 'abc' });
    await serve(host);
    expect(host.stderr.text).toBe('PORT: must be an integer from 1 to 65535 (got "abc")\n');
    expect(host.exits).toEqual([1]);
    expect(host.listenerCount('SIGTERM')).toBe(0);
  });

  it('runs until SIGTERM, then shuts down and exits 0', async () => {
    const port = await unusedPort();
    const host = new FakeProcess(envFor(port));
    await serve(host);
    expect(await healthz(port)).toBe(200);
    host.emit('SIGTERM');
    expect(await host.exitCode).toBe(0);
    await expect(healthz(port)).rejects.toThrow();
  });

  it('exits 1 at once on a second signal during shutdown', async () => {
    const port = await unusedPort();
    const host = new FakeProcess(envFor(port));
    await serve(host);
    host.emit('SIGINT');
    host.emit('SIGTERM');
    expect(host.exits[0]).toBe(1);
    // the first shutdown still finishes
    for (let waited = 0; host.exits.length < 2 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(host.exits).toEqual([1, 0]);
  });

  it('takes the same signal twice at once (Ctrl-C from the terminal and relayed by npm) as one, and a later one as a second', async () => {
    const port = await unusedPort();
    const host = new FakeProcess(envFor(port));
    await serve(host);
    host.emit('SIGINT');
    host.emit('SIGINT');
    expect(host.exits).toEqual([]);
    // a deliberate second Ctrl-C, later, still exits at once
    await new Promise((resolve) => setTimeout(resolve, REPEATED_SIGNAL_MS + 100));
    host.emit('SIGINT');
    for (let waited = 0; !host.exits.includes(0) && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    // 1 for the second signal, 0 when the first shutdown finished, in whichever order they came
    expect([...host.exits].sort()).toEqual([0, 1]);
    await expect(healthz(port)).rejects.toThrow();
  });

  it('shuts down cleanly on the same signal twice at once', async () => {
    const port = await unusedPort();
    const host = new FakeProcess(envFor(port));
    await serve(host);
    host.emit('SIGTERM');
    host.emit('SIGTERM');
    for (let waited = 0; host.exits.length === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(host.exits).toEqual([0]);
  });

  it('shuts down once start-up has finished when a signal comes during it', async () => {
    const port = await unusedPort();
    const host = new FakeProcess(envFor(port));
    const serving = serve(host);
    host.emit('SIGTERM');
    await serving;
    expect(host.exits).toEqual([0]);
    await expect(healthz(port)).rejects.toThrow();
  });

  it('exits 1 when start-up fails', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const host = new FakeProcess(envFor((blocker.address() as { port: number }).port));
      await serve(host);
      expect(host.exits).toEqual([1]);
    } finally {
      blocker.close();
    }
  });
});

describe('configOrExit', () => {
  it('lets an error other than ConfigError through', () => {
    const env = new Proxy({}, { get: () => { throw new Error('environment unreadable'); } });
    expect(() => configOrExit(new FakeProcess(env))).toThrow('environment unreadable');
  });
});
