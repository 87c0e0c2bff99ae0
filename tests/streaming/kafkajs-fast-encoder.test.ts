import { createHash } from 'node:crypto';
import { PATCHED_KAFKAJS_VERSION, varLongSize, type KafkajsRequire } from '../../src/streaming/kafkajs-fast-encoder';
import { toOutboundMessage } from '../../src/streaming/relay-message';

/**
 * The changed Encoder must write exactly kafkajs's bytes. Each side is a fresh copy of kafkajs
 * (`jest.isolateModules`): the reference without this module, the changed one with it, loaded
 * in the order each test needs.
 */
type FastEncoderModule = typeof import('../../src/streaming/kafkajs-fast-encoder');

/** A fresh module registry: kafkajs and the module load anew inside `load`. */
function isolated<T>(load: (require: NodeJS.Require) => T): T {
  let out: T | undefined;
  jest.isolateModules(() => (out = load(require)));
  return out!;
}
const kafkajsFile = (file: string) => `kafkajs/src/${file}`;
const fastEncoderModule = '../../src/streaming/kafkajs-fast-encoder';

type Encoded = { buffer: Buffer };
type ProduceRequest = (a: object) => { encode(): Promise<Encoded> };

/** A produce request (v3, with record batches) of `topicData`, as JSON-able input. */
function requestArgs(topicData: object[]): object {
  return { acks: -1, timeout: 30000, transactionalId: null, producerId: 4242, producerEpoch: 3, topicData };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** kafkajs 2.2.4 unchanged (a registry of its own, without the module): the SHA-256 of the request's bytes. */
async function stockDigest(args: object): Promise<string> {
  const produce = isolated((load) => load(kafkajsFile('protocol/requests/produce/v3/request')) as ProduceRequest);
  return sha256((await produce(args).encode()).buffer);
}

function relayTopicData(): object[] {
  const messages = Array.from({ length: 60 }, (_, i) => {
    const { message: outbound } = toOutboundMessage({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: i % 2 ? 'PostDrafted' : 'EngagementRecorded',
      schemaVersion: 1,
      streamId: `post-${i % 7}`,
      revision: BigInt(i),
      position: BigInt(1_000_000 + i),
      occurredAt: new Date(1_780_000_000_000 + i),
      // from a few bytes to past the pool's 4 KiB (the buffers grow, and large ones leave the pool)
      data: { text: 'é✓x'.repeat(i * i), n: i },
      metadata: { actor: { type: 'user', id: `u-${i}` }, correlationId: 'c' },
    });
    const message = i % 3 ? outbound : { ...outbound, key: 'ünïcødé ✓' };
    // timestamps out of order and far apart (none 0: kafkajs would put the time of encoding): negative and multi-byte varlong deltas
    return { ...message, timestamp: i % 5 === 0 ? 1_000 * i + 1 : 1_780_000_000_000 - i * 3_600_000 };
  });
  return [
    {
      topic: 'postledger.post',
      partitions: [
        { partition: 0, firstSequence: 0, messages: messages.slice(0, 30) },
        { partition: 5, firstSequence: 2_000_000_000, messages: messages.slice(30) },
      ],
    },
    {
      topic: 'postledger.other',
      partitions: [
        {
          partition: 1,
          firstSequence: 7,
          messages: [
            { key: null, value: 'keyless', timestamp: 1 },
            { key: 'k', value: null, timestamp: 2, headers: { many: ['a', 'bb', 'ççç'], empty: '' } },
            { key: Buffer.from([0, 1, 2]), value: Buffer.alloc(700, 7), timestamp: 3, headers: { raw: Buffer.from('bytes'), text: 'ü' } },
            { value: 'no key, no headers', timestamp: 4 },
          ],
        },
      ],
    },
  ];
}

describe('kafkajs fast Encoder', () => {
  it(`is written against the kafkajs release the project installs (${PATCHED_KAFKAJS_VERSION})`, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect((require('kafkajs/package.json') as { version: string }).version).toBe(PATCHED_KAFKAJS_VERSION);
  });

  it("encodes produce requests byte for byte as kafkajs's own Encoder does, constructor changed too", async () => {
    const { installed, produce, Encoder } = isolated((load) => {
      // first: the module installs itself on import, before kafkajs's protocol modules load
      const module = load(fastEncoderModule) as FastEncoderModule;
      const first = module.installFastEncoder();
      return { installed: [first, module.installFastEncoder()], produce: load(kafkajsFile('protocol/requests/produce/v3/request')) as ProduceRequest, Encoder: load(kafkajsFile('protocol/encoder')) as object };
    });
    // a second install changes nothing and reports the first
    expect(installed).toEqual([
      { installed: true, swapped: true },
      { installed: true, swapped: true },
    ]);
    // kafkajs's class was replaced by a function with its prototype
    expect(String(Encoder).startsWith('class')).toBe(false);
    const args = requestArgs(relayTopicData());
    const { buffer } = await produce(args).encode();
    expect(buffer.length).toBeGreaterThan(100_000);
    expect(sha256(buffer)).toBe(await stockDigest(args));
  });

  it('still changes the methods when kafkajs had loaded its protocol modules first', async () => {
    const { installed, produce, Encoder } = isolated((load) => {
      const produce = load(kafkajsFile('protocol/requests/produce/v3/request')) as ProduceRequest;
      return { produce, installed: (load(fastEncoderModule) as FastEncoderModule).installFastEncoder(), Encoder: load(kafkajsFile('protocol/encoder')) as object };
    });
    expect(installed).toEqual({ installed: true, swapped: false });
    expect(String(Encoder).startsWith('class')).toBe(true);
    const args = requestArgs(relayTopicData());
    expect(sha256((await produce(args).encode()).buffer)).toBe(await stockDigest(args));
  });

  it("writes varlongs as kafkajs's Long arithmetic does, and leaves values it cannot take exactly to kafkajs", () => {
    type Encoded = { writeVarLong(v: unknown): { buffer: Buffer } };
    const { Encoder, Long } = isolated((load) => {
      load(fastEncoderModule);
      return {
        Encoder: load(kafkajsFile('protocol/encoder')) as { new (): Encoded; sizeOfVarLong(v: unknown): number },
        Long: load(kafkajsFile('utils/long')) as { fromString(s: string): unknown },
      };
    });
    const values = [0, 1, -1, 63, -64, 64, -65, 127, 128, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.78e12, -1.78e12, 2 ** 52 - 1, -(2 ** 52 - 1)];
    for (const value of values) {
      // the same value as a kafkajs Long takes kafkajs's own code
      const long = Long.fromString(String(value));
      const viaNumber = new Encoder().writeVarLong(value).buffer;
      const viaLong = new Encoder().writeVarLong(long).buffer;
      expect([value, viaNumber.toString('hex')]).toEqual([value, viaLong.toString('hex')]);
      expect([value, Encoder.sizeOfVarLong(value)]).toEqual([value, Encoder.sizeOfVarLong(long)]);
      expect(Encoder.sizeOfVarLong(value)).toBe(viaNumber.length);
    }
    expect([varLongSize(0), varLongSize(127), varLongSize(128), varLongSize(2 ** 53 - 1)]).toEqual([1, 1, 2, 8]);
  });

  it('changes nothing in another kafkajs release', () => {
    const Fake = Object.assign(function Fake() {}, { prototype: {}, nextPowerOfTwo: () => 1, sizeOfVarLong: () => 1 });
    const fakeRequire = Object.assign((id: string) => (id === './package.json' ? { version: '3.0.0' } : Fake), { resolve: (id: string) => id, cache: {} }) as unknown as KafkajsRequire;
    const { installFastEncoder } = isolated((load) => load(fastEncoderModule) as FastEncoderModule);
    expect(installFastEncoder(fakeRequire)).toEqual({ installed: false, swapped: false });
    expect(Fake.prototype).toEqual({});
    // and remembers it
    expect(installFastEncoder(fakeRequire)).toEqual({ installed: false, swapped: false });
  });
});
