/**
 * The EventStoreDB adapter's logic that needs no server: envelope mapping, filters, positions,
 * error translation, the append decision loop, $all scanning and the subscription loop.
 * The adapter itself runs the shared contract in eventstoredb.test.ts against a real server.
 */
import { EventEmitter } from 'node:events';
import {
  END,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  type Direction,
  type ReadPosition,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { IdempotencyConflict, InvalidInput, WrongExpectedRevision } from '../../src/eventstore/errors';
import { prepareAppend, type PreparedEvent } from '../../src/eventstore/event-validation';
import { appendWithSnapshots, backoffMs, decideAppend, MAX_APPEND_ATTEMPTS, type AppendIo, type StreamSnapshot } from '../../src/eventstore/eventstoredb/append';
import { LiveWakeup, type LiveFeed } from '../../src/eventstore/eventstoredb/live-wakeup';
import {
  actualRevision,
  clientConnectionString,
  appendedPosition,
  decodeMetadata,
  encodeMetadata,
  eventMatcher,
  isPostledgerRecord,
  isStreamNotFound,
  positionOf,
  readPositionFrom,
  toEventData,
  toRecordedEvent,
  writeErrorOutcome,
  writeOutcome,
} from '../../src/eventstore/eventstoredb/mapping';
import { lastEventPosition, scanForwards, type ScanIo, type ScanPage } from '../../src/eventstore/eventstoredb/scan';
import { catchUpSubscription } from '../../src/eventstore/catch-up-subscription';
import type { RecordedEvent } from '../../src/eventstore/port';
import { Wakeup } from '../../src/eventstore/wakeup';

const ID_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ID_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const ID_C = 'cccccccc-0000-4000-8000-000000000003';

function prepared(extra: Partial<PreparedEvent> = {}): PreparedEvent {
  return { id: ID_A, type: 'PostDrafted', schemaVersion: 1, data: '{"title":"t"}', metadata: '{}', occurredAt: undefined, ...extra };
}

function esdbRecord(extra: Partial<EsdbRecordedEvent> & { position?: { commit: bigint; prepare: bigint } } = {}): EsdbRecordedEvent {
  return {
    streamId: 'post-1',
    id: ID_A,
    isJson: true,
    revision: 0n,
    type: 'PostDrafted',
    created: new Date('2026-01-02T03:04:05.006Z'),
    data: { title: 't' },
    metadata: { $schemaVersion: 1 },
    position: { commit: 100n, prepare: 100n },
    ...extra,
  } as EsdbRecordedEvent;
}

describe('clientConnectionString', () => {
  it('rewrites the kurrentdb schemes to the esdb ones client v6 knows, and leaves esdb ones alone', () => {
    expect(clientConnectionString('kurrentdb://admin:changeit@localhost:2113?tls=false')).toBe('esdb://admin:changeit@localhost:2113?tls=false');
    expect(clientConnectionString('kurrentdb+discover://db.example:2113')).toBe('esdb+discover://db.example:2113');
    expect(clientConnectionString('esdb://a:2113,b:2113?tls=false')).toBe('esdb://a:2113,b:2113?tls=false');
    expect(clientConnectionString('esdb+discover://db.example:2113')).toBe('esdb+discover://db.example:2113');
  });
});

describe('event metadata', () => {
  it('stores the schema version and the given time next to the caller metadata', () => {
    const occurredAt = new Date('2026-03-29T01:30:00.000Z');
    expect(encodeMetadata(prepared({ schemaVersion: 2, occurredAt, metadata: '{"requestId":"r","actor":{"type":"user","id":"u"}}' }))).toEqual({
      requestId: 'r',
      actor: { type: 'user', id: 'u' },
      $schemaVersion: 2,
      $occurredAt: '2026-03-29T01:30:00.000Z',
    });
  });

  it('leaves the time out when the caller gave none, so the server stamps the append', () => {
    expect(encodeMetadata(prepared())).toEqual({ $schemaVersion: 1 });
  });

  it('strips the envelope fields on read and gives back exactly the caller metadata', () => {
    const occurredAt = new Date('2026-03-29T01:30:00.000Z');
    const metadata = { correlationId: 'c', nested: { list: [1, null] } };
    const stored = JSON.parse(JSON.stringify(encodeMetadata(prepared({ schemaVersion: 3, occurredAt, metadata: JSON.stringify(metadata) }))));
    expect(decodeMetadata(stored)).toEqual({ schemaVersion: 3, occurredAt, metadata });
  });

  it('keeps caller keys that look like the envelope fields, escaped on write and restored on read', () => {
    const metadata = { $schemaVersion: 'mine', $$occurredAt: 'also mine', $correlationId: 'esdb-style' };
    const stored = encodeMetadata(prepared({ schemaVersion: 2, metadata: JSON.stringify(metadata) }));
    expect(stored).toEqual({ $$schemaVersion: 'mine', $$$occurredAt: 'also mine', $correlationId: 'esdb-style', $schemaVersion: 2 });
    expect(decodeMetadata(JSON.parse(JSON.stringify(stored)))).toEqual({ schemaVersion: 2, occurredAt: undefined, metadata });
  });

  it('keeps a __proto__ key as a plain key both ways', () => {
    const stored = encodeMetadata(prepared({ metadata: '{"__proto__":{"polluted":true}}' }));
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.keys(stored)).toEqual(['__proto__', '$schemaVersion']);
    const decoded = decodeMetadata(JSON.parse(JSON.stringify(stored))).metadata;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
  });

  it.each([
    ['missing', undefined],
    ['binary', new Uint8Array([1, 2])],
    ['an array', [1, 2]],
    ['a string', 'text'],
    ['null', null],
  ])('reads %s metadata (not written by Postledger) as empty with defaults', (_, stored) => {
    expect(decodeMetadata(stored)).toEqual({ schemaVersion: 1, occurredAt: undefined, metadata: {} });
  });

  it.each([0, 1.5, '2', -1])('ignores a schema version of %p', (version) => {
    expect(decodeMetadata({ $schemaVersion: version }).schemaVersion).toBe(1);
  });

  it.each(['yesterday', 42, null])('ignores an occurredAt of %p', (at) => {
    expect(decodeMetadata({ $occurredAt: at }).occurredAt).toBeUndefined();
  });

  it('accepts metadata objects without a prototype', () => {
    const stored = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, $schemaVersion: 4 });
    expect(decodeMetadata(stored)).toEqual({ schemaVersion: 4, occurredAt: undefined, metadata: { a: 1 } });
  });
});

