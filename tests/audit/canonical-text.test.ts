import { canonicalJson, canonicalJsonText } from '../../src/audit/canonical';
import { isoTime } from '../../src/audit/canonical-log';
import { types } from 'pg';

/** What the chain hashed before canonicalJsonText existed: the parsed value, encoded. */
const reference = (text: string) => canonicalJson(JSON.parse(text));

/** A deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'x', 'Weekly update #1', 'événement', 'naïve café', '日本語のテキスト', '😀 emoji', 'a\u2028b\u2029c', 'tab\there', 'line\nbreak', 'quote " and \\ backslash', '\u0000\u0001\u001f', '\u007f', '</script>', 'ÿ', '\ud83d\ude00'];
const KEYS = ['a', 'b', 'B', 'Z', 'postId', 'title', 'body', 'tags', '1', '10', '9', '01', '-1', 'é', 'e', '😀', '\uff61', 'a b', 'k"q', 'aa', 'ab', '', '_', 'constructor', 'toString'];
const NUMBERS = [0, -0, 1, -1, 42, 2.5, -12.5, 0.1, 1e21, 1e-7, 123456789012345, 1234567890123456, 12345678901234567890, Number.MAX_SAFE_INTEGER, 5e-324, 1.7976931348623157e308, 0.000001, 100, 1.5e300];

function value(next: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const kind = Math.floor(next() * (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0:
      return pick(STRINGS) + (next() < 0.3 ? pick(STRINGS) : '');
    case 1:
      return pick(NUMBERS) * (next() < 0.2 ? -1 : 1);
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return Math.floor(next() * 2 ** 31) * (next() < 0.5 ? 1 : -1);
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let n = Math.floor(next() * 7); n > 0; n--) object[pick(KEYS)] = value(next, depth + 1);
      return object;
    }
  }
}

/** The text of a value the way PostgreSQL's jsonb writes it: ", " and ": " between tokens. */
function jsonbStyle(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    out += c;
    if (inString) {
      if (c === '\\') out += text[++i]!;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ',' || c === ':') out += ' ';
  }
  return out;
}

describe('canonicalJsonText', () => {
  it('writes exactly what canonicalJson writes of the parsed text, for 20,000 generated documents in three layouts', () => {
    const next = random(7);
    const differing: string[] = [];
    let compared = 0;
    for (let n = 0; n < 20_000; n++) {
      const doc = value(next, 0);
      const compact = JSON.stringify(doc);
      for (const text of [compact, jsonbStyle(compact), JSON.stringify(doc, null, n % 2 === 0 ? 2 : '\t')]) {
        compared++;
        if (canonicalJsonText(text) !== reference(text)) differing.push(text);
      }
    }
    expect(differing).toEqual([]);
    expect(compared).toBe(60_000);
  });

  it.each([
    ['numbers as PostgreSQL writes them', '{"a": 1.0, "b": -0, "c": 1.50, "d": 100000000000000000000000, "e": 0.0000001, "f": 1E+2, "g": -0.0, "h": 12345678901234567}'],
    ['numbers past a double', '[1e400, -1e400, 1e-400]'],
    ['escapes of every kind', '{"s": "\\u0041\\n\\t\\"\\\\\\/\\b\\f\\r\\u00e9\\u2028\\ud83d\\ude00", "k\\u0065y": 1, "key": 2}'],
    ['a lone surrogate escaped', '["\\ud800", "\\udc00x"]'],
    ['raw surrogate pairs and other planes', '{"😀": "😀𝄞", "\uff61": 1, "\ud7ff": 2}'],
    ['index-like keys', '{"b": 1, "10": "ten", "9": "nine", "a": {"2": [], "1": {}}}'],
    ['keys that differ only past the BMP', '{"\uff61": 1, "😀": 2, "\ue000": 3}'],
    ['empty containers and words', '{"a": {}, "b": [], "c": [true, false, null], "d": [[]], "e": [{}]}'],
    ['whitespace everywhere', ' \n{ "b" :\t[ 1 ,2 ] ,\r\n "a" : { } } \n'],
    ['a bare scalar', '"just a string"'],
    ['a bare number', '-12.50'],
  ])('agrees on %s', (_name, text) => {
    expect(canonicalJsonText(text)).toBe(reference(text));
  });

  it('leaves duplicate and __proto__ keys to the parser, and so agrees on them too', () => {
    for (const text of ['{"a": 1, "b": 2, "a": 3}', '{"b": 1, "a": 2, "b": 3}', '{"x": {"a": 1, "a": 2}}', '{"__proto__": {"polluted": 1}, "a": 1}', '{"a": {"__proto__": 5}}', '{"1": {"__proto__": {"x": 1}}}']) {
      expect(canonicalJsonText(text)).toBe(reference(text));
    }
  });

  it('throws where JSON.parse throws', () => {
    for (const text of ['', '{', '{"a" 1}', '{"a": 1,}', '[1 2]', "{'a': 1}", '{"a": 01}', '{"a": "raw\u0001control"}', '{"a": 1} x', 'nul', '"unterminated', '{"a": -}', '{"a": 1.}', '[.5]']) {
      expect(() => reference(text)).toThrow(SyntaxError);
      expect(() => canonicalJsonText(text)).toThrow(SyntaxError);
    }
  });
});

describe('isoTime', () => {
  const viaNodePostgres = (text: string) => (types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text') as (value: string) => Date)(text).toISOString();

  it('gives what node-postgres’s Date gives for every millisecond fraction and for microseconds', () => {
    for (let ms = 0; ms < 1000; ms++) {
      const micros = `${String(ms).padStart(3, '0')}${String((ms * 7) % 1000).padStart(3, '0')}`;
      for (const fraction of [`.${String(ms).padStart(3, '0')}`.replace(/0+$/, '').replace(/\.$/, ''), `.${micros}`.replace(/0+$/, '').replace(/\.$/, '')]) {
        const text = `2026-11-26 04:50:16${fraction}+00`;
        expect(isoTime(text)).toBe(viaNodePostgres(text));
      }
    }
  });

  it.each(['2026-11-26 04:50:16+00', '1970-01-01 00:00:00+00', '0044-03-15 12:00:00.5+00', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00', '2026-11-26 05:50:16.123+01', '2026-11-26 10:35:16.123456+05:45', '1900-01-01 00:19:32+00:19:32', '0044-03-15 12:00:00+00 BC', '12026-01-01 00:00:00+00'])(
    'gives what node-postgres’s Date gives for %s',
    (text) => {
      expect(isoTime(text)).toBe(viaNodePostgres(text));
    },
  );
});
