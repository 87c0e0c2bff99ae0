/**
 * A child process of the audit benchmark, so that its peak RSS is its own:
 * `audit-verify-child.ts <url> [port]` recomputes the chain once with `verifyChain`'s defaults
 * (as `postledger audit verify` and `GET /v1/audit/verify` run it) and prints
 * `{events, seconds, cpuPerEventUs, maxRssMiB}`; CPU and RSS include its worker threads.
 * With `port`, the peer: one thread reading the log through the EventStore port (how
 * verification ran before ranges and the text reader, and how it runs over EventStoreDB).
 */
import { Pool } from 'pg';
import { verifyChain } from '../src/audit/verify';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
// the store behind the port only: verification reads it as it would any adapter (the tests' helper)
import { portOnly } from '../tests/support/port-only';


/** CPU time of this process (user + system, every thread), in µs. */
const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function main(): Promise<void> {
  const [url, peer] = process.argv.slice(2);
  if (!url || (peer !== undefined && peer !== 'port')) throw new Error('usage: audit-verify-child.ts <database url> [port]');
  const pool = new Pool({ connectionString: url, max: 10 });
  const store = new PostgresEventStore({ connection: { connectionString: url }, pool });
  try {
    const started = process.hrtime.bigint();
    const cpuBefore = cpuUs();
    const result = peer === 'port' ? await verifyChain(portOnly(store), pool, { parallel: 1 }) : await verifyChain(store, pool);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!result.ok) throw new Error(`the chain did not verify: ${JSON.stringify(result)}`);
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ events: result.checked, seconds, cpuPerEventUs: (cpuUs() - cpuBefore) / result.checked, maxRssMiB })}\n`);
  } finally {
    await store.close();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