describe('toEventData', () => {
  it('is a JSON event with the given id and type, the data and the encoded metadata', () => {
    const data = toEventData(prepared({ data: '{"n":[1,"two",null,true]}', schemaVersion: 2 }));
    expect(data).toEqual({
      id: ID_A,
      contentType: 'application/json',
      type: 'PostDrafted',
      data: { n: [1, 'two', null, true] },
      metadata: { $schemaVersion: 2 },
    });
  });

  it.each([['5', 5], ['null', null], ['"text"', 'text'], ['false', false]])('carries JSON data %s that is not an object', (json, value) => {
    expect(toEventData(prepared({ data: json })).data).toEqual(value);
  });
});

describe('positions', () => {
  it('are the commit position of the record', () => {
    expect(positionOf(esdbRecord({ position: { commit: 42n, prepare: 42n } }))).toBe(42n);
  });

  it('fall back to the commit position of the resolved event', () => {
    expect(positionOf(esdbRecord({ position: undefined }), 7n)).toBe(7n);
    expect(positionOf(esdbRecord({ position: { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n } }), 7n)).toBe(7n);
  });

  it.each([
    ['no position at all', undefined, undefined],
    ['the unsigned maximum', { commit: 2n ** 64n - 1n, prepare: 0n }, undefined],
    ['-1', { commit: -1n, prepare: -1n }, -1n],
  ])('are refused when the server gave %s', (_, position, commitPosition) => {
    expect(() => positionOf(esdbRecord({ position }), commitPosition)).toThrow(/server 22.6 or later/);
  });

  it('start a forward read of $all at the record of an exclusive `after`, or at the start', () => {
    expect(readPositionFrom(undefined)).toBe(START);
    expect(readPositionFrom(0n)).toBe(START);
    expect(readPositionFrom(1234n)).toEqual({ commit: 1234n, prepare: 1234n });
  });

  it('of an append are its commit position when reported', () => {
    expect(appendedPosition({ success: true, nextExpectedRevision: 2n, position: { commit: 900n, prepare: 900n } })).toBe(900n);
    expect(appendedPosition({ success: true, nextExpectedRevision: 2n })).toBeUndefined();
    expect(appendedPosition({ success: true, nextExpectedRevision: 2n, position: { commit: -1n, prepare: -1n } })).toBeUndefined();
  });
});

