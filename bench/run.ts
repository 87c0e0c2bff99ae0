/**
 * `npm run bench -- <name>` (`tsx bench/run.ts <name>`): runs one benchmark.
 * Each benchmark prints a markdown table, records it in bench/RESULTS.md, and ends its
 * output with a one-line summary.
 */
import { runAuditBenchmark } from './audit';
import { runCommandsBenchmark } from './commands';
import { runEventStoreBenchmark } from './eventstore';
import { runKafkaBenchmark } from './kafka';
import { runPersonalDataBenchmark } from './personal-data';
import { runProjectionsBenchmark } from './projections';
import { runRealtimeBenchmark } from './realtime';

const BENCHMARKS: Record<string, { about: string; run: () => Promise<void> }> = {
  eventstore: {
    about: 'PostgresEventStore vs Emmett (PostgreSQL) vs raw INSERTs: appends, batch append, readStream, readAll',
    run: runEventStoreBenchmark,
  },
  kafka: { about: 'outbound relay on a real Kafka broker: throughput over 100k events, end-to-end lag p50/p99 at 1,000 events/s', run: runKafkaBenchmark },
  'personal-data': { about: 'the cost of sealing personal data: raw vs sealed store on appends, user-stream loads, readAll; the bare cipher', run: runPersonalDataBenchmark },
  realtime: {
    about: 'WebSocket gateway: 2000 clients over 50 workspaces, events appended at 500/s: delivery latency and memory per idle connection',
    run: runRealtimeBenchmark,
  },
  projections: {
    about: 'read side: rebuild rate over a mixed log, projection lag at 1,000 events/s, post list and analytics overview on 100k posts / 1M snapshots',
    run: runProjectionsBenchmark,
  },
  audit: { about: 'tamper-evidence chain verification and NDJSON export (GET /v1/events) over 1M events, with peak RSS', run: runAuditBenchmark },
  commands: { about: 'HTTP write side with autocannon: create-post (vs the event store) and engagement batches of 1000 snapshots', run: runCommandsBenchmark },
};

function usage(): string {
  const names = Object.entries(BENCHMARKS).map(([name, { about }]) => `  ${name.padEnd(12)} ${about}`);
  return ['usage: npm run bench -- <name>', '', 'benchmarks:', ...names].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args[0];
  if (args.length !== 1 || name === undefined || !Object.hasOwn(BENCHMARKS, name)) {
    if (name !== undefined && name !== '--help' && name !== '-h') console.error(`unknown benchmark: ${args.join(' ')}\n`);
    console.error(usage());
    process.exit(2);
  }
  await BENCHMARKS[name]!.run();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
