import { type Config, ConfigError, loadConfig } from './platform/config';
import { createLogger } from './platform/logger';
import { type Service, startService } from './service';

/** The parts of `process` the entry points use; tests pass their own. */
export interface HostProcess {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): void;
}

/** The validated configuration; on a ConfigError, its one line goes to stderr and the process exits 1. */
export function configOrExit(host: HostProcess): Config | undefined {
  try {
    return loadConfig(host.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    host.stderr.write(`${error.message}\n`);
    host.exit(1);
    return undefined;
  }
}

/** The same signal again within this many ms of the first is the same request, delivered twice. */
export const REPEATED_SIGNAL_MS = 500;

/**
 * Runs the service until SIGTERM or SIGINT, then shuts it down in order and exits 0. A second
 * signal during shutdown exits 1 at once, unless it is the first one again within
 * REPEATED_SIGNAL_MS (a terminal's Ctrl-C reaches the service both directly and relayed by npm);
 * a start-up failure exits 1.
 */
export async function serve(host: HostProcess): Promise<void> {
  const config = configOrExit(host);
  if (!config) return;
  const logger = createLogger(config.logLevel);
  let service: Service | undefined;
  let signal: string | undefined;

  const shutdown = async (running: Service) => {
    logger.info({ signal }, 'shutting down');
    // a step that failed to close has been logged at error; the process is done either way
    const clean = await running.close();
    logger.info({ clean }, 'shutdown complete');
    host.exit(0);
  };
  let signalledAt = 0;
  const onSignal = (received: string) => {
    if (signal) {
      // Ctrl-C under `npm start` arrives twice at once: from the terminal, and relayed by npm
      if (received === signal && Date.now() - signalledAt < REPEATED_SIGNAL_MS) {
        logger.debug({ signal: received }, 'the same signal again at once (relayed): ignored');
        return;
      }
      logger.warn({ signal: received }, 'second signal during shutdown: exiting now');
      host.exit(1);
      return;
    }
    signal = received;
    signalledAt = Date.now();
    // a signal during start-up is acted on once start-up has finished
    if (service) void shutdown(service);
  };
  host.on('SIGTERM', () => onSignal('SIGTERM'));
  host.on('SIGINT', () => onSignal('SIGINT'));

  try {
    service = await startService(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'Postledger failed to start');
    host.exit(1);
    return;
  }
  if (signal) await shutdown(service);
}
