/**
 * At most `limit` tasks at once; the others wait in order.
 *
 * ```ts
 * const reads = new Semaphore(8);
 * const page = await reads.run(() => store.readAll({ after, maxCount }));
 * ```
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
