import { type PlatformRole, platformRoles } from '../domain/user/platform-roles';
import { AUDIT_USAGE, type AuditVerifyCommand, parseAudit, parseReplay, type ReplayCommand } from './audit-args';

/** `users grant-role` or `users revoke-role`. */
export type RoleAction = 'grant-role' | 'revoke-role';

/** What `postledger <command>` was asked to do. */
export type CliCommand =
  | { command: 'migrate' | 'help' | 'projections-status' }
  | { command: 'serve'; roles?: string }
  | { command: 'projections-rebuild'; target: string }
  | { command: 'users'; action: RoleAction; email: string; role: PlatformRole }
  | AuditVerifyCommand
  | ReplayCommand
  | { command: 'invalid'; error: string };

export const USAGE = `Usage: postledger <command>

Commands:
  serve [--role api|projector|relay|all]
                                    run the service (what \`npm start\` does); --role picks what this
                                    process runs (default all; a comma list too; the same as ROLES=…)
  migrate                           apply the database migrations and print their ids
  projections status                each projection's checkpoint and state (exit 1 if one failed)
  projections rebuild <name|all>    rebuild projections from the log into new tables, then swap
                                    them in; the service keeps serving meanwhile
  users grant-role <email> <role>   give a user a platform role (admin, auditor, analyst)
  users revoke-role <email> <role>  take a platform role away from a user
${AUDIT_USAGE}  help                              show this text

Configuration is read from the environment (see README.md); with no DATABASE_URL an
embedded PostgreSQL is started under DATA_DIR (default .data).
`;

/**
 * Parses the command line (without `node` and the script).
 *
 * ```ts
 * parseArgs(['migrate']); // { command: 'migrate' }
 * parseArgs(['users', 'grant-role', 'ann@example.com', 'admin']); // { command: 'users', action: 'grant-role', … }
 * ```
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h' || rest.some(isHelpFlag)) {
    return { command: 'help' };
  }
  if (first === 'users') return parseUsers(rest);
  if (first === 'serve') return parseServe(rest);
  if (first === 'audit') return parseAudit(rest);
  if (first === 'replay') return parseReplay(rest);
  if (first === 'projections') {
    if (rest.length === 1 && rest[0] === 'status') return { command: 'projections-status' };
    if (rest.length === 2 && rest[0] === 'rebuild') return { command: 'projections-rebuild', target: rest[1]! };
    return { command: 'invalid', error: '"projections" takes: status, or rebuild <name|all>' };
  }
  if (first !== 'migrate') return { command: 'invalid', error: `unknown command "${first}"` };
  if (rest.length > 0) return { command: 'invalid', error: `"${first}" takes no arguments (got "${rest.join(' ')}")` };
  return { command: first };
}

function parseServe(rest: readonly string[]): CliCommand {
  if (rest.length === 0) return { command: 'serve' };
  const [flag, value, ...extra] = rest;
  if (flag === '--role' && value !== undefined && extra.length === 0) return { command: 'serve', roles: value };
  const inline = flag?.startsWith('--role=') && rest.length === 1 ? flag.slice('--role='.length) : undefined;
  if (inline) return { command: 'serve', roles: inline };
  return { command: 'invalid', error: `"serve" takes only --role <api|projector|relay|all> (got "${rest.join(' ')}")` };
}

function parseUsers([action, ...rest]: readonly string[]): CliCommand {
  if (action !== 'grant-role' && action !== 'revoke-role') {
    return { command: 'invalid', error: `"users" needs grant-role or revoke-role (got ${action === undefined ? 'nothing' : `"${action}"`})` };
  }
  const [email, role] = rest;
  if (email === undefined || role === undefined || rest.length > 2) return { command: 'invalid', error: `"users ${action}" takes <email> <role>` };
  if (!isPlatformRole(role)) return { command: 'invalid', error: `unknown role "${role}": the platform roles are ${platformRoles.join(', ')}` };
  return { command: 'users', action, email, role };
}

const isHelpFlag = (arg: string) => arg === '--help' || arg === '-h';
const isPlatformRole = (value: string): value is PlatformRole => (platformRoles as readonly string[]).includes(value);
