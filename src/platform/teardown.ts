import type { Logger } from './logger';

/**
 * What has been opened, closed in reverse order: the last thing started is the first stopped.
 * Every step runs even when an earlier one fails, and each is logged.
 *
 * ```ts
 * const teardown = new Teardown(logger);
 * const pool = new Pool(...); teardown.add('PostgreSQL pool', () => pool.end());
 * await teardown.run(); // false when a step failed
 * ```
 */
export class Teardown {
  private readonly steps: { name: string; close: () => Promise<void> | void }[] = [];

  constructor(private readonly logger: Logger) {}

  add(name: string, close: () => Promise<void> | void): void {
    this.steps.push({ name, close });
  }

  /** Runs the steps not run yet; resolves to whether all of them succeeded. */
  async run(): Promise<boolean> {
    let ok = true;
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      const started = performance.now();
      try {
        await step.close();
        this.logger.info({ step: step.name, durationMs: Math.round(performance.now() - started) }, `closed ${step.name}`);
      } catch (error) {
        ok = false;
        this.logger.error({ step: step.name, err: error }, `closing ${step.name} failed`);
      }
    }
    return ok;
  }
}
