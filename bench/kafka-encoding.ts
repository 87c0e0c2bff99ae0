/**
 * `tsx bench/kafka-encoding.ts [fast|stock]`: kafkajs's encoding of produce requests (v3) for the
 * relay's messages, no network: CPU µs per record, and a SHA-256 of the bytes of one request so
 * two runs can be compared. `fast` installs src/streaming/kafkajs-fast-encoder first.
 */
import { createHash } from 'node:crypto';
import { toOutboundMessage } from '../src/streaming/relay-message';
import { eventData, eventMetadata } from './lib/events';

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'fast';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fast = mode === 'fast' ? (require('../src/streaming/kafkajs-fast-encoder') as typeof import('../src/streaming/kafkajs-fast-encoder')).installFastEncoder() : undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request') as (a: object) => { encode(): Promise<{ buffer: Buffer }> };
  const messages = Array.from({ length: 500 }, (_, i) => {
    const { message } = toOutboundMessage({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: 'PostDrafted',
      schemaVersion: 1,
      streamId: `post-${String(i % 97).padStart(8, '0')}`,
      revision: BigInt(i % 100),
      position: BigInt(i + 1),
      occurredAt: new Date(1_780_000_000_000 + i),
      data: eventData(i, `00000000-0000-4000-9000-${String(i).padStart(12, "0")}`),
      metadata: { ...eventMetadata(), correlationId: 'c', causationId: 'c', requestId: 'r' },
    });
    return { ...message, timestamp: 1_780_000_000_000 + i * 3 };
  });
  const topicData = [0, 1, 2].map((t) => ({
    topic: `postledger.t${t}`,
    partitions: Array.from({ length: 6 }, (_, p) => ({ partition: p, firstSequence: 7, messages: messages.filter((_, i) => i % 18 === t * 6 + p) })),
  }));
  const encodeOnce = () => produce({ acks: -1, timeout: 30000, topicData, transactionalId: null, producerId: 12345, producerEpoch: 0 }).encode();
  const digest = createHash('sha256').update((await encodeOnce()).buffer).digest('hex');
  for (let i = 0; i < 40; i += 1) await encodeOnce();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const cpu = process.cpuUsage();
    for (let done = 0; done < 50_000; done += 500) await encodeOnce();
    const used = process.cpuUsage(cpu);
    rounds.push((used.user + used.system) / 50_000);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${mode}${fast ? ` ${JSON.stringify(fast)}` : ''}: ${rounds[2]!.toFixed(2)} µs CPU per record (median of 5: ${rounds.map((r) => r.toFixed(2)).join(', ')}); request sha256 ${digest.slice(0, 16)}`);
}

void main();
