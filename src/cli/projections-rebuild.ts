import { projections } from '../projections';
import { rebuildProjections } from '../projections/rebuild';
import { readModelDb } from '../projections/read-models';
import type { HostProcess } from '../serve';
import { openLogAccess, runCommand } from './command';

/**
 * `postledger projections rebuild <name|all>`: rebuilds the named projection, or all of them
 * from one read of the log, into fresh tables and swaps them in (see projections/rebuild.ts)
 * while the service keeps running. A progress bar on a terminal (stderr), progress lines in
 * the logs otherwise; one line per projection on stdout, then what was read. Exit 0 when all
 * were rebuilt, 1 on a failure (nothing swapped), 2 for an unknown name.
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
    // as the service runs them: the audit chain reads the log as stored, the others with personal data opened
    const result = await rebuildProjections({ db: readModelDb(pool), store, rawStore, projections: chosen, lockConnection: { connectionString }, logger, progressStream: host.stderr });
    const perSecond = (n: number) => (result.seconds > 0 ? Math.round(n / result.seconds) : n);
    for (const r of result.projections) host.stdout.write(`rebuilt ${r.projection}: ${r.events} events, checkpoint ${r.position}\n`);
    host.stdout.write(
      `read ${result.logEvents} log events once in ${result.seconds.toFixed(1)} s (${perSecond(result.logEvents)} events/s); ` +
        `applied ${result.applied} events across ${result.projections.length} projections (${perSecond(result.applied)} events/s)\n`,
    );
    return 0;
  });
}