describe('toRecordedEvent', () => {
  it('maps the whole envelope and strips the stored envelope fields from the metadata', () => {
    const event = toRecordedEvent(
      esdbRecord({
        id: ID_A.toUpperCase(),
        revision: 4n,
        type: 'PostScheduled',
        data: { at: 'x' },
        metadata: { $schemaVersion: 2, $occurredAt: '2026-03-29T01:30:00.000Z', workspaceId: 'w', $$schemaVersion: 'caller' },
        position: { commit: 555n, prepare: 555n },
      }),
    );
    expect(event).toEqual({
      id: ID_A,
      type: 'PostScheduled',
      schemaVersion: 2,
      streamId: 'post-1',
      revision: 4n,
      position: 555n,
      occurredAt: new Date('2026-03-29T01:30:00.000Z'),
      data: { at: 'x' },
      metadata: { workspaceId: 'w', $schemaVersion: 'caller' },
    });
  });

  it('takes the server time of the append when the event carries none', () => {
    const event = toRecordedEvent(esdbRecord({ metadata: undefined }));
    expect(event.occurredAt).toEqual(new Date('2026-01-02T03:04:05.006Z'));
    expect(event.schemaVersion).toBe(1);
    expect(event.metadata).toEqual({});
  });
});

describe('eventMatcher', () => {
  it('keeps only Postledger records: no $ types, no $ streams, no foreign stream names', () => {
    expect(isPostledgerRecord('post-1', 'PostDrafted')).toBe(true);
    expect(isPostledgerRecord('post-1', '$metadata')).toBe(false);
    expect(isPostledgerRecord('$stats-127.0.0.1:2113', 'StatsCollected')).toBe(false);
    expect(isPostledgerRecord('$$post-1', '$metadata')).toBe(false);
    expect(isPostledgerRecord('Orders_42', 'OrderPlaced')).toBe(false);
    expect(eventMatcher()('post-1', 'PostDrafted')).toBe(true);
    expect(eventMatcher()('$scavenges', 'ScavengeStarted')).toBe(false);
  });

  it('matches categories and types exactly, not as prefixes', () => {
    const byType = eventMatcher({ types: ['Post'] });
    expect(byType('post-1', 'Post')).toBe(true);
    expect(byType('post-1', 'PostDrafted')).toBe(false);
    const byCategory = eventMatcher({ categories: ['post'] });
    expect(byCategory('post-1', 'PostDrafted')).toBe(true);
    expect(byCategory('posts-1', 'PostDrafted')).toBe(false);
    expect(byCategory('po-1', 'PostDrafted')).toBe(false);
    expect(byCategory('post-a-b', 'PostDrafted')).toBe(true);
  });

  it('needs both the category and the type when both are given', () => {
    const both = eventMatcher({ categories: ['post', 'comment'], types: ['PostDrafted', 'CommentAdded'] });
    expect(both('post-1', 'PostDrafted')).toBe(true);
    expect(both('comment-1', 'CommentAdded')).toBe(true);
    expect(both('post-1', 'PostScheduled')).toBe(false);
    expect(both('user-1', 'PostDrafted')).toBe(false);
  });

  it('matches nothing for an empty list, as the PostgreSQL adapter does', () => {
    expect(eventMatcher({ categories: [] })('post-1', 'PostDrafted')).toBe(false);
    expect(eventMatcher({ types: [] })('post-1', 'PostDrafted')).toBe(false);
  });
});

