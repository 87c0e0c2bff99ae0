import type { RecordedEvent } from '../eventstore/port';

/**
 * Returned by `sortedCopy` for an object that a copy cannot carry to JSON.stringify: an
 * index-like key (engines reorder those) or a `__proto__` key (assigning it sets the copy's
 * prototype, so the member would vanish from the text and a forger could add or change one
 * unseen).
 */
const SPELL_OUT = Symbol('spell-out');

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
  return copy === SPELL_OUT ? spelledOut(value) : (JSON.stringify(copy) ?? 'null');
}

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === SPELL_OUT) return SPELL_OUT;
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
    if ((first >= 48 && first <= 57) || key === '__proto__') return SPELL_OUT;
    const member = sortedCopy(record[key]);
    if (member === SPELL_OUT) return SPELL_OUT;
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

/**
 * Raw control characters are not valid JSON, and a lone surrogate is written escaped by
 * `JSON.stringify`: a text with either takes the slow path (which throws, or escapes, as the
 * parser and `JSON.stringify` do).
 */
const SLOW_PATH_CHARACTERS = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * `canonicalJson(JSON.parse(text))`, the same characters, written straight from the JSON text
 * without building objects: what verification does with the text of a `jsonb` column (less
 * CPU and no garbage). Members of objects are re-ordered, strings without escapes and short
 * integers are copied as they are, any other string or number goes through `JSON.parse` and
 * `JSON.stringify` one token at a time. Anything unusual (a duplicate or `__proto__` key, a
 * control character, a surrogate, text that is not JSON) takes the slow path whole.
 *
 * ```ts
 * canonicalJsonText('{"b": 1, "a": [1.0, "x"]}'); // '{"a":[1,"x"],"b":1}'
 * ```
 */
export function canonicalJsonText(text: string): string {
  if (!SLOW_PATH_CHARACTERS.test(text)) {
    const out = new TextScanner(text).document();
    if (out !== undefined) return out;
  }
  return canonicalJson(JSON.parse(text));
}

/** Integers of up to 15 digits are exact doubles that `JSON.stringify` writes as the same digits. */
const SAFE_INTEGER_DIGITS = 15;

/** One pass over a JSON text; every method returns undefined where the slow path must decide. */
class TextScanner {
  private i = 0;
  /** Where the next backslash is (Infinity: none left): a string that closes before it has no escape. */
  private nextBackslash: number;
  /** The value of the last string read by `string()`. */
  private stringValue = '';

  constructor(private readonly text: string) {
    const b = text.indexOf('\\');
    this.nextBackslash = b === -1 ? Infinity : b;
  }

  document(): string | undefined {
    const out = this.value();
    this.skipSpace();
    return this.i === this.text.length ? out : undefined;
  }

  private value(): string | undefined {
    this.skipSpace();
    const text = this.text;
    const c = text.charCodeAt(this.i);
    if (c === 0x22 /* " */) return this.string();
    if (c === 0x7b /* { */) return this.object();
    if (c === 0x5b /* [ */) return this.array();
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.number();
    for (const word of WORDS) {
      if (text.startsWith(word, this.i)) {
        this.i += word.length;
        return word;
      }
    }
    return undefined;
  }

