/**
 * What "an event store" means here: every adapter of src/eventstore/port.ts runs this suite.
 * Each test writes to a category of its own and filters reads by it, so the suite also runs
 * against a shared server (EventStoreDB) whose log holds other events.
 */
import { randomUUID } from 'node:crypto';
import { IdempotencyConflict, InvalidInput, WrongExpectedRevision } from '../../src/eventstore/errors';
import type { EventStore, NewEvent, RecordedEvent, Subscription } from '../../src/eventstore/port';

export interface ContractContext {
  store: EventStore;
  /** A second store on the same log, as another process would have. */
  otherStore(): Promise<EventStore>;
}

export interface ContractFactory {
  /** A store whose event size limit is `maxEventBytes` (default 1 MiB). */
  create(options?: { maxEventBytes?: number }): Promise<ContractContext>;
  destroy(context: ContractContext): Promise<void>;
  /**
   * False where the server has no index by event id (EventStoreDB): an id stored in another
   * stream is then not detected, and that one test is skipped with the reason in its name.
   */
  eventIdsUniqueAcrossStreams?: boolean;
  /** False where the adapter has no `readStreams` (EventStoreDB): its callers read stream by stream. */
  readsManyStreams?: boolean;
}

let counter = 0;
/** A category no other test uses. */
export function freshCategory(): string {
  counter += 1;
  return `c${randomUUID().replace(/-/g, '').slice(0, 12)}${counter}`;
}

export function newEvent(type = 'Happened', data: unknown = { n: 1 }, extra: Partial<NewEvent> = {}): NewEvent {
  return { id: randomUUID(), type, data, metadata: { actor: { type: 'user', id: 'u-1' }, correlationId: 'corr-1' }, ...extra };
}

/** Reads the whole of one category through readAll, page by page. */
export async function readCategory(store: EventStore, category: string, pageSize = 100): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after: bigint | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize, filter: { categories: [category] } });
    all.push(...page);
    if (page.length < pageSize) return all;
    after = page[page.length - 1]!.position;
  }
}

/** Collects `count` events from a subscription, failing after `timeoutMs`. */
export async function take(subscription: Subscription, count: number, timeoutMs = 10_000): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  if (count === 0) return events;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`subscription yielded ${events.length} of ${count} events in ${timeoutMs} ms`)), timeoutMs);
  });
  const iterator = subscription[Symbol.asyncIterator]();
  try {
    while (events.length < count) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) break;
      events.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

/** Asserts per-stream revisions are dense and increasing in the order given. */
export function expectRevisionOrder(events: readonly RecordedEvent[]): void {
  const last = new Map<string, bigint>();
  for (const event of events) {
    const previous = last.get(event.streamId);
    expect({ stream: event.streamId, revision: event.revision }).toEqual({ stream: event.streamId, revision: previous === undefined ? 0n : previous + 1n });
    last.set(event.streamId, event.revision);
  }
}

async function expectRejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

