/** What `postledger <command>` was asked to do. */
export type CliCommand = { command: 'serve' | 'migrate' | 'help' } | { command: 'invalid'; error: string };

export const USAGE = `Usage: postledger <command>

Commands:
  serve     run the HTTP service (what \`npm start\` does)
  migrate   apply the database migrations and print their ids
  help      show this text

Configuration is read from the environment (see README.md); with no DATABASE_URL an
embedded PostgreSQL is started under DATA_DIR (default .data).
`;

/**
 * Parses the command line (without `node` and the script).
 *
 * ```ts
 * parseArgs(['migrate']); // { command: 'migrate' }
 * ```
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h' || rest.some(isHelpFlag)) {
    return { command: 'help' };
  }
  if (first !== 'serve' && first !== 'migrate') return { command: 'invalid', error: `unknown command "${first}"` };
  if (rest.length > 0) return { command: 'invalid', error: `"${first}" takes no arguments (got "${rest.join(' ')}")` };
  return { command: first };
}

const isHelpFlag = (arg: string) => arg === '--help' || arg === '-h';