describe('client errors and results', () => {
  it('reads the actual revision, undefined when there is no stream', () => {
    expect(actualRevision(3n)).toBe(3n);
    expect(actualRevision(0n)).toBe(0n);
    expect(actualRevision('no_stream')).toBeUndefined();
    expect(actualRevision(-1n)).toBeUndefined();
    expect(actualRevision(undefined)).toBeUndefined();
  });

  it('turns a wrong expected version into a moved outcome with the actual revision', () => {
    const behind = new WrongExpectedVersionError(undefined, { streamName: 'post-1', expected: 2n, current: 3n });
    expect(writeErrorOutcome(behind)).toEqual({ kind: 'moved', actual: 3n });
    const missing = new WrongExpectedVersionError(undefined, { streamName: 'post-1', expected: 'stream_exists', current: 'no_stream' });
    expect(writeErrorOutcome(missing)).toEqual({ kind: 'moved', actual: undefined });
  });

  it('turns an append over the server size limit into InvalidInput', () => {
    const error = (() => {
      try {
        return writeErrorOutcome(MaxAppendSizeExceededError.fromMaxAppendSize(1024));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).field).toBe('events');
    expect((error as Error).message).toMatch(/maximum append size of 1024 bytes/);
  });

  it('rethrows any other error as it is', () => {
    const unavailable = new UnavailableError();
    expect(() => writeErrorOutcome(unavailable)).toThrow(unavailable);
    const plain = new Error('boom');
    expect(() => writeErrorOutcome(plain)).toThrow(plain);
    expect(() => writeErrorOutcome('text')).toThrow('text');
  });

  it('reads an append result as written, unconfirmed (no position) or moved', () => {
    const written: EsdbAppendResult = { success: true, nextExpectedRevision: 2n, position: { commit: 900n, prepare: 900n } };
    expect(writeOutcome(written)).toEqual({ kind: 'written', nextRevision: 3n, position: 900n });
    expect(writeOutcome({ success: true, nextExpectedRevision: 2n })).toEqual({ kind: 'unconfirmed' });
    expect(writeOutcome({ success: false, nextExpectedRevision: 5n })).toEqual({ kind: 'moved', actual: 5n });
    expect(writeOutcome({ success: false, nextExpectedRevision: -1n })).toEqual({ kind: 'moved', actual: undefined });
  });

  it('recognises a missing stream', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'post-1'))).toBe(true);
    expect(isStreamNotFound(new UnavailableError())).toBe(false);
    expect(isStreamNotFound(null)).toBe(false);
  });
});

function snapshot(entries: Array<[string, bigint, bigint]>, last?: bigint): StreamSnapshot {
  const stored = new Map(entries.map(([id, revision, position]) => [id, { revision, position }]));
  return { last: last ?? (entries.length ? entries[entries.length - 1]![1] : undefined), stored };
}

describe('decideAppend', () => {
  const twoStored = snapshot([
    [ID_A, 0n, 100n],
    [ID_B, 1n, 200n],
    [ID_C, 2n, 300n],
  ]);

  it('answers a batch whose ids are all stored with its first result, whatever the expectation', () => {
    expect(decideAppend('no_stream', twoStored, [ID_A, ID_B])).toEqual({ kind: 'duplicate', result: { nextRevision: 2n, position: 200n } });
    expect(decideAppend(7n, twoStored, [ID_C, ID_B])).toEqual({ kind: 'duplicate', result: { nextRevision: 3n, position: 300n } });
  });

  it('refuses a batch mixing stored and new ids, naming the stored ones', () => {
    expect(decideAppend('any', twoStored, [ID_B, 'dddddddd-0000-4000-8000-000000000004'])).toEqual({ kind: 'mixed', storedIds: [ID_B] });
  });

  it('writes new events conditioned on the revision it saw', () => {
    const fresh = ['dddddddd-0000-4000-8000-000000000004'];
    const empty = snapshot([]);
    expect(decideAppend('any', twoStored, fresh)).toEqual({ kind: 'write', condition: 2n });
    expect(decideAppend('any', empty, fresh)).toEqual({ kind: 'write', condition: NO_STREAM });
    expect(decideAppend('no_stream', empty, fresh)).toEqual({ kind: 'write', condition: NO_STREAM });
    expect(decideAppend('stream_exists', twoStored, fresh)).toEqual({ kind: 'write', condition: 2n });
    expect(decideAppend(2n, twoStored, fresh)).toEqual({ kind: 'write', condition: 2n });
  });

  it('reports a wrong expectation with the actual revision, undefined for no stream', () => {
    const fresh = ['dddddddd-0000-4000-8000-000000000004'];
    const empty = snapshot([]);
    expect(decideAppend('no_stream', twoStored, fresh)).toEqual({ kind: 'conflict', actual: 2n });
    expect(decideAppend('stream_exists', empty, fresh)).toEqual({ kind: 'conflict', actual: undefined });
    expect(decideAppend(1n, twoStored, fresh)).toEqual({ kind: 'conflict', actual: 2n });
    expect(decideAppend(9n, twoStored, fresh)).toEqual({ kind: 'conflict', actual: 2n });
    expect(decideAppend(0n, empty, fresh)).toEqual({ kind: 'conflict', actual: undefined });
  });
});

