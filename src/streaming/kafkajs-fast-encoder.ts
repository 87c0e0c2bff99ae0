/**
 * A faster `Encoder` for kafkajs 2.2.4, the same bytes.
 *
 * kafkajs writes every record of a produce request through its protocol `Encoder`
 * (`kafkajs/src/protocol/encoder.js`), and that class, not the network, bounds the relay: each
 * record and each of its nine headers starts a fresh zero-filled 512-byte `Buffer.alloc` (a new
 * ArrayBuffer each time), every varint becomes an array and a `Buffer.from`, and every varlong
 * (a record's timestamp delta) goes through BigInt-backed `Long` arithmetic. kafkajs is no
 * longer maintained (2.2.4 is its last release), so this module changes those four places for
 * the process that imports it, and nothing else:
 *
 * - the constructor and growth take their buffers from Node's pool (`Buffer.allocUnsafe`);
 *   only the bytes an encoder wrote (`buffer`, a slice up to `offset`) ever leave it, so no
 *   unwritten byte can reach the wire (a test compares whole produce requests byte for byte);
 * - `writeUVarInt` writes its bytes in place with the same 32-bit arithmetic;
 * - `writeVarLong` and `sizeOfVarLong` take plain numbers below 2^52 (exact as zig-zag
 *   doubles) without `Long`; any other value goes to kafkajs's own code.
 *
 * It applies only to kafkajs 2.2.4 (`installed()` says whether it did). The constructor is
 * changed by putting a subclass-like function in kafkajs's module cache before its protocol
 * modules load, so the module must be imported before `kafkajs` where that matters (the
 * producer's thread); where kafkajs had already loaded them, the method changes still apply.
 *
 * ```ts
 * import './kafkajs-fast-encoder'; // first
 * import { Kafka } from 'kafkajs';
 * ```
 */
import { createRequire } from 'node:module';

/** What this module relies on of kafkajs's Encoder (see kafkajs/src/protocol/encoder.js). */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): KafkajsEncoder;
  writeVarLong(value: unknown): KafkajsEncoder;
}

interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  prototype: KafkajsEncoder;
  nextPowerOfTwo(value: number): number;
  sizeOfVarLong(value: unknown): number;
  sizeOfVarInt(value: number): number;
  sizeOfVarIntBytes(value: unknown): number;
}

/** kafkajs's record encoder (`recordBatch/record/v0`): one record of a record batch. */
interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown> | null;
}
type RecordEncoder = (record: RecordFields) => KafkajsEncoder;

/** The Encoder methods a record is written with. */
interface RecordWriter extends KafkajsEncoder {
  writeVarInt(value: number): RecordWriter;
  writeInt8(value: number): RecordWriter;
  writeVarLong(value: unknown): RecordWriter;
  writeVarIntBytes(value: unknown): RecordWriter;
  writeVarIntString(value: string): RecordWriter;
}

/** Strings and Buffers: header values whose bytes `Buffer.byteLength` and `writeVarIntBytes` agree on. */
function plainHeaders(headers: RecordFields['headers']): headers is Record<string, string | Buffer> {
  if (headers === null || typeof headers !== 'object') return false;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value !== 'string' && !Buffer.isBuffer(value)) return false;
  }
  return true;
}

/**
 * kafkajs's record encoder written in one encoder of the right size: the same calls in the
 * same order as kafkajs's (size of the body, attributes, timestamp and offset deltas, key,
 * value, headers), without an Encoder and two arrays per header. Headers with arrays of values
 * (or anything else) go to kafkajs's own.
 */
function fastRecord(Encoder: KafkajsEncoderClass, original: RecordEncoder): RecordEncoder {
  return (record) => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = record;
    if (!plainHeaders(headers)) return original(record);
    const names = Object.keys(headers);
    let headersSize = Encoder.sizeOfVarInt(names.length);
    for (const name of names) headersSize += Encoder.sizeOfVarIntBytes(name) + Encoder.sizeOfVarIntBytes(headers[name]);
    const body = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value) + headersSize;
    const out = (new Encoder(body + 5) as RecordWriter).writeVarInt(body).writeInt8(0).writeVarLong(timestampDelta).writeVarInt(offsetDelta).writeVarIntBytes(key).writeVarIntBytes(value).writeVarInt(names.length);
    for (const name of names) out.writeVarIntString(name).writeVarIntBytes(headers[name]);
    return out;
  };
}

/** The kafkajs release whose Encoder this module was written against and tested with. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

/** |value| below this: the zig-zag value (at most 2|value|) is still an exact double. */
const EXACT_ZIGZAG_LIMIT = 2 ** 52;

