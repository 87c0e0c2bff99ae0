import { projections } from '../projections';
import { rebuildProjection } from '../projections/rebuild';
import { readModelDb } from '../projections/read-models';
import type { HostProcess } from '../serve';
import { openLogAccess, runCommand } from './command';

/**
 * `postledger projections rebuild <name|all>`: rebuilds each named projection from the log
 * into fresh tables and swaps them in (see projections/rebuild.ts) while the service keeps
 * running. A progress bar on a terminal (stderr), progress lines in the logs otherwise; one
 * line per projection on stdout. Exit 0 when all were rebuilt, 1 on a failure, 2 for an
 * unknown name.
 */
export async function runProjectionsRebuild(host: HostProcess & { stderr: { isTTY?: boolean } }, target: string): Promise<void> {
  const chosen = target === 'all' ? projections : projections.filter((p) => p.name === target);
  if (chosen.length === 0) {
    host.stderr.write(`postledger projections rebuild: unknown projection "${target}"; one of ${projections.map((p) => p.name).join(', ')}, or all\n`);
    host.exit(2);
    return;
  }
  await runCommand(host, 'projections rebuild', async (context) => {
    const { pool, connectionString, store, rawStore, logger } = await openLogAccess(context);
    const db = readModelDb(pool);
    for (const projection of chosen) {
      // as the service runs it: the audit chain reads the log as stored, the others with personal data opened
      const result = await rebuildProjection({ db, store: projection.storedForm ? rawStore : store, projection, lockConnection: { connectionString }, logger, progressStream: host.stderr });
      const rate = result.seconds > 0 ? Math.round(result.events / result.seconds) : result.events;
      host.stdout.write(`rebuilt ${result.projection}: ${result.events} events in ${result.seconds.toFixed(1)} s (${rate} events/s), checkpoint ${result.position}\n`);
    }
    return 0;
  });
}
