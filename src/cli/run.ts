import { describeError } from '../platform/health';
import { createLogger } from '../platform/logger';
import { configOrExit, type HostProcess, serve } from '../serve';
import { migrateDatabase } from '../service';
import { parseArgs, USAGE } from './args';
import { runAuditVerify } from './audit';
import { runProjectionsStatus } from './projections';
import { runProjectionsRebuild } from './projections-rebuild';
import { runReplay } from './replay';
import { runUsersCommand } from './users';

/**
 * Runs `postledger <command>`: exits 0 on success, 1 when the command failed, 2 when it was
 * not understood. `serve` runs until a signal.
 */
export async function runCli(argv: readonly string[], host: HostProcess): Promise<void> {
  const parsed = parseArgs(argv);
  switch (parsed.command) {
    case 'help':
      host.stdout.write(USAGE);
      host.exit(0);
      return;
    case 'invalid':
      host.stderr.write(`postledger: ${parsed.error}\n\n${USAGE}`);
      host.exit(2);
      return;
    case 'serve':
      // --role is the ROLES setting for this process; the configuration validates it
      if (parsed.roles !== undefined) host.env = { ...host.env, ROLES: parsed.roles };
      return serve(host);
    case 'migrate':
      return migrate(host);
    case 'users':
      return runUsersCommand(host, parsed);
    case 'projections-status':
      return runProjectionsStatus(host);
    case 'projections-rebuild':
      return runProjectionsRebuild(host, parsed.target);
    case 'audit-verify':
      return runAuditVerify(host, parsed);
    case 'replay':
      return runReplay(host, parsed);
  }
}

/** Applies the migrations, prints one line per migration applied; logs go to stderr. */
async function migrate(host: HostProcess): Promise<void> {
  const config = configOrExit(host);
  if (!config) return;
  const logger = createLogger(config.logLevel, { write: (line: string) => host.stderr.write(line) });
  try {
    const applied = await migrateDatabase(config, logger);
    host.stdout.write(applied.length > 0 ? applied.map((id) => `applied ${id}\n`).join('') : 'nothing to apply: the database schema is up to date\n');
    host.exit(0);
  } catch (error) {
    host.stderr.write(`postledger migrate failed: ${describeError(error)}\n`);
    host.exit(1);
  }
}