  private skipSpace(): void {
    const text = this.text;
    let c = text.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++this.i);
  }

  /** A string token as JSON.stringify writes its value; the value is left in `stringValue`. */
  private string(): string | undefined {
    const text = this.text;
    const start = this.i;
    const close = text.indexOf('"', start + 1);
    if (close === -1) return undefined;
    if (close < this.nextBackslash) {
      // no escape: the characters are the value, and JSON.stringify writes them unchanged
      this.i = close + 1;
      this.stringValue = text.slice(start + 1, close);
      return text.slice(start, close + 1);
    }
    // escapes: find the real end, then let JSON.parse and JSON.stringify decide
    let j = start + 1;
    for (let c = text.charCodeAt(j); c !== 0x22; c = text.charCodeAt(j)) {
      if (Number.isNaN(c)) return undefined;
      j += c === 0x5c /* \ */ ? 2 : 1;
    }
    this.i = j + 1;
    const b = text.indexOf('\\', this.i);
    this.nextBackslash = b === -1 ? Infinity : b;
    const value = parsed(text.slice(start, j + 1));
    if (typeof value !== 'string') return undefined;
    this.stringValue = value;
    return JSON.stringify(value);
  }

  private number(): string | undefined {
    const text = this.text;
    const start = this.i;
    let j = start;
    let integer = true;
    if (text.charCodeAt(j) === 0x2d) j++;
    const digitsStart = j;
    for (;;) {
      const c = text.charCodeAt(j);
      if (c >= 0x30 && c <= 0x39) j++;
      else if (c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) {
        integer = false;
        j++;
      } else break;
    }
    this.i = j;
    const token = text.slice(start, j);
    const digits = j - digitsStart;
    // an integer without a leading zero, and not -0, is already as JSON.stringify writes it
    if (integer && digits > 0 && digits <= SAFE_INTEGER_DIGITS && (text.charCodeAt(digitsStart) !== 0x30 || token === '0')) return token;
    const value = parsed(token);
    return typeof value === 'number' ? JSON.stringify(value) : undefined;
  }

  private array(): string | undefined {
    const text = this.text;
    this.i++;
    this.skipSpace();
    if (text.charCodeAt(this.i) === 0x5d /* ] */) {
      this.i++;
      return '[]';
    }
    let out = '[';
    for (;;) {
      const item = this.value();
      if (item === undefined) return undefined;
      out += item;
      this.skipSpace();
      const c = text.charCodeAt(this.i++);
      if (c === 0x5d) return out + ']';
      if (c !== 0x2c /* , */) return undefined;
      out += ',';
    }
  }

  private object(): string | undefined {
    const text = this.text;
    this.i++;
    this.skipSpace();
    if (text.charCodeAt(this.i) === 0x7d /* } */) {
      this.i++;
      return '{}';
    }
    const keys: string[] = [];
    const members: string[] = [];
    let sorted = true;
    for (;;) {
      this.skipSpace();
      if (text.charCodeAt(this.i) !== 0x22) return undefined;
      const keyJson = this.string();
      const key = this.stringValue;
      // JSON.parse keeps the last of duplicate keys, and a __proto__ key is rare: the slow path decides
      if (keyJson === undefined || key === '__proto__') return undefined;
      this.skipSpace();
      if (text.charCodeAt(this.i++) !== 0x3a /* : */) return undefined;
      const value = this.value();
      if (value === undefined) return undefined;
      if (sorted && keys.length > 0 && !(keys[keys.length - 1]! < key)) sorted = false;
      keys.push(key);
      members.push(keyJson + ':' + value);
      this.skipSpace();
      const c = text.charCodeAt(this.i++);
      if (c === 0x7d) break;
      if (c !== 0x2c) return undefined;
    }
    if (!sorted && !sortMembers(keys, members)) return undefined;
    // concatenated rather than joined: joining flattens at every level, hashing flattens once
    let out = '{' + members[0]!;
    for (let m = 1; m < members.length; m++) out += ',' + members[m]!;
    return out + '}';
  }
}

const WORDS = ['true', 'false', 'null'] as const;

/** JSON.parse of one token, undefined when it is not JSON. */
function parsed(token: string): unknown {
  try {
    return JSON.parse(token) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Sorts `members` by `keys` (UTF-16 code units, as `Array.prototype.sort` compares strings) in
 * place, by insertion: objects in events have a handful of keys. False when a key is there twice.
 */
function sortMembers(keys: string[], members: string[]): boolean {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    const member = members[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      members[j + 1] = members[j]!;
      j--;
    }
    if (j >= 0 && keys[j] === key) return false;
    keys[j + 1] = key;
    members[j + 1] = member;
  }
  return true;
}