export function describeEventStoreContract(name: string, factory: ContractFactory): void {
  describe(`EventStore contract: ${name}`, () => {
    let context: ContractContext;
    let store: EventStore;
    let category: string;
    const stream = (id = randomUUID()) => `${category}-${id}`;

    beforeAll(async () => {
      context = await factory.create();
      store = context.store;
    });
    afterAll(async () => {
      await factory.destroy(context);
    });
    beforeEach(() => {
      category = freshCategory();
    });

    describe('appendToStream', () => {
      it('appends a batch to a new stream and reports the next revision and position', async () => {
        const id = stream();
        const result = await store.appendToStream(id, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        expect(result.nextRevision).toBe(3n);
        const events = await store.readStream(id);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(result.position).toBe(events[2]!.position);
        expect(typeof result.position).toBe('bigint');
      });

      it('keeps the whole envelope: id, type, schema version, data, metadata, time', async () => {
        const id = stream();
        const occurredAt = new Date('2026-03-29T01:30:00.000Z');
        const event = newEvent('PostScheduled', { at: '2026-04-01T10:00:00Z', nested: { list: [1, 'two', null, true] } }, {
          schemaVersion: 2,
          occurredAt,
          metadata: { actor: { type: 'apiKey', id: 'k-1' }, workspaceId: 'w-1', correlationId: 'c', causationId: 'd', requestId: 'r' },
        });
        await store.appendToStream(id, [event]);
        const [read] = await store.readStream(id);
        expect(read).toEqual({
          id: event.id,
          type: 'PostScheduled',
          schemaVersion: 2,
          streamId: id,
          revision: 0n,
          position: expect.any(BigInt),
          occurredAt,
          data: event.data,
          metadata: event.metadata,
        });
      });

      it('stamps the append time when the event has none, and defaults the schema version to 1', async () => {
        const before = Date.now();
        const id = stream();
        await store.appendToStream(id, [{ id: randomUUID(), type: 'Happened', data: {} }]);
        const [read] = await store.readStream(id);
        expect(read!.schemaVersion).toBe(1);
        expect(read!.metadata).toEqual({});
        expect(read!.occurredAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
        expect(read!.occurredAt.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
      });

      it('gives later appends higher positions', async () => {
        const a = await store.appendToStream(stream(), [newEvent()]);
        const b = await store.appendToStream(stream(), [newEvent()]);
        expect(b.position).toBeGreaterThan(a.position);
      });
    });

    describe('expected revision', () => {
      it('any: appends to a new and to an existing stream', async () => {
        const id = stream();
        expect((await store.appendToStream(id, [newEvent()], { expectedRevision: 'any' })).nextRevision).toBe(1n);
        expect((await store.appendToStream(id, [newEvent()], { expectedRevision: 'any' })).nextRevision).toBe(2n);
        expect((await store.appendToStream(id, [newEvent()])).nextRevision).toBe(3n);
      });

      it('no_stream: refuses an existing stream and reports its revision', async () => {
        const id = stream();
        await store.appendToStream(id, [newEvent(), newEvent()]);
        const error = await expectRejection(store.appendToStream(id, [newEvent()], { expectedRevision: 'no_stream' }), WrongExpectedRevision);
        expect(error.streamId).toBe(id);
        expect(error.expected).toBe('no_stream');
        expect(error.actual).toBe(1n);
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it('stream_exists: refuses a missing stream with no actual revision, accepts an existing one', async () => {
        const id = stream();
        const error = await expectRejection(store.appendToStream(id, [newEvent()], { expectedRevision: 'stream_exists' }), WrongExpectedRevision);
        expect(error.actual).toBeUndefined();
        expect(await store.readStream(id)).toEqual([]);
        await store.appendToStream(id, [newEvent()]);
        expect((await store.appendToStream(id, [newEvent()], { expectedRevision: 'stream_exists' })).nextRevision).toBe(2n);
      });

      it('exact: accepts the current revision and refuses another, reporting the actual one', async () => {
        const id = stream();
        await store.appendToStream(id, [newEvent(), newEvent(), newEvent()]);
        expect((await store.appendToStream(id, [newEvent()], { expectedRevision: 2n })).nextRevision).toBe(4n);
        const behind = await expectRejection(store.appendToStream(id, [newEvent()], { expectedRevision: 2n }), WrongExpectedRevision);
        expect(behind.actual).toBe(3n);
        expect(behind.expected).toBe(2n);
        const ahead = await expectRejection(store.appendToStream(id, [newEvent()], { expectedRevision: 9n }), WrongExpectedRevision);
        expect(ahead.actual).toBe(3n);
        expect(await store.readStream(id)).toHaveLength(4);
      });

      it('exact: refuses a missing stream', async () => {
        const id = stream();
        const error = await expectRejection(store.appendToStream(id, [newEvent()], { expectedRevision: 0n }), WrongExpectedRevision);
        expect(error.actual).toBeUndefined();
      });

      it('lets exactly one of 20 concurrent appends with the same expected revision win', async () => {
        const id = stream();
        await store.appendToStream(id, [newEvent()]);
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => store.appendToStream(id, [newEvent(), newEvent()], { expectedRevision: 0n })));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const r of lost) {
          expect(r.reason).toBeInstanceOf(WrongExpectedRevision);
          expect((r.reason as WrongExpectedRevision).actual).toBe(2n);
        }
        expect((await store.readStream(id)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      });
    });

    describe('idempotency by event id', () => {
      it('returns the first result for a repeated batch and writes nothing', async () => {
        const id = stream();
        const batch = [newEvent(), newEvent()];
        const first = await store.appendToStream(id, batch, { expectedRevision: 'no_stream' });
        await store.appendToStream(id, [newEvent()]);
        const again = await store.appendToStream(id, batch, { expectedRevision: 'no_stream' });
        expect(again).toEqual(first);
        expect(await store.readStream(id)).toHaveLength(3);
      });

      it('returns one result to concurrent retries of the same batch', async () => {
        const id = stream();
        const batch = [newEvent(), newEvent()];
        const results = await Promise.all(Array.from({ length: 5 }, () => store.appendToStream(id, batch, { expectedRevision: 'no_stream' })));
        for (const result of results) expect(result).toEqual(results[0]);
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it('rejects a batch that mixes stored and new event ids, writing nothing', async () => {
        const id = stream();
        const stored = newEvent();
        await store.appendToStream(id, [stored]);
        const fresh = newEvent();
        const error = await expectRejection(store.appendToStream(id, [stored, fresh]), IdempotencyConflict);
        expect(error.streamId).toBe(id);
        expect((await store.readStream(id)).map((e) => e.id)).toEqual([stored.id]);
      });

      const acrossStreams = factory.eventIdsUniqueAcrossStreams === false ? it.skip : it;
      acrossStreams(`rejects a stored event id appended to another stream${factory.eventIdsUniqueAcrossStreams === false ? ' (skipped: this server keeps no index by event id)' : ''}`, async () => {
        const stored = newEvent();
        await store.appendToStream(stream(), [stored]);
        const other = stream();
        await expectRejection(store.appendToStream(other, [stored]), IdempotencyConflict);
        expect(await store.readStream(other)).toEqual([]);
      });
    });

    describe('bad input changes nothing', () => {
      const cases: Array<[string, () => [string, NewEvent[]]]> = [
        ['an empty batch', () => [stream(), []]],
        ['a stream id without a category', () => ['nocategory', [newEvent()]]],
        ['a stream id with an upper-case category', () => [`Post-${randomUUID()}`, [newEvent()]]],
        ['a stream id with spaces', () => [`${category}-a b`, [newEvent()]]],
        ['an event id that is not a UUID', () => [stream(), [{ ...newEvent(), id: 'not-a-uuid' }]]],
        ['the same event id twice in a batch', () => { const e = newEvent(); return [stream(), [e, e]]; }],
        ['an empty type', () => [stream(), [newEvent('')]]],
        ['a bigint in data', () => [stream(), [newEvent('Happened', { n: 1n })]]],
        ['a function after valid values of every kind', () => [stream(), [newEvent('Happened', { ok: true, n: 1.5, s: 'x', nil: null, list: [1, 'a', null, false, { k: [] }], f: () => 1 })]]],
        ['an invalid value inside an array', () => [stream(), [newEvent('Happened', { list: [1, Number.POSITIVE_INFINITY] })]]],
        ['a function in data', () => [stream(), [newEvent('Happened', { f: () => 1 })]]],
        ['undefined data', () => [stream(), [{ ...newEvent(), data: undefined }]]],
        ['NaN in data', () => [stream(), [newEvent('Happened', { n: Number.NaN })]]],
        ['a Date in data', () => [stream(), [newEvent('Happened', { at: new Date() })]]],
        ['a cycle in data', () => { const data: Record<string, unknown> = {}; data.self = data; return [stream(), [newEvent('Happened', data)]]; }],
        ['data nested deeper than 256 levels', () => { let deep: unknown = 1; for (let i = 0; i < 300; i++) deep = { d: deep }; return [stream(), [newEvent('Happened', deep)]]; }],
        ['a NUL character in a key', () => [stream(), [newEvent('Happened', { ['a\u0000']: 1 })]]],
        ['a NUL character in data', () => [stream(), [newEvent('Happened', { s: 'a\u0000b' })]]],
        ['a lone surrogate in a key', () => [stream(), [newEvent('Happened', { ['\ud800']: 1 })]]],
        ['metadata that is an array', () => [stream(), [{ ...newEvent(), metadata: [] as never }]]],
        ['a schema version of 0', () => [stream(), [newEvent('Happened', {}, { schemaVersion: 0 })]]],
        ['an invalid date', () => [stream(), [newEvent('Happened', {}, { occurredAt: new Date('nope') })]]],
      ];
      it.each(cases)('rejects %s', async (_, make) => {
        const [id, events] = make();
        const good = newEvent();
        const error = await expectRejection(store.appendToStream(id, [good, ...events].slice(events.length === 0 ? 1 : 0), { expectedRevision: 'any' }), InvalidInput);
        expect(error.message.length).toBeGreaterThan(5);
        expect(await readCategory(store, category)).toEqual([]);
      });

      it('rejects an event over the size limit and keeps the rest of the batch out too', async () => {
        const small = await factory.create({ maxEventBytes: 2048 });
        try {
          const id = stream();
          const error = await expectRejection(small.store.appendToStream(id, [newEvent(), newEvent('Big', { blob: 'x'.repeat(3000) })]), InvalidInput);
          expect(error.field).toBe('events[1]');
          expect(error.message).toMatch(/over the limit of 2048/);
          await small.store.appendToStream(id, [newEvent('Fits', { blob: 'x'.repeat(1500) })]);
          expect((await small.store.readStream(id)).map((e) => e.type)).toEqual(['Fits']);
        } finally {
          await factory.destroy(small);
        }
      });

      it('rejects an unknown expected revision and a negative one', async () => {
        await expectRejection(store.appendToStream(stream(), [newEvent()], { expectedRevision: 'latest' as never }), InvalidInput);
        await expectRejection(store.appendToStream(stream(), [newEvent()], { expectedRevision: -1n }), InvalidInput);
        expect(await readCategory(store, category)).toEqual([]);
      });

      it('rejects a bad maxCount and a malformed stream id on reads', async () => {
        await expectRejection(store.readAll({ maxCount: 0 }), InvalidInput);
        await expectRejection(store.readStream(stream(), { maxCount: 1.5 }), InvalidInput);
        await expectRejection(store.readStream('Not A Stream'), InvalidInput);
      });

      it('keeps serving good appends next to a bad one in the same instant', async () => {
        const good = Array.from({ length: 10 }, () => store.appendToStream(stream(), [newEvent()]));
        const bad = expectRejection(store.appendToStream(stream(), [newEvent('Happened', { n: 1n })]), InvalidInput);
        await expect(Promise.all(good)).resolves.toHaveLength(10);
        await bad;
        expect(await readCategory(store, category)).toHaveLength(10);
      });
    });

    describe('readStream', () => {
      it('reads forwards and backwards, from a revision, up to a count', async () => {
        const id = stream();
        await store.appendToStream(id, Array.from({ length: 10 }, (_, i) => newEvent('Happened', { i })));
        const revisions = (events: RecordedEvent[]) => events.map((e) => Number(e.revision));
        expect(revisions(await store.readStream(id))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(revisions(await store.readStream(id, { fromRevision: 7n }))).toEqual([7, 8, 9]);
        expect(revisions(await store.readStream(id, { maxCount: 2 }))).toEqual([0, 1]);
        expect(revisions(await store.readStream(id, { direction: 'backwards' }))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        expect(revisions(await store.readStream(id, { direction: 'backwards', fromRevision: 3n, maxCount: 2 }))).toEqual([3, 2]);
        expect(revisions(await store.readStream(id, { fromRevision: 10n }))).toEqual([]);
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(stream())).toEqual([]);
      });

      it('reads only its own stream', async () => {
        const a = stream();
        const b = stream();
        await store.appendToStream(a, [newEvent()]);
        await store.appendToStream(b, [newEvent(), newEvent()]);
        expect((await store.readStream(a)).map((e) => e.streamId)).toEqual([a]);
      });
    });

    describe('readStreams (optional)', () => {
      const without = factory.readsManyStreams === false;
      const supported = without ? it.skip : it;
      const why = without ? ' (skipped: this adapter has no readStreams; its callers read stream by stream)' : '';

      supported(`reads the first events of several streams in one call, forwards or backwards; an unknown stream is absent${why}`, async () => {
        const [a, b, unknown] = [stream(), stream(), stream()];
        await store.appendToStream(a, Array.from({ length: 5 }, (_, i) => newEvent('Happened', { i })));
        await store.appendToStream(b, [newEvent('Happened', { i: 0 })]);
        const revisions = (streams: Map<string, RecordedEvent[]>) => Object.fromEntries([...streams].map(([id, events]) => [id, events.map((e) => Number(e.revision))]));
        expect(revisions(await store.readStreams!([a, b, unknown, a], { maxCount: 3 }))).toEqual({ [a]: [0, 1, 2], [b]: [0] });
        expect(revisions(await store.readStreams!([b, a], { direction: 'backwards', maxCount: 2 }))).toEqual({ [a]: [4, 3], [b]: [0] });
        const [event] = (await store.readStreams!([b], { maxCount: 1 })).get(b)!;
        expect(event).toEqual((await store.readStream(b))[0]);
        expect((await store.readStreams!([], { maxCount: 1 })).size).toBe(0);
      });

      supported(`refuses a stream id that is not <category>-<id>${why}`, async () => {
        await expectRejection(store.readStreams!([stream(), 'nocategory'], { maxCount: 1 }), InvalidInput);
      });
    });

    describe('readAll', () => {
      it('reads the log in position order, after a position, in pages', async () => {
        const ids = [stream(), stream(), stream()];
        for (let i = 0; i < 9; i++) await store.appendToStream(ids[i % 3]!, [newEvent('Happened', { i })]);
        const all = await readCategory(store, category, 4);
        expect(all.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
        const positions = all.map((e) => e.position);
        expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
        const after = await store.readAll({ after: all[5]!.position, filter: { categories: [category] } });
        expect(after.map((e) => e.id)).toEqual(all.slice(6).map((e) => e.id));
      });

      it('filters by category and by type, and by both', async () => {
        const other = freshCategory();
        await store.appendToStream(stream(), [newEvent('PostDrafted'), newEvent('PostScheduled')]);
        await store.appendToStream(`${other}-x`, [newEvent('PostDrafted'), newEvent('Post')]);
        await store.appendToStream(stream(), [newEvent('PostDraftedLater')]);
        const byCategory = await store.readAll({ filter: { categories: [category] } });
        expect(byCategory.map((e) => e.type)).toEqual(['PostDrafted', 'PostScheduled', 'PostDraftedLater']);
        const both = await store.readAll({ filter: { categories: [category, other] } });
        expect(both).toHaveLength(5);
        const byType = await store.readAll({ filter: { categories: [category, other], types: ['PostDrafted', 'Post'] } });
        expect(byType.map((e) => `${e.streamId.split('-')[0]}:${e.type}`)).toEqual([`${category}:PostDrafted`, `${other}:PostDrafted`, `${other}:Post`]);
        const typeOnly = await store.readAll({ after: byCategory[0]!.position - 1n, filter: { types: ['PostDraftedLater'] } });
        expect(typeOnly.map((e) => e.id)).toContain(byCategory[2]!.id);
        expect(typeOnly.every((e) => e.type === 'PostDraftedLater')).toBe(true);
      });

      it('knows the head of the log', async () => {
        const result = await store.appendToStream(stream(), [newEvent()]);
        const head = await store.headPosition();
        expect(head).toBeDefined();
        expect(head! >= result.position).toBe(true);
      });
    });

    describe('concurrency', () => {
      it('keeps every stream in revision order under concurrent appends to a few hot streams', async () => {
        const hot = [stream(), stream(), stream()];
        for (const id of hot) await store.appendToStream(id, [newEvent()]);
        const subscription = store.subscribe({ filter: { categories: [category] } });
        let written = 3;
        const writers = Array.from({ length: 12 }, async (_, w) => {
          for (let i = 0; i < 15; i++) {
            const id = hot[(w + i) % hot.length]!;
            const size = i % 3 === 0 ? 3 : 1;
            const events = Array.from({ length: size }, () => newEvent('Happened', { w, i }));
            for (let attempt = 0; ; attempt++) {
              try {
                if (i % 2 === 0) {
                  await store.appendToStream(id, events, { expectedRevision: 'stream_exists' });
                } else {
                  const [last] = await store.readStream(id, { direction: 'backwards', maxCount: 1 });
                  await store.appendToStream(id, events, { expectedRevision: last!.revision });
                }
                written += size;
                break;
              } catch (error) {
                if (!(error instanceof WrongExpectedRevision) || attempt > 50) throw error;
              }
            }
          }
        });
        await Promise.all(writers);
        const all = await readCategory(store, category, 500);
        expect(all).toHaveLength(written);
        expectRevisionOrder(all);
        const live = await take(subscription, written);
        await subscription.close();
        expect(live.map((e) => e.id)).toEqual(all.map((e) => e.id));
      });

      it('lets a second store instance on the same log see every append', async () => {
        const other = await context.otherStore();
        try {
          const id = stream();
          await Promise.all([store.appendToStream(id, [newEvent()], { expectedRevision: 'no_stream' }), other.appendToStream(`${category}-other`, [newEvent()])]);
          await expectRejection(other.appendToStream(id, [newEvent()], { expectedRevision: 'no_stream' }), WrongExpectedRevision);
          expect(await readCategory(other, category)).toHaveLength(2);
        } finally {
          await other.close();
        }
      });
    });

    describe('subscribe', () => {
      it('catches up from the start of a category, then goes live', async () => {
        const id = stream();
        await store.appendToStream(id, [newEvent('A'), newEvent('B')]);
        const caughtUp: Array<bigint | undefined> = [];
        const subscription = store.subscribe({ filter: { categories: [category] }, onCaughtUp: (p) => caughtUp.push(p) });
        const first = await take(subscription, 2);
        expect(first.map((e) => e.type)).toEqual(['A', 'B']);
        await store.appendToStream(id, [newEvent('C')]);
        const live = await take(subscription, 1);
        expect(live.map((e) => e.type)).toEqual(['C']);
        await subscription.close();
        expect(caughtUp.length).toBeGreaterThan(0);
      });

      it('tells onCaughtUp how far it read the log, past the events its filter leaves out', async () => {
        const id = stream();
        const wanted = await store.appendToStream(id, [newEvent('Wanted')]);
        const unwanted = await store.appendToStream(id, [newEvent('Unwanted'), newEvent('Unwanted')]);
        let reported: (value: [bigint | undefined, bigint | undefined]) => void = () => undefined;
        const caughtUp = new Promise<[bigint | undefined, bigint | undefined]>((resolve) => (reported = resolve));
        const subscription = store.subscribe({ filter: { categories: [category], types: ['Wanted'] }, onCaughtUp: (position, scannedTo) => reported([position, scannedTo]) });
        const iterator = subscription[Symbol.asyncIterator]();
        expect((await iterator.next()).value?.type).toBe('Wanted');
        // pulling again lets it reach the end of the log, where it reports
        const pending = iterator.next();
        const [position, scannedTo] = await caughtUp;
        expect(position).toBe(wanted.position);
        expect(scannedTo! >= unwanted.position).toBe(true);
        await subscription.close();
        await pending;
      });

      it('resumes from the last checkpoint it yielded with no gap and no duplicate', async () => {
        const id = stream();
        await store.appendToStream(id, Array.from({ length: 5 }, (_, i) => newEvent('Happened', { i })));
        const first = store.subscribe({ filter: { categories: [category] } });
        const seen = await take(first, 3);
        await first.close();
        await store.appendToStream(id, Array.from({ length: 3 }, (_, i) => newEvent('Happened', { i: i + 5 })));
        const resumed = store.subscribe({ after: seen[2]!.position, filter: { categories: [category] } });
        const rest = await take(resumed, 5);
        await resumed.close();
        expect([...seen, ...rest].map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      });

      it('delivers only the types asked for', async () => {
        const id = stream();
        const subscription = store.subscribe({ filter: { categories: [category], types: ['Wanted'] } });
        await store.appendToStream(id, [newEvent('Unwanted'), newEvent('Wanted'), newEvent('WantedNot'), newEvent('Wanted')]);
        const events = await take(subscription, 2);
        await subscription.close();
        expect(events.map((e) => [e.type, e.revision])).toEqual([
          ['Wanted', 1n],
          ['Wanted', 3n],
        ]);
      });

      it('ends the loop when closed', async () => {
        const subscription = store.subscribe({ filter: { categories: [category] } });
        setTimeout(() => void subscription.close(), 50);
        const events: RecordedEvent[] = [];
        for await (const event of subscription) events.push(event);
        expect(events).toEqual([]);
      });
    });
  });
}
