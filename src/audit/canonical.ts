import type { RecordedEvent } from '../eventstore/port';

/** Returned by `sortedCopy` for an object with an index-like key, whose order JSON.stringify would not keep. */
const INDEX_KEYED = Symbol('index-keyed');

/**
 * JSON with object keys sorted by UTF-16 code units and no whitespace: the JSON
 * Canonicalization Scheme (RFC 8785) for the values an event can hold (strings, finite
 * numbers, booleans, null, arrays, objects). Numbers and strings are written as
 * `JSON.stringify` writes them, which is what RFC 8785 prescribes.
 *
 * ```ts
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  // a copy with sorted keys through the native JSON.stringify is the fast path
  const copy = sortedCopy(value);
  return copy === INDEX_KEYED ? spelledOut(value) : (JSON.stringify(copy) ?? 'null');
}

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === INDEX_KEYED) return INDEX_KEYED;
      copy[i] = item;
    }
    return copy;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    // engines put integer-like keys first in ascending numeric order, whatever the insertion order
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57) return INDEX_KEYED;
    const member = sortedCopy(record[key]);
    if (member === INDEX_KEYED) return INDEX_KEYED;
    copy[key] = member;
  }
  return copy;
}

/** The slow path: the same text, written member by member. */
function spelledOut(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : spelledOut(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${spelledOut(record[key])}`);
  return `{${members.join(',')}}`;
}

/**
 * The canonical encoding of an event that the tamper-evidence chain hashes: the canonical
 * JSON (see `canonicalJson`) of an object of exactly these members, as the log stores them:
 *
 * | member | value |
 * |---|---|
 * | `data` | the stored data (encrypted personal fields stay encrypted) |
 * | `id` | the event id (lower-case UUID) |
 * | `metadata` | the stored metadata |
 * | `occurredAt` | ISO 8601 in UTC with milliseconds (`Date.prototype.toISOString`) |
 * | `revision` | the 0-based revision in the stream, as a decimal string |
 * | `schemaVersion` | the stored schema version, a number |
 * | `streamId` | e.g. `post-8c1…` |
 * | `type` | e.g. `PostDrafted` |
 *
 * The global position is not in it: the chain's order carries it, so the chain survives a
 * copy of the log into another store that numbers positions differently.
 *
 * ```ts
 * canonicalEvent(recorded); // '{"data":{…},"id":"…","metadata":{…},"occurredAt":"2026-11-26T04:50:16.123Z","revision":"0",…}'
 * ```
 */
export function canonicalEvent(event: RecordedEvent): string {
  // the members in their sorted order, written out: only data and metadata need sorting
  return (
    `{"data":${canonicalJson(event.data)},"id":${JSON.stringify(event.id)},"metadata":${canonicalJson(event.metadata)},` +
    `"occurredAt":"${event.occurredAt.toISOString()}","revision":"${event.revision}","schemaVersion":${JSON.stringify(event.schemaVersion)},` +
    `"streamId":${JSON.stringify(event.streamId)},"type":${JSON.stringify(event.type)}}`
  );
}