describe('appendWithSnapshots', () => {
  const append = prepareAppend('post-1', [{ id: ID_A, type: 'PostDrafted', data: {} }, { id: ID_B, type: 'PostSubmitted', data: {} }], 1024);

  function scripted(snapshots: StreamSnapshot[], writes: Array<Awaited<ReturnType<AppendIo['write']>>>) {
    const calls = { snapshots: 0, writes: [] as unknown[], sleeps: [] as number[] };
    const io: AppendIo = {
      snapshot: async () => snapshots[Math.min(calls.snapshots++, snapshots.length - 1)]!,
      write: async (_streamId, condition) => {
        calls.writes.push(condition);
        return writes[Math.min(calls.writes.length - 1, writes.length - 1)]!;
      },
      sleep: async (ms) => void calls.sleeps.push(ms),
    };
    return { io, calls };
  }

  it('writes once and returns the written revision and position', async () => {
    const { io, calls } = scripted([snapshot([[ID_C, 0n, 50n]])], [{ kind: 'written', nextRevision: 3n, position: 700n }]);
    await expect(appendWithSnapshots(io, append, 'any')).resolves.toEqual({ nextRevision: 3n, position: 700n });
    expect(calls.writes).toEqual([0n]);
  });

  it('returns the first result of a repeated batch without writing', async () => {
    const { io, calls } = scripted([snapshot([[ID_A, 0n, 100n], [ID_B, 1n, 200n], [ID_C, 2n, 300n]])], []);
    await expect(appendWithSnapshots(io, append, 'no_stream')).resolves.toEqual({ nextRevision: 2n, position: 200n });
    expect(calls.writes).toEqual([]);
  });

  it('refuses a mixed batch and a wrong expectation without writing', async () => {
    const mixed = scripted([snapshot([[ID_B, 0n, 100n]])], []);
    const conflict = await appendWithSnapshots(mixed.io, append, 'any').catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(IdempotencyConflict);
    expect(conflict).toMatchObject({ streamId: 'post-1', storedIds: [ID_B] });
    const wrong = scripted([snapshot([[ID_C, 0n, 100n]])], []);
    const error = await appendWithSnapshots(wrong.io, append, 'no_stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevision);
    expect(error).toMatchObject({ streamId: 'post-1', expected: 'no_stream', actual: 0n });
    expect([...mixed.calls.writes, ...wrong.calls.writes]).toEqual([]);
  });

  it('decides again when the stream moved: a lost race on an exact revision reports the new actual revision', async () => {
    const before = snapshot([[ID_C, 0n, 100n]]);
    const after = snapshot([[ID_C, 0n, 100n], ['x', 1n, 200n], ['y', 2n, 300n]]);
    const { io, calls } = scripted([before, after], [{ kind: 'moved', actual: 2n }]);
    const error = await appendWithSnapshots(io, append, 0n).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevision);
    expect(error).toMatchObject({ expected: 0n, actual: 2n });
    expect(calls.sleeps).toEqual([0]);
  });

  it('retries an append that expects any revision until it lands', async () => {
    const { io, calls } = scripted(
      [snapshot([[ID_C, 0n, 100n]]), snapshot([[ID_C, 0n, 100n], ['x', 1n, 200n]])],
      [{ kind: 'moved', actual: 1n }, { kind: 'written', nextRevision: 4n, position: 900n }],
    );
    await expect(appendWithSnapshots(io, append, 'any')).resolves.toEqual({ nextRevision: 4n, position: 900n });
    expect(calls.writes).toEqual([0n, 1n]);
  });

  it('answers a concurrent retry of the same batch with the first result', async () => {
    const won = snapshot([[ID_A, 0n, 100n], [ID_B, 1n, 200n]]);
    const moved = scripted([snapshot([]), won], [{ kind: 'moved', actual: 1n }]);
    await expect(appendWithSnapshots(moved.io, append, 'no_stream')).resolves.toEqual({ nextRevision: 2n, position: 200n });
    // the server may also accept the replay as idempotent without giving a position
    const unconfirmed = scripted([snapshot([]), won], [{ kind: 'unconfirmed' }]);
    await expect(appendWithSnapshots(unconfirmed.io, append, 'no_stream')).resolves.toEqual({ nextRevision: 2n, position: 200n });
  });

  it('gives up on a stream that keeps moving, or a write that never becomes readable', async () => {
    const moving = scripted([snapshot([])], [{ kind: 'moved', actual: 9n }]);
    const error = await appendWithSnapshots(moving.io, append, 'any').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevision);
    expect(error).toMatchObject({ actual: 9n });
    expect(moving.calls.writes).toHaveLength(MAX_APPEND_ATTEMPTS);
    const lost = scripted([snapshot([])], [{ kind: 'unconfirmed' }]);
    await expect(appendWithSnapshots(lost.io, append, 'any')).rejects.toThrow(/did not become readable/);
  });

  it('backs off briefly between attempts', () => {
    expect([0, 1, 2, 3, 6, 7, 20].map(backoffMs)).toEqual([0, 2, 4, 8, 64, 100, 100]);
  });
});

