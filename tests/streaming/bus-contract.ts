/**
 * What "a message bus" means here: both implementations of src/streaming/bus.ts (the in-process
 * bus and Kafka against a real broker) run this suite. Each test uses topics and groups of its
 * own, so it also runs against a broker other tests share.
 */
import { randomUUID } from 'node:crypto';
import type { BusMessage, ConsumedMessage, MessageBus } from '../../src/streaming/bus';

export interface BusFactory {
  create(): Promise<MessageBus>;
}

/** Resolves when `done()` is true, checking every 20 ms; rejects with `what` after `ms`. */
export async function until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const freshTopic = (): string => `test.${randomUUID().slice(0, 8)}`;

const message = (key: string, n: number, headers: Record<string, string> = {}): BusMessage => ({
  key,
  value: JSON.stringify({ key, n }),
  headers: { n: String(n), ...headers },
});

const nOf = (m: ConsumedMessage) => (JSON.parse(m.value) as { n: number }).n;

export function busContract(name: string, factory: BusFactory | undefined, skipReason?: string): void {
  const describeIf = factory ? describe : describe.skip;
  describeIf(`${name} message bus contract${factory ? '' : ` (skipped: ${skipReason})`}`, () => {
    let bus: MessageBus;
    beforeEach(async () => {
      bus = await factory!.create();
    });
    afterEach(async () => {
      await bus.close();
    });

    it('delivers key, value and headers, with the topic, a partition and an offset', async () => {
      const topic = freshTopic();
      const received: ConsumedMessage[] = [];
      await bus.consume({ topics: [topic], groupId: `g-${randomUUID()}`, fromBeginning: true, handle: async (m) => void received.push(m) });
      await bus.publish(topic, [message('post-1', 1, { ce_id: 'e-1', 'content-type': 'application/json' })]);
      await until(() => received.length === 1, 'the message');
      expect(received[0]).toEqual({
        topic,
        partition: expect.any(Number),
        offset: expect.stringMatching(/^\d+$/),
        key: 'post-1',
        value: '{"key":"post-1","n":1}',
        headers: { n: '1', ce_id: 'e-1', 'content-type': 'application/json' },
      });
    });

    it('keeps the order of each key across publishes', async () => {
      const topic = freshTopic();
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const seen = new Map<string, number[]>();
      let total = 0;
      await bus.consume({
        topics: [topic],
        groupId: `g-${randomUUID()}`,
        fromBeginning: true,
        handle: async (m) => {
          seen.set(m.key, [...(seen.get(m.key) ?? []), nOf(m)]);
          total += 1;
        },
      });
      for (let batch = 0; batch < 5; batch += 1) {
        await bus.publish(
          topic,
          Array.from({ length: 40 }, (_, i) => message(keys[i % keys.length]!, batch * 40 + i)),
        );
      }
      await until(() => total === 200, '200 messages');
      for (const [index, key] of keys.entries()) {
        expect(seen.get(key)).toEqual(Array.from({ length: 40 }, (_, i) => i * keys.length + index));
      }
    });

    it('keeps the order of publishes made at the same time, across topics', async () => {
      const [first, second] = [freshTopic(), freshTopic()];
      const seen: string[] = [];
      const groupId = `g-${randomUUID()}`;
      await bus.consume({ topics: [first, second], groupId, fromBeginning: true, handle: async (m) => void seen.push(`${m.topic === first ? 1 : 2}:${nOf(m)}`) });
      await Promise.all(Array.from({ length: 30 }, (_, i) => bus.publish(i % 2 === 0 ? first : second, [message(`k${i % 2}`, i)])));
      await until(() => seen.length === 30, '30 messages');
      expect(seen.filter((s) => s.startsWith('1:'))).toEqual(Array.from({ length: 15 }, (_, i) => `1:${i * 2}`));
      expect(seen.filter((s) => s.startsWith('2:'))).toEqual(Array.from({ length: 15 }, (_, i) => `2:${i * 2 + 1}`));
    });

    it('gives each message of a group to one member only', async () => {
      const topic = freshTopic();
      const groupId = `g-${randomUUID()}`;
      const byMember: number[][] = [[], []];
      await bus.consume({ topics: [topic], groupId, fromBeginning: true, handle: async (m) => void byMember[0]!.push(nOf(m)) });
      await bus.consume({ topics: [topic], groupId, fromBeginning: true, handle: async (m) => void byMember[1]!.push(nOf(m)) });
      await bus.publish(topic, Array.from({ length: 60 }, (_, i) => message(`k-${i}`, i)));
      await until(() => byMember[0]!.length + byMember[1]!.length >= 60, '60 messages');
      const all = [...byMember[0]!, ...byMember[1]!].sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(byMember[0]!.length).toBeGreaterThan(0);
      expect(byMember[1]!.length).toBeGreaterThan(0);
    });

    it('gives every message to each consumer without a group, from the time it subscribed', async () => {
      const topic = freshTopic();
      await bus.publish(topic, [message('before', 0)]);
      const first: number[] = [];
      const second: number[] = [];
      await bus.consume({ topics: [topic], handle: async (m) => void first.push(nOf(m)) });
      await bus.consume({ topics: [topic], handle: async (m) => void second.push(nOf(m)) });
      await bus.publish(topic, Array.from({ length: 20 }, (_, i) => message(`k-${i}`, i + 1)));
      await until(() => first.length === 20 && second.length === 20, 'both consumers to get 20 messages');
      const expected = Array.from({ length: 20 }, (_, i) => i + 1);
      expect([...first].sort((x, y) => x - y)).toEqual(expected);
      expect([...second].sort((x, y) => x - y)).toEqual(expected);
    });

    it('retries a rejected message before the next one of its partition', async () => {
      const topic = freshTopic();
      const attempts: number[] = [];
      let failuresLeft = 2;
      await bus.consume({
        topics: [topic],
        groupId: `g-${randomUUID()}`,
        fromBeginning: true,
        handle: async (m) => {
          attempts.push(nOf(m));
          if (nOf(m) === 1 && failuresLeft > 0) {
            failuresLeft -= 1;
            throw new Error('not yet');
          }
        },
      });
      await bus.publish(topic, [message('same', 1), message('same', 2)]);
      await until(() => attempts.includes(2), 'the second message');
      expect(attempts).toEqual([1, 1, 1, 2]);
    });

    it('resumes a group after the last handled message when a member comes back', async () => {
      const topic = freshTopic();
      const groupId = `g-${randomUUID()}`;
      const firstRun: number[] = [];
      const consumer = await bus.consume({ topics: [topic], groupId, fromBeginning: true, handle: async (m) => void firstRun.push(nOf(m)) });
      await bus.publish(topic, [message('k', 1), message('k', 2)]);
      await until(() => firstRun.length === 2, 'the first two messages');
      await consumer.stop();
      await bus.publish(topic, [message('k', 3)]);
      const secondRun: number[] = [];
      await bus.consume({ topics: [topic], groupId, fromBeginning: true, handle: async (m) => void secondRun.push(nOf(m)) });
      await until(() => secondRun.length === 1, 'the third message');
      expect(firstRun).toEqual([1, 2]);
      expect(secondRun).toEqual([3]);
    });

    it('stops calling the handler once the consumer stopped', async () => {
      const topic = freshTopic();
      const received: number[] = [];
      const consumer = await bus.consume({ topics: [topic], handle: async (m) => void received.push(nOf(m)) });
      await bus.publish(topic, [message('k', 1)]);
      await until(() => received.length === 1, 'the first message');
      await consumer.stop();
      await bus.publish(topic, [message('k', 2)]);
      const witness: number[] = [];
      await bus.consume({ topics: [topic], groupId: `g-${randomUUID()}`, fromBeginning: true, handle: async (m) => void witness.push(nOf(m)) });
      await until(() => witness.length === 2, 'a later consumer to see both messages');
      expect(received).toEqual([1]);
    });
  });
}