/** The zig-zag encoding of a 64-bit integer, for a safe integer below EXACT_ZIGZAG_LIMIT in magnitude. */
function zigZag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** A number the fast varlong path takes: an integer whose zig-zag value is exact. */
function smallInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < EXACT_ZIGZAG_LIMIT;
}

/** Bytes of the unsigned varint of `z` (a non-negative integer). */
export function varLongSize(z: number): number {
  let bytes = 1;
  while (z >= 128) {
    bytes++;
    z = Math.floor(z / 128);
  }
  return bytes;
}

/** Marks an Encoder class this module already changed (kafkajs's module instance, whichever registry loaded this module). */
const INSTALLED = Symbol.for('postledger.kafkajs-fast-encoder');

/** Loads kafkajs's files: Node's own `require` from kafkajs's package (a test may hand another). */
export type KafkajsRequire = NodeJS.Require;

/**
 * Changes kafkajs's Encoder as described above, once per kafkajs instance. Returns whether it
 * applies (kafkajs 2.2.4 and an Encoder of the expected shape) and whether the constructor was
 * changed too (kafkajs's protocol modules not loaded yet).
 */
export function installFastEncoder(kafkajsRequire: KafkajsRequire = createRequire(require.resolve('kafkajs'))): { installed: boolean; swapped: boolean } {
  const { version } = kafkajsRequire('./package.json') as { version: string };
  const encoderPath = kafkajsRequire.resolve('./src/protocol/encoder.js');
  const Original = kafkajsRequire(encoderPath) as KafkajsEncoderClass & { [INSTALLED]?: { installed: boolean; swapped: boolean } };
  const done = Original[INSTALLED];
  if (done) return done;
  const proto = Original.prototype;
  if (version !== PATCHED_KAFKAJS_VERSION || typeof proto.writeUVarInt !== 'function' || typeof proto.writeVarLong !== 'function' || typeof Original.sizeOfVarLong !== 'function') {
    Original[INSTALLED] = { installed: false, swapped: false };
    return Original[INSTALLED];
  }

  proto.ensureAvailable = function ensureAvailable(this: KafkajsEncoder, length: number): void {
    if (this.offset + length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Original.nextPowerOfTwo(this.offset + length));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
  };

  proto.writeUVarInt = function writeUVarInt(this: KafkajsEncoder, value: number): KafkajsEncoder {
    // kafkajs's own loop (32-bit: `& 0xffffff80`, `>>>= 7`), written in place
    this.ensureAvailable(5);
    const buf = this.buf;
    let offset = this.offset;
    while ((value & 0xffffff80) !== 0) {
      buf[offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[offset++] = value & 0x7f;
    this.offset = offset;
    return this;
  };

  const originalWriteVarLong = proto.writeVarLong;
  proto.writeVarLong = function writeVarLong(this: KafkajsEncoder, value: unknown): KafkajsEncoder {
    if (!smallInteger(value)) return originalWriteVarLong.call(this, value);
    let z = zigZag(value);
    this.ensureAvailable(varLongSize(z));
    const buf = this.buf;
    let offset = this.offset;
    while (z >= 128) {
      buf[offset++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    buf[offset++] = z;
    this.offset = offset;
    return this;
  };

  const originalSizeOfVarLong = Original.sizeOfVarLong.bind(Original);
  Original.sizeOfVarLong = (value: unknown): number => (smallInteger(value) ? varLongSize(zigZag(value)) : originalSizeOfVarLong(value));

  // the constructor: a function with the class's prototype and statics, for modules loaded from now on
  const cached = kafkajsRequire.cache[encoderPath];
  const protocolLoaded = Object.keys(kafkajsRequire.cache).some((path) => path !== encoderPath && path.includes('/kafkajs/src/protocol/'));
  let swapped = false;
  if (cached && !protocolLoaded) {
    function FastEncoder(this: KafkajsEncoder, initialSize = 511): void {
      this.buf = Buffer.allocUnsafe(Original.nextPowerOfTwo(initialSize));
      this.offset = 0;
    }
    FastEncoder.prototype = proto;
    Object.setPrototypeOf(FastEncoder, Original);
    cached.exports = FastEncoder;
    // then the record encoder, which now loads FastEncoder
    const recordPath = kafkajsRequire.resolve('./src/protocol/recordBatch/record/v0/index.js');
    const originalRecord = kafkajsRequire(recordPath) as RecordEncoder;
    kafkajsRequire.cache[recordPath]!.exports = fastRecord(FastEncoder as unknown as KafkajsEncoderClass, originalRecord);
    swapped = true;
  }
  Original[INSTALLED] = { installed: true, swapped };
  return Original[INSTALLED];
}

installFastEncoder();