/**
 * $all as the server reads it: forwards from a record inclusive, backwards from a record
 * exclusive, and an error for a position that is not the start of a record.
 */
function fakeLog(records: AllStreamResolvedEvent[]) {
  const reads: Array<{ from: ReadPosition; count: number; direction: Direction }> = [];
  const positionAt = (i: number) => records[i]!.commitPosition!;
  const io: ScanIo = {
    async *readAll(from, count, direction) {
      reads.push({ from, count, direction });
      let index: number;
      if (from === START) index = direction === 'forwards' ? 0 : -1;
      else if (from === END) index = direction === 'forwards' ? records.length : records.length - 1;
      else {
        const at = records.findIndex((r) => r.commitPosition === from.commit);
        const beyond = records.length === 0 || from.commit > positionAt(records.length - 1);
        if (at < 0 && !beyond) throw new Error(`invalid position ${from.commit}`);
        index = at < 0 ? records.length : direction === 'forwards' ? at : at - 1;
      }
      for (let n = 0; n < count && index >= 0 && index < records.length; n++) {
        yield records[index]!;
        index += direction === 'forwards' ? 1 : -1;
      }
    },
  };
  return { io, reads };
}

function raw(position: bigint, streamId = 'post-1', type = 'PostDrafted', revision = 0n): AllStreamResolvedEvent {
  const event = esdbRecord({ streamId, type, revision, id: `00000000-0000-4000-8000-${position.toString().padStart(12, '0')}`, position: { commit: position, prepare: position } });
  return { event, commitPosition: position } as AllStreamResolvedEvent;
}

/** A log whose records sit 100 bytes apart: positions 100, 200, … */
function log(kinds: Array<'post' | 'user' | 'system'>): AllStreamResolvedEvent[] {
  return kinds.map((kind, i) => {
    const position = BigInt(100 * (i + 1));
    if (kind === 'system') return raw(position, '$stats-node', '$statsCollected');
    return raw(position, `${kind}-1`, kind === 'post' ? 'PostDrafted' : 'UserJoined');
  });
}

const all = eventMatcher();
const positions = (page: ScanPage) => page.events.map((e) => e.position);

