import type { LogPage } from '../catch-up-subscription';
import type { Position, ReadAllOptions, RecordedEvent } from '../port';
import type { Wakeup } from '../wakeup';

/** Events read for the tail, with the stored size of each (data and metadata, bytes). */
export interface TailRead {
  events: RecordedEvent[];
  bytes: number[];
}

export interface LogTailOptions {
  /** Every event after `after`, in position order, at most `maxCount` (an unfiltered `readAll`), with their sizes. */
  read: (after: Position, maxCount: number) => Promise<TailRead>;
  /** Signalled after every commit to the log (this process's appends and other processes' NOTIFY). */
  wakeup: Wakeup;
  /** Most events kept; subscribers further behind read the table. */
  maxEvents: number;
  /** Most stored bytes kept (events may be large: up to the store's event size limit each). */
  maxBytes: number;
  /**
   * Oldest a tail may be when no wake-up came since it was read: what a subscriber polling
   * without notifications (the listener is down) may miss of other processes' commits.
   */
  maxAgeMs: number;
  now?: () => number;
}

/** The wake-up's version and the time, taken before a read. */
export interface TailMark {
  version: number;
  at: number;
}

/** Events fetched by one refresh at most: a tail far behind the log catches up in steps. */
const REFRESH_LIMIT = 1000;

/**
 * The newest events of the log, read once for every live subscription of the process. Ten
 * projectors, the Kafka relay and the realtime feed all wait at the head of the log; woken by
 * the same commit, each used to read the same new events (and parse their JSON) on its own.
 * Now the first one reads them, unfiltered, and the others take their share from memory.
 *
 * The tail holds every event in (`from`, `end`], gap-free because positions commit in order
 * (see `PostgresEventStore`): a page served from it is what the table would have answered at
 * the moment of its last read. It is read again before serving whenever a commit was
 * signalled since (the wake-up's version is taken before each read, so a commit the read
 * missed always leaves the version ahead of it) or it is older than `maxAgeMs`. A subscriber
 * whose position lies outside the tail reads the table, and the first one to reach the head
 * that way starts the tail.
 *
 * The events are shared between subscribers, as a rebuild shares its pages between
 * projections: consumers must not modify them.
 */
export class LogTail {
  private events: RecordedEvent[] = [];
  private sizes: number[] = [];
  private bytes = 0;
  /** Every event after `from` and up to `end` is in `events`; undefined until the tail starts. */
  private from: Position | undefined;
  private end: Position = 0n;
  /** True when the last read reached the end of the log. */
  private complete = false;
  /** The wake-up's version taken before the last read. */
  private version = -1;
  private readAt = 0;
  private reading: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LogTailOptions) {
    // monotonic: a wall clock stepping back would stretch the age limit
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * A page of matching events after `after`, or undefined when `after` lies outside the tail
   * (the caller reads the table).
   */
  async page(after: Position, maxCount: number, filter: ReadAllOptions['filter']): Promise<LogPage | undefined> {
    const asked = this.options.wakeup.current;
    const askedAt = this.now();
    while (this.from !== undefined && after >= this.from && (this.stale(asked, askedAt) || (after >= this.end && !this.complete))) {
      await this.refresh();
    }
    if (this.from === undefined || after < this.from || after > this.end) return undefined;
    return this.serve(after, maxCount, filter);
  }

  /**
   * Starts the tail at the end of a page a subscriber read from the table (`scannedTo`), with
   * the mark taken before that read, if it has not started yet.
   */
  startAt(position: Position, before: TailMark): void {
    if (this.from !== undefined || this.options.maxEvents <= 0) return;
    this.from = position;
    this.end = position;
    this.complete = true;
    this.version = before.version;
    this.readAt = before.at;
  }

  /** What a subscriber takes before a table read it may start the tail with: the wake-up's version and the time. */
  mark(): TailMark {
    return { version: this.options.wakeup.current, at: this.now() };
  }

  /** Read before the commits signalled by `asked`, or more than `maxAgeMs` before `askedAt`. */
  private stale(asked: number, askedAt: number): boolean {
    return this.version < asked || this.readAt < askedAt - this.options.maxAgeMs;
  }

  /** One read at a time; callers that arrive meanwhile wait for it and check again. */
  private refresh(): Promise<void> {
    this.reading ??= this.readNew().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readNew(): Promise<void> {
    const version = this.options.wakeup.current;
    const readAt = this.now();
    const { events, bytes } = await this.options.read(this.end, REFRESH_LIMIT);
    for (let i = 0; i < events.length; i++) {
      this.events.push(events[i]!);
      this.sizes.push(bytes[i]!);
      this.bytes += bytes[i]!;
    }
    if (events.length > 0) this.end = events.at(-1)!.position;
    this.complete = events.length < REFRESH_LIMIT;
    this.version = version;
    this.readAt = readAt;
    // the oldest go first, until both limits hold
    let drop = 0;
    let kept = this.bytes;
    while (drop < this.events.length && (this.events.length - drop > this.options.maxEvents || kept > this.options.maxBytes)) kept -= this.sizes[drop++]!;
    if (drop > 0) {
      this.from = this.events[drop - 1]!.position;
      this.events = this.events.slice(drop);
      this.sizes = this.sizes.slice(drop);
      this.bytes = kept;
    }
  }

  private serve(after: Position, maxCount: number, filter: ReadAllOptions['filter']): LogPage {
    const { categories, types } = filter ?? {};
    const events: RecordedEvent[] = [];
    for (let i = this.firstAfter(after); i < this.events.length; i++) {
      const event = this.events[i]!;
      if (types && !types.includes(event.type)) continue;
      if (categories && !categories.includes(event.streamId.slice(0, event.streamId.indexOf('-')))) continue;
      events.push(event);
      if (events.length === maxCount) {
        // the page is full: what follows it was not looked at
        const scannedTo = event.position;
        return { events, scannedTo, reachedEnd: scannedTo === this.end && this.complete };
      }
    }
    return { events, scannedTo: this.end, reachedEnd: this.complete };
  }

  /** Index of the first event after `after` (binary search: positions ascend). */
  private firstAfter(after: Position): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle]!.position <= after) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
