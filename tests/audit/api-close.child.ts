/**
 * Run by api-close.test.ts in a process of its own (`node --import tsx`): serves the API over
 * the given schema, makes the requests the audit benchmark makes (register, role change,
 * `GET /v1/events`, `GET /v1/audit/verify`, one that waits on `X-Min-Position`), closes
 * everything the way the service does, then prints the kinds of handle still open as one JSON line and returns, without process.exit:
 * the process must end by itself.
 */
import { changePlatformRole } from '../../src/cli/users';
import { serveApi } from './serve-api';

async function main(): Promise<void> {
  const [connectionString, dataDir] = process.argv.slice(2);
  if (!connectionString || !dataDir) throw new Error('usage: node --import tsx api-close.child.ts <connection string> <data dir>');
  const { pool, store, rawStore, assembly, server, port } = await serveApi(connectionString, dataDir, { keyCacheSize: 100, minPositionTimeoutMs: 300 });
  const base = `http://127.0.0.1:${port}`;
  const email = `closer-${process.pid}@example.com`;
  const registered = await fetch(`${base}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: 'Closer' }),
  });
  const { accessToken } = (await registered.json()) as { accessToken: string };
  await changePlatformRole(store, pool, { action: 'grant-role', email, role: 'analyst' });
  await changePlatformRole(store, pool, { action: 'grant-role', email, role: 'auditor' });
  const auth = { Authorization: `Bearer ${accessToken}` };
  const exported = await fetch(`${base}/v1/events`, { headers: auth });
  const lines = (await exported.text()).split('\n').filter(Boolean).length;
  const verified = await fetch(`${base}/v1/audit/verify`, { headers: auth });
  const verify = (await verified.json()) as unknown;
  // no projector runs here: a read that waits for one times out (503), through the LISTEN connection and a timer
  const waited = await fetch(`${base}/v1/audit/verify`, { headers: { ...auth, 'X-Min-Position': '1000000' } });
  await waited.text();

  server.closeAllConnections();
  server.close();
  await assembly.close();
  await rawStore.close();
  await pool.end();
  // what is still open once closing has settled: this process's own fetch sockets close a moment
  // after the server's side, so look again for up to 2 s until only stdio is left
  let open = process.getActiveResourcesInfo();
  for (let tries = 0; tries < 40 && open.some((kind) => kind !== 'PipeWrap' && kind !== 'TTYWrap'); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    open = process.getActiveResourcesInfo();
  }
  process.stdout.write(`${JSON.stringify({ statuses: [registered.status, exported.status, verified.status, waited.status], lines, verify, open })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exitCode = 1;
});
