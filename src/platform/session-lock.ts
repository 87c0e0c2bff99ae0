import { Client, type ClientConfig } from 'pg';

/**
 * Leadership across processes: a PostgreSQL session advisory lock held on a connection of its
 * own. The lock lives as long as the connection: when the holder dies, another instance's
 * next `tryAcquire` gets it. A standby keeps its connection between tries.
 *
 * ```ts
 * const lock = new SessionLock(connection, 'projection:posts', () => stopProjecting());
 * if (await lock.tryAcquire()) { … }
 * ```
 */
export class SessionLock {
  private client: Client | undefined;
  private held = false;

  constructor(
    private readonly connection: ClientConfig,
    /** Names the lock; the database schema is added, so that schemas do not contend. */
    private readonly name: string,
    /** Called when the connection, and with it the lock, is lost while held. */
    private readonly onLost: () => void = () => undefined,
  ) {
    if (!/^[\w:.-]+$/.test(name)) throw new Error(`lock name ${JSON.stringify(name)} must be letters, digits and _ : . -`);
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** True when this instance holds the lock (already, or from now on). */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const client = await this.connect();
    const { rows } = await client.query<{ locked: boolean }>(
      // the name also in a comment, so that pg_stat_activity shows which lock a session holds
      `select pg_try_advisory_lock(hashtext('postledger:' || $1::text || ':' || current_schema())) as locked /* ${this.name} */`,
      [this.name],
    );
    this.held = rows[0]!.locked;
    return this.held;
  }

  /** Ends the connection, which releases the lock if it was held. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client(this.connection);
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      const wasHeld = this.held;
      this.held = false;
      if (wasHeld) this.onLost();
    });
    this.client = client;
    return client;
  }
}

/** A sleep that `wake()` cuts short, so that `stop()` does not wait out a backoff. */
export class Pause {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}

export interface Leadership {
  lock: SessionLock;
  pause: Pause;
  /** Base delay: a standby tries again after 5×, a failed round waits 1×. */
  retryMs: number;
  isStopped(): boolean;
  /** The leader's work; the lock is released when it returns or throws. */
  lead(): Promise<void>;
  onError(error: unknown): void;
  /** Ends the loop after a round (e.g. a projection that failed for good). */
  isFinished?(): boolean;
}

/**
 * The loop of a component with one active instance across processes (projectors, the relay):
 * competes for the lock until stopped, leads while it holds it, stands by otherwise.
 *
 * ```ts
 * this.loop = runWhileLeading({ lock, pause, retryMs: 200, isStopped: () => this.stopped, lead: () => this.lead(), onError: (e) => log.error({ err: e }) });
 * ```
 */
export async function runWhileLeading(leadership: Leadership): Promise<void> {
  const { lock, pause, retryMs } = leadership;
  while (!leadership.isStopped()) {
    try {
      if (await lock.tryAcquire()) {
        try {
          await leadership.lead();
        } finally {
          await lock.release();
        }
      } else {
        await pause.sleep(retryMs * 5);
      }
    } catch (error) {
      leadership.onError(error);
      await pause.sleep(retryMs);
    }
    if (leadership.isFinished?.()) return;
  }
}
