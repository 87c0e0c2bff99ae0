import { LogTail, type TailRead } from '../../src/eventstore/postgres/log-tail';
import type { Position, RecordedEvent } from '../../src/eventstore/port';
import { Wakeup } from '../../src/eventstore/wakeup';

/** A log in memory, read as the table would answer an unfiltered readAll; reads are counted. */
class FakeLog {
  readonly events: RecordedEvent[] = [];
  /** Stored size of each event, bytes (100 unless given). */
  readonly sizes: number[] = [];
  reads = 0;
  /** Resolves a read only when released, to hold one in flight. */
  gate: Promise<void> | undefined;

  append(streamId: string, type = 'Happened', bytes = 100): RecordedEvent {
    this.sizes.push(bytes);
    const event: RecordedEvent = {
      position: BigInt(this.events.length + 1),
      id: `id-${this.events.length + 1}`,
      streamId,
      revision: 0n,
      type,
      schemaVersion: 1,
      occurredAt: new Date(0),
      data: {},
      metadata: {},
    };
    this.events.push(event);
    return event;
  }

  read = async (after: Position, maxCount: number): Promise<TailRead> => {
    this.reads++;
    const snapshot = this.events.filter((e) => e.position > after).slice(0, maxCount);
    await this.gate;
    return { events: snapshot, bytes: snapshot.map((e) => this.sizes[Number(e.position) - 1]!) };
  };
}

const positions = (events: readonly RecordedEvent[]) => events.map((e) => Number(e.position));

