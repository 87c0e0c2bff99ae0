/** Engagement totals by metric name, as `EngagementSnapshotRecorded` carries them. */
export type Totals = Readonly<Record<string, number>>;

/**
 * At most one `metrics` message per post per `intervalMs`: the first change of a post is sent
 * at once, later ones within the interval are merged (the latest totals win) and sent when it
 * ends. One timer per coalescer, only while posts are in their interval.
 *
 * ```ts
 * const coalescer = new MetricsCoalescer(1000, (postId, totals) => send(metricsMessage(ws, postId, totals)));
 * coalescer.offer(postId, totals);
 * ```
 */
export class MetricsCoalescer {
  private readonly lastSentAt = new Map<string, number>();
  private readonly waiting = new Map<string, Totals>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (postId: string, totals: Totals) => void,
    private readonly now: () => number = Date.now,
  ) {}

  offer(postId: string, totals: Totals): void {
    const last = this.lastSentAt.get(postId);
    if (last === undefined || this.now() - last >= this.intervalMs) {
      this.waiting.delete(postId);
      this.emit(postId, totals);
    } else {
      this.waiting.set(postId, totals);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastSentAt.clear();
    this.waiting.clear();
  }

  private emit(postId: string, totals: Totals): void {
    // re-inserted so that the map stays ordered by send time, oldest first
    this.lastSentAt.delete(postId);
    this.lastSentAt.set(postId, this.now());
    this.send(postId, totals);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const oldest = this.lastSentAt.values().next();
    if (oldest.done) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, oldest.value + this.intervalMs - this.now()));
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    for (const [postId, sentAt] of this.lastSentAt) {
      if (now - sentAt < this.intervalMs) break;
      this.lastSentAt.delete(postId);
      const totals = this.waiting.get(postId);
      if (totals !== undefined) {
        this.waiting.delete(postId);
        this.emit(postId, totals);
      }
    }
    this.schedule();
  }
}
