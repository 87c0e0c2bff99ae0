import { InvalidInput } from './errors';
import type { ExpectedRevision, NewEvent } from './port';
import { categoryOf } from './stream-name';

export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
/** Most events one read returns, whatever `maxCount` asks. */
export const MAX_READ = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/** An event checked and encoded once, ready for any adapter to write. */
export interface PreparedEvent {
  id: string;
  type: string;
  schemaVersion: number;
  data: string;
  metadata: string;
  occurredAt: Date | undefined;
}

export interface PreparedAppend {
  streamId: string;
  category: string;
  events: PreparedEvent[];
}

/**
 * Checks a batch before anything is written and encodes its payloads as JSON.
 * Rejects an empty batch, a malformed stream id, a non-UUID or repeated event id, an odd
 * type, data that JSON cannot carry faithfully, and an event larger than `maxEventBytes`.
 */
export function prepareAppend(streamId: string, events: readonly NewEvent[], maxEventBytes: number): PreparedAppend {
  const category = categoryOf(streamId);
  if (!Array.isArray(events) || events.length === 0) throw new InvalidInput('events', 'a batch needs at least one event');
  const seen = new Set<string>();
  const prepared = events.map((event, i) => {
    const at = `events[${i}]`;
    if (typeof event.id !== 'string' || !UUID.test(event.id)) throw new InvalidInput(`${at}.id`, 'must be a UUID');
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new InvalidInput(`${at}.id`, `event id ${id} appears twice in the batch`);
    seen.add(id);
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) throw new InvalidInput(`${at}.type`, 'must be a name like PostScheduled');
    const schemaVersion = event.schemaVersion ?? 1;
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > 32767) throw new InvalidInput(`${at}.schemaVersion`, 'must be an integer from 1');
    if (event.occurredAt !== undefined && !(event.occurredAt instanceof Date && !Number.isNaN(event.occurredAt.getTime()))) {
      throw new InvalidInput(`${at}.occurredAt`, 'must be a valid Date');
    }
    // the fast check passes nearly every event; the slow one names what is wrong
    if (!isStorableJson(event.data, 0)) assertJson(event.data, `${at}.data`);
    if (event.metadata !== undefined && !isStorableJson(event.metadata, 0)) assertJson(event.metadata, `${at}.metadata`);
    if (event.metadata !== undefined && !isPlainObject(event.metadata)) throw new InvalidInput(`${at}.metadata`, 'must be an object');
    const data = JSON.stringify(event.data);
    const metadata = JSON.stringify(event.metadata ?? {});
    const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
    if (bytes > maxEventBytes) throw new InvalidInput(at, `event is ${bytes} bytes, over the limit of ${maxEventBytes}`);
    return { id, type: event.type, schemaVersion, data, metadata, occurredAt: event.occurredAt };
  });
  return { streamId, category, events: prepared };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const MAX_DEPTH = 256;

/** The happy path of assertJson, without building paths: true when the value is storable JSON. */
function isStorableJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return !value.includes('\u0000') && value.isWellFormed();
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (!isStorableJson(item, depth + 1)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        if (key.includes('\u0000') || !key.isWellFormed() || !isStorableJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** JSON must round-trip exactly: no undefined, functions, symbols, bigints, NaN, Dates, class instances, cycles. */
function assertJson(value: unknown, path: string, ancestors: unknown[] = []): void {
  switch (typeof value) {
    case 'string':
      assertStorableString(value, path);
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidInput(path, `${value} is not representable in JSON`);
      return;
    case 'object': {
      if (value === null) return;
      if (ancestors.includes(value)) throw new InvalidInput(path, 'contains a cycle');
      if (ancestors.length >= MAX_DEPTH) throw new InvalidInput(path, `nests deeper than ${MAX_DEPTH} levels`);
      const next = [...ancestors, value];
      if (Array.isArray(value)) {
        value.forEach((item, i) => assertJson(item, `${path}[${i}]`, next));
        return;
      }
      if (!isPlainObject(value)) throw new InvalidInput(path, `a ${value.constructor?.name ?? 'non-plain'} object is not JSON data`);
      for (const [key, item] of Object.entries(value)) {
        assertStorableString(key, `${path}.${key}`);
        assertJson(item, `${path}.${key}`, next);
      }
      return;
    }
    default:
      throw new InvalidInput(path, `a ${typeof value} is not JSON data`);
  }
}

/** NUL and lone surrogates survive JSON.stringify but no event store can keep them. */
function assertStorableString(value: string, path: string): void {
  if (value.includes('\u0000')) throw new InvalidInput(path, 'contains a NUL character');
  if (!value.isWellFormed()) throw new InvalidInput(path, 'contains a lone UTF-16 surrogate');
}

/** Validates an expected revision given from untyped code. */
export function checkExpected(expected: ExpectedRevision): ExpectedRevision {
  if (typeof expected === 'bigint') {
    if (expected < 0n) throw new InvalidInput('expectedRevision', 'a revision is 0 or more');
    return expected;
  }
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return expected;
  throw new InvalidInput('expectedRevision', `must be any, no_stream, stream_exists or a bigint revision, not ${String(expected)}`);
}

/** `maxCount` of a read, capped at MAX_READ. */
export function checkCount(maxCount: number | undefined): number {
  if (maxCount === undefined) return MAX_READ;
  if (!Number.isInteger(maxCount) || maxCount < 1) throw new InvalidInput('maxCount', 'must be a positive integer');
  return Math.min(maxCount, MAX_READ);
}