describe('LogTail', () => {
  let log: FakeLog;
  let wakeup: Wakeup;
  let clock: number;
  const tail = (maxEvents = 100, maxAgeMs = 50, maxBytes = 1_000_000) => new LogTail({ read: log.read, wakeup, maxEvents, maxBytes, maxAgeMs, now: () => clock });

  beforeEach(() => {
    log = new FakeLog();
    wakeup = new Wakeup();
    clock = 1000;
  });

  it('answers nothing until started, then serves the events after a position from one read', async () => {
    const t = tail();
    log.append('post-1');
    expect(await t.page(0n, 10, undefined)).toBeUndefined();
    t.startAt(1n, t.mark());
    log.append('post-2');
    log.append('comment-1', 'Commented');
    wakeup.signal();
    const first = await t.page(1n, 10, undefined);
    expect(first && positions(first.events)).toEqual([2, 3]);
    expect(first).toMatchObject({ scannedTo: 3n, reachedEnd: true });
    // nine more subscribers woken by the same commit: no more reads
    for (let i = 0; i < 9; i++) expect(positions((await t.page(1n, 10, undefined))!.events)).toEqual([2, 3]);
    expect(log.reads).toBe(1);
    // before the start of the tail: the caller reads the table
    expect(await t.page(0n, 10, undefined)).toBeUndefined();
  });

  it('filters by category and type, and has looked at everything up to the end of the tail', async () => {
    const t = tail();
    t.startAt(0n, t.mark());
    log.append('post-1', 'PostDrafted');
    log.append('comment-1', 'Commented');
    log.append('post-2', 'PostDeleted');
    log.append('account-9', 'AccountConnected');
    wakeup.signal();
    expect(await t.page(0n, 10, { categories: ['post'] })).toEqual({ events: [log.events[0], log.events[2]], scannedTo: 4n, reachedEnd: true });
    expect(await t.page(0n, 10, { types: ['Commented', 'AccountConnected'] })).toMatchObject({ scannedTo: 4n, reachedEnd: true });
    expect(positions((await t.page(0n, 10, { categories: ['post', 'comment'], types: ['PostDeleted', 'Commented'] }))!.events)).toEqual([2, 3]);
    expect(await t.page(2n, 10, { categories: ['nothing'] })).toEqual({ events: [], scannedTo: 4n, reachedEnd: true });
  });

  it('stops a full page at its last event, which is not the end unless the tail ends there', async () => {
    const t = tail();
    t.startAt(0n, t.mark());
    for (let i = 0; i < 5; i++) log.append(`post-${i}`);
    wakeup.signal();
    expect(await t.page(0n, 2, undefined)).toMatchObject({ scannedTo: 2n, reachedEnd: false });
    expect(await t.page(3n, 2, undefined)).toMatchObject({ scannedTo: 5n, reachedEnd: true });
  });

  it('reads again after a signalled commit, and only then', async () => {
    const t = tail();
    t.startAt(0n, t.mark());
    log.append('post-1');
    wakeup.signal();
    expect(positions((await t.page(0n, 10, undefined))!.events)).toEqual([1]);
    expect(log.reads).toBe(1);
    log.append('post-2');
    // not signalled yet (the commit's signal is on its way): what the table held at the last read
    expect(positions((await t.page(0n, 10, undefined))!.events)).toEqual([1]);
    wakeup.signal();
    expect(positions((await t.page(1n, 10, undefined))!.events)).toEqual([2]);
    expect(log.reads).toBe(2);
  });

  it('reads again once older than maxAgeMs, for a subscriber polling without notifications', async () => {
    const t = tail(100, 50);
    t.startAt(0n, t.mark());
    log.append('post-1');
    clock += 50;
    expect(positions((await t.page(0n, 10, undefined))!.events)).toEqual([]);
    clock += 1;
    expect(positions((await t.page(0n, 10, undefined))!.events)).toEqual([1]);
    expect(log.reads).toBe(1);
  });

  it('counts the age of a tail started from a table read from before that read', async () => {
    const t = tail(100, 50);
    const before = t.mark();
    log.append('post-1');
    clock += 60; // the subscriber's table read took 60 ms, and saw nothing after 0
    t.startAt(0n, before);
    expect(positions((await t.page(0n, 10, undefined))!.events)).toEqual([1]);
    expect(log.reads).toBe(1);
  });

  it('does not read forever when a read takes longer than maxAgeMs', async () => {
    const t = new LogTail({
      read: async (after, maxCount) => {
        clock += 500;
        return log.read(after, maxCount);
      },
      wakeup,
      maxEvents: 100,
      maxBytes: 1_000_000,
      maxAgeMs: 50,
      now: () => clock,
    });
    t.startAt(0n, t.mark());
    log.append('post-1');
    wakeup.signal();
    expect(positions((await t.page(0n, 10, undefined))!.events)).toEqual([1]);
    expect(log.reads).toBe(1);
  });

  it('lets callers that arrive during a read share it, and reads again for a commit signalled after it began', async () => {
    const t = tail();
    t.startAt(0n, t.mark());
    log.append('post-1');
    wakeup.signal();
    let release!: () => void;
    log.gate = new Promise((resolve) => (release = resolve));
    const early = [t.page(0n, 10, undefined), t.page(0n, 10, undefined)];
    await Promise.resolve();
    // committed and signalled while the first read is in flight, after its snapshot
    log.append('post-2');
    wakeup.signal();
    const late = t.page(0n, 10, undefined);
    release();
    log.gate = undefined;
    const [a, b] = await Promise.all(early);
    // what the log held when they asked
    expect(positions(a!.events)).toEqual([1]);
    expect(positions(b!.events)).toEqual([1]);
    expect(positions((await late)!.events)).toEqual([1, 2]);
    expect(log.reads).toBe(2);
  });

  it('catches up in reads of 1,000 and says when it has not reached the end of the log', async () => {
    const t = tail(5000);
    t.startAt(0n, t.mark());
    for (let i = 0; i < 2500; i++) log.append(`post-${i}`);
    wakeup.signal();
    const none = { categories: ['none'] };
    expect(await t.page(0n, 5000, none)).toEqual({ events: [], scannedTo: 1000n, reachedEnd: false });
    // a subscriber behind the end of an incomplete tail gets what it holds, without a read
    expect(await t.page(500n, 5000, none)).toEqual({ events: [], scannedTo: 1000n, reachedEnd: false });
    expect(log.reads).toBe(1);
    expect(await t.page(1000n, 5000, none)).toEqual({ events: [], scannedTo: 2000n, reachedEnd: false });
    expect(await t.page(2000n, 5000, none)).toEqual({ events: [], scannedTo: 2500n, reachedEnd: true });
    expect(log.reads).toBe(3);
  });

  it('keeps at most maxEvents, and sends those further behind to the table', async () => {
    const t = tail(3);
    t.startAt(0n, t.mark());
    for (let i = 0; i < 5; i++) log.append(`post-${i}`);
    wakeup.signal();
    expect(await t.page(1n, 10, undefined)).toBeUndefined();
    expect(positions((await t.page(2n, 10, undefined))!.events)).toEqual([3, 4, 5]);
    expect(positions((await t.page(4n, 10, undefined))!.events)).toEqual([5]);
  });

  it('keeps at most maxBytes of stored events, dropping the oldest, however few they are', async () => {
    const t = tail(100, 50, 1000);
    t.startAt(0n, t.mark());
    log.append('post-1', 'Small', 100);
    log.append('post-2', 'Large', 800);
    log.append('post-3', 'Small', 150);
    wakeup.signal();
    // 1,050 bytes: the first goes
    expect(await t.page(0n, 10, undefined)).toBeUndefined();
    expect(positions((await t.page(1n, 10, undefined))!.events)).toEqual([2, 3]);
    // one event larger than the whole budget: nothing is kept, the tail moves to its end
    log.append('post-4', 'Huge', 5000);
    wakeup.signal();
    expect(await t.page(3n, 10, undefined)).toBeUndefined();
    expect(await t.page(4n, 10, undefined)).toEqual({ events: [], scannedTo: 4n, reachedEnd: true });
    log.append('post-5', 'Small', 10);
    wakeup.signal();
    expect(positions((await t.page(4n, 10, undefined))!.events)).toEqual([5]);
  });

  it('sends a subscriber ahead of a fresh tail to the table', async () => {
    const t = tail();
    t.startAt(2n, t.mark());
    expect(await t.page(5n, 10, undefined)).toBeUndefined();
  });

  it('is off with maxEvents 0, and starts only once', async () => {
    const off = tail(0);
    off.startAt(0n, off.mark());
    expect(await off.page(0n, 10, undefined)).toBeUndefined();
    const t = tail();
    t.startAt(3n, t.mark());
    t.startAt(0n, t.mark());
    expect(await t.page(0n, 10, undefined)).toBeUndefined();
    expect(await t.page(3n, 10, undefined)).toEqual({ events: [], scannedTo: 3n, reachedEnd: true });
  });
});