describe('scanForwards', () => {
  it('reads from the start, in pages, each after the last position of the previous', async () => {
    const { io } = fakeLog(log(['post', 'system', 'post', 'user', 'post']));
    const first = await scanForwards(io, undefined, 2, all);
    expect(positions(first)).toEqual([100n, 300n]);
    expect(first).toMatchObject({ scannedTo: 300n, reachedEnd: false });
    const second = await scanForwards(io, 300n, 2, all);
    expect(positions(second)).toEqual([400n, 500n]);
    expect(second.reachedEnd).toBe(false);
    const rest = await scanForwards(io, 500n, 2, all);
    expect(rest).toEqual({ events: [], scannedTo: 500n, reachedEnd: true });
  });

  it('skips the record at `after` itself and maps what it returns', async () => {
    const { io, reads } = fakeLog(log(['post', 'post', 'post']));
    const page = await scanForwards(io, 200n, 10, all);
    expect(page.events).toEqual([expect.objectContaining({ position: 300n, streamId: 'post-1', type: 'PostDrafted' })]);
    expect(page.reachedEnd).toBe(true);
    expect(reads[0]!.from).toEqual({ commit: 200n, prepare: 200n });
  });

  it('filters, and reports how far it looked even past records that did not match', async () => {
    const { io } = fakeLog(log(['post', 'user', 'user', 'system']));
    const page = await scanForwards(io, undefined, 10, eventMatcher({ categories: ['post'] }));
    expect(positions(page)).toEqual([100n]);
    expect(page).toMatchObject({ scannedTo: 400n, reachedEnd: true });
    const empty = await scanForwards(fakeLog([]).io, undefined, 10, all);
    expect(empty).toEqual({ events: [], scannedTo: undefined, reachedEnd: true });
  });

  it('reads on through as many chunks as a selective filter needs', async () => {
    const kinds: Array<'post' | 'user'> = [...Array.from({ length: 600 }, () => 'user' as const), 'post'];
    const { io, reads } = fakeLog(log(kinds));
    const page = await scanForwards(io, undefined, 1, eventMatcher({ categories: ['post'] }));
    expect(positions(page)).toEqual([60_100n]);
    // each chunk goes on from the last record of the one before
    expect(reads.map((r) => r.from)).toEqual([START, { commit: 25_600n, prepare: 25_600n }, { commit: 51_100n, prepare: 51_100n }]);
  });

  it('finds the way in from a position inside a record, reading back from the end', async () => {
    const { io, reads } = fakeLog(log(['post', 'post', 'post', 'post']));
    const page = await scanForwards(io, 199n, 10, all);
    expect(positions(page)).toEqual([200n, 300n, 400n]);
    expect(reads.some((r) => r.direction === 'backwards' && r.from === END)).toBe(true);
    expect(positions(await scanForwards(io, 250n, 10, all))).toEqual([300n, 400n]);
    expect(positions(await scanForwards(io, 50n, 10, all))).toEqual([100n, 200n, 300n, 400n]);
  });

  it('walks back over many records to find the way in', async () => {
    const { io } = fakeLog(log(Array.from({ length: 700 }, () => 'post' as const)));
    const page = await scanForwards(io, 150n, 3, all);
    expect(positions(page)).toEqual([200n, 300n, 400n]);
  });

  it('reads nothing after the end of the log', async () => {
    const { io } = fakeLog(log(['post', 'post']));
    expect(await scanForwards(io, 10_000n, 10, all)).toEqual({ events: [], scannedTo: 10_000n, reachedEnd: true });
  });

  it('throws a failure that is not about the position', async () => {
    const down: ScanIo = {
      async *readAll() {
        throw new UnavailableError();
      },
    };
    await expect(scanForwards(down, undefined, 10, all)).rejects.toBeInstanceOf(UnavailableError);
    await expect(scanForwards(down, 300n, 10, all)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('ignores resolved records without an event', async () => {
    const records = log(['post', 'post']);
    const { io } = fakeLog([records[0]!, { commitPosition: 150n } as AllStreamResolvedEvent, records[1]!]);
    expect(positions(await scanForwards(io, undefined, 10, all))).toEqual([100n, 200n]);
  });

  it('refuses to loop on a server that does not move forwards', async () => {
    const stuck: ScanIo = {
      async *readAll(_from, count) {
        for (let n = 0; n < count; n++) yield raw(100n, '$stats-node', '$statsCollected');
      },
    };
    await expect(scanForwards(stuck, 100n, 10, all)).rejects.toThrow(/did not advance/);
  });
});

describe('lastEventPosition', () => {
  it('is the newest Postledger event, past trailing system records', async () => {
    expect(await lastEventPosition(fakeLog(log(['post', 'user', 'system', 'system'])).io)).toBe(200n);
  });

  it('reads back through more than one chunk of system records', async () => {
    const kinds: Array<'post' | 'system'> = ['post', ...Array.from({ length: 600 }, () => 'system' as const)];
    expect(await lastEventPosition(fakeLog(log(kinds)).io)).toBe(100n);
  });

  it('is undefined for a log with no Postledger event', async () => {
    expect(await lastEventPosition(fakeLog([]).io)).toBeUndefined();
    expect(await lastEventPosition(fakeLog(log(['system'])).io)).toBeUndefined();
    const onlyEmpty = fakeLog(Array.from({ length: 256 }, () => ({ commitPosition: 1n }) as AllStreamResolvedEvent));
    expect(await lastEventPosition(onlyEmpty.io)).toBeUndefined();
  });
});

describe('catchUpSubscription', () => {
  function event(position: bigint): RecordedEvent {
    return { id: `id-${position}`, type: 'T', schemaVersion: 1, streamId: 'post-1', revision: 0n, position, occurredAt: new Date(0), data: {}, metadata: {} };
  }

  function pages(list: ScanPage[]) {
    const afters: Array<bigint | undefined> = [];
    let i = 0;
    const wakeup = new Wakeup();
    const source = {
      wakeup,
      pollIntervalMs: 60_000,
      readPage: async (after: bigint | undefined) => {
        afters.push(after);
        return list[Math.min(i++, list.length - 1)]!;
      },
    };
    return { source, afters, wakeup };
  }

  it('yields pages, reports catching up with the last yielded position, and scans on from where it looked', async () => {
    const { source, afters, wakeup } = pages([
      { events: [event(100n), event(300n)], scannedTo: 300n, reachedEnd: false },
      { events: [], scannedTo: 500n, reachedEnd: true },
      { events: [event(600n)], scannedTo: 700n, reachedEnd: true },
      { events: [], scannedTo: 700n, reachedEnd: true },
    ]);
    const caughtUp: Array<bigint | undefined> = [];
    const subscription = catchUpSubscription(source, { after: 50n, onCaughtUp: (p) => caughtUp.push(p) });
    const iterator = subscription[Symbol.asyncIterator]();
    expect((await iterator.next()).value.position).toBe(100n);
    expect((await iterator.next()).value.position).toBe(300n);
    const live = iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(caughtUp).toEqual([300n]);
    wakeup.signal();
    expect((await live).value.position).toBe(600n);
    await subscription.close();
    expect(afters).toEqual([50n, 300n, 500n]);
    expect(caughtUp).toEqual([300n]);
  });

  it('reports catching up with the checkpoint it started from when nothing is new', async () => {
    const { source } = pages([{ events: [], scannedTo: undefined, reachedEnd: true }]);
    const caughtUp: Array<bigint | undefined> = [];
    const subscription = catchUpSubscription(source, { onCaughtUp: (p) => caughtUp.push(p) });
    const done = (async () => {
      const seen: RecordedEvent[] = [];
      for await (const e of subscription) seen.push(e);
      return seen;
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await subscription.close();
    expect(await done).toEqual([]);
    expect(caughtUp).toEqual([undefined]);
  });

  it('yields nothing more once closed while a scan is in flight', async () => {
    let release: (page: ScanPage) => void = () => undefined;
    const source = {
      wakeup: new Wakeup(),
      pollIntervalMs: 60_000,
      readPage: () => new Promise<ScanPage>((resolve) => (release = resolve)),
    };
    const subscription = catchUpSubscription(source, {});
    const next = subscription[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setImmediate(resolve));
    const closing = subscription.close();
    release({ events: [event(1n)], scannedTo: 1n, reachedEnd: true });
    expect(await next).toEqual({ done: true, value: undefined });
    await closing;
  });
});

describe('LiveWakeup', () => {
  class Feed extends EventEmitter implements LiveFeed {
    unsubscribed = false;
    async unsubscribe() {
      this.unsubscribed = true;
    }
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function live(open?: () => LiveFeed) {
    const feeds: Feed[] = [];
    let signals = 0;
    const warn = jest.fn();
    const wakeup = new LiveWakeup(
      open ??
        (() => {
          const feed = new Feed();
          feeds.push(feed);
          return feed;
        }),
      () => (signals += 1),
      { warn } as never,
    );
    return { wakeup, feeds, warn, signals: () => signals };
  }

  it('opens one feed however often it is started, and signals on every record and on confirmation', async () => {
    const { wakeup, feeds, signals } = live();
    wakeup.start();
    wakeup.start();
    expect(feeds).toHaveLength(1);
    feeds[0]!.emit('confirmation');
    feeds[0]!.emit('data', {});
    feeds[0]!.emit('data', {});
    expect(signals()).toBe(3);
    await wakeup.stop();
    expect(feeds[0]!.unsubscribed).toBe(true);
  });

  it('reconnects with a growing backoff after the feed drops, and resets it once records flow', async () => {
    const { wakeup, feeds, warn } = live();
    wakeup.start();
    feeds[0]!.emit('error', new Error('gone'));
    feeds[0]!.emit('close');
    expect(warn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(99);
    expect(feeds).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(feeds).toHaveLength(2);
    feeds[1]!.emit('end');
    jest.advanceTimersByTime(199);
    expect(feeds).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(feeds).toHaveLength(3);
    feeds[2]!.emit('data', {});
    feeds[2]!.emit('close');
    jest.advanceTimersByTime(100);
    expect(feeds).toHaveLength(4);
    await wakeup.stop();
  });

  it('retries when the feed cannot even be opened, with or without a logger', async () => {
    let attempts = 0;
    const wakeup = new LiveWakeup(
      () => {
        attempts += 1;
        throw new Error('no channel');
      },
      () => undefined,
    );
    wakeup.start();
    jest.advanceTimersByTime(100);
    expect(attempts).toBe(2);
    await wakeup.stop();
    jest.advanceTimersByTime(10_000);
    expect(attempts).toBe(2);
  });

  it('stays down after stop, ignoring what the old feed still emits', async () => {
    const { wakeup, feeds, signals, warn } = live();
    wakeup.start();
    await wakeup.stop();
    feeds[0]!.emit('error', new Error('cancelled'));
    feeds[0]!.emit('close');
    jest.advanceTimersByTime(10_000);
    expect(feeds).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
    expect(signals()).toBe(0);
    await wakeup.stop();
  });
});
