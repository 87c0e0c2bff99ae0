/**
 * A child process of the audit benchmark, so that its peak RSS is its own:
 * `serve <url> <data dir>` serves the API on a free port, prints `{port, token}`, then on a line
 * `stop` on stdin prints `{maxRssMiB, cpuUs}` and exits, by itself: nothing may be left holding
 * it. (Verification runs in audit-verify-child.ts, which loads none of the API.)
 */
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { Pool } from 'pg';
import { changePlatformRole } from '../src/cli/users';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import { buildApi } from '../src/http/api';
import { createApp } from '../src/http/app';
import { serverFor } from '../src/http/server';
import { createLogger } from '../src/platform/logger';
import { createMetrics } from '../src/platform/metrics';
import { sealPersonalData } from '../src/personal-data';

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;
/** CPU time of this process (user + system), in µs. */
const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function main(): Promise<void> {
  const [mode, url, dataDir] = process.argv.slice(2);
  if (mode !== 'serve' || !url || !dataDir) throw new Error('usage: audit-child.ts serve <database url> <data dir>');
  const pool = new Pool({ connectionString: url, max: 10 });
  const rawStore = new PostgresEventStore({ connection: { connectionString: url }, pool });
  const logger = createLogger('silent');
  // as the service runs it: the export reads through the store that opens personal data
  const { store, personKeys } = await sealPersonalData(rawStore, { pool, dataDir, keyCacheSize: 10_000, keyCacheTtlMs: 60_000 });
  const assembly = await buildApi({
    config: {
      auth: { issuer: 'bench', audience: 'bench', accessTokenTtlSeconds: 3600, refreshTokenTtlDays: 1 },
      dataDir,
      rateLimits: { windowMs: 60_000, credentials: 1000, webhook: 1000, api: 100_000 },
    },
    pool,
    store,
    rawStore,
    personKeys,
    logger,
    webhookSecret: 'x'.repeat(32),
  });
  const app = createApp({ logger, metrics: createMetrics(), readinessChecks: [], routes: [assembly.router], corsOrigins: [] });
  const server = serverFor(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const email = `analyst-${process.pid}-${Date.now()}@example.com`;
  const registered = await fetch(`http://127.0.0.1:${port}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: 'Bench analyst' }),
  });
  const { accessToken } = (await registered.json()) as { accessToken: string };
  await changePlatformRole(store, pool, { action: 'grant-role', email, role: 'analyst' });
  process.stdout.write(`${JSON.stringify({ port, token: accessToken })}\n`);
  // what the process had reached before the export: the API, one registration (argon2id), the role change
  const readyMiB = maxRssMiB();
  const cpuBefore = cpuUs();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'stop') break;
  }
  // leaving the loop closes the interface but leaves stdin flowing, and a flowing pipe keeps
  // the process alive: this, not a timer of the API, is what kept this child from exiting
  process.stdin.destroy();
  process.stdout.write(`${JSON.stringify({ maxRssMiB: maxRssMiB(), readyMiB, cpuUs: cpuUs() - cpuBefore })}\n`);
  server.close();
  await assembly.close();
  await rawStore.close();
  await pool.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
