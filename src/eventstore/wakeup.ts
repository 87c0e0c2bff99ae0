/**
 * A level-triggered wake-up for subscribers: `version` grows on every signal, and
 * `waitFor(seen, ms)` returns at once if a signal came after `seen`, so a signal that
 * arrives between a read and the wait is never lost.
 */
export class Wakeup {
  private version = 0;
  private waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  signal(): void {
    this.version += 1;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next signal after `seen`, or after `timeoutMs` (the polling fallback). */
  waitFor(seen: number, timeoutMs: number, abort?: AbortSignal): Promise<void> {
    if (this.version !== seen || abort?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        abort?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      abort?.addEventListener('abort', done, { once: true });
    });
  }
}
