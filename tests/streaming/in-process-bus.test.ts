import { InProcessBus } from '../../src/streaming/in-process-bus';
import { busContract, until } from './bus-contract';

busContract('in-process', { create: async () => new InProcessBus({ retryMs: 10 }) });

describe('InProcessBus (its own policies)', () => {
  const message = (key: string, n: number) => ({ key, value: String(n), headers: {} });

  it('makes publish wait while a partition is full of messages a consumer has not handled, then goes on', async () => {
    const bus = new InProcessBus({ partitions: 1, capacity: 3 });
    const handled: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await bus.consume({ topics: ['t'], groupId: 'slow', handle: async (m) => {
      await gate;
      handled.push(m.value);
    } });
    let published = false;
    const publishing = bus.publish('t', [1, 2, 3, 4, 5].map((n) => message('k', n))).then(() => (published = true));
    await until(() => handled.length === 0, 'the handler to hold the first message');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published).toBe(false);
    release();
    await publishing;
    await until(() => handled.length === 5, 'all five messages');
    expect(handled).toEqual(['1', '2', '3', '4', '5']);
    await bus.close();
  });

  it('keeps at most `capacity` messages per partition: a later group from the beginning sees the newest ones', async () => {
    const bus = new InProcessBus({ partitions: 1, capacity: 3 });
    await bus.publish('t', [1, 2, 3, 4, 5].map((n) => message('k', n)));
    const seen: string[] = [];
    await bus.consume({ topics: ['t'], groupId: 'late', fromBeginning: true, handle: async (m) => void seen.push(`${m.offset}:${m.value}`) });
    await until(() => seen.length === 3, 'the three kept messages');
    expect(seen).toEqual(['2:3', '3:4', '4:5']);
    await bus.close();
  });

  it('delivers to a group that subscribed before the topic existed, and reports each rejection', async () => {
    const errors: string[] = [];
    const bus = new InProcessBus({ retryMs: 1, maxRetryMs: 2, onHandlerError: (error, m) => errors.push(`${m.value}: ${(error as Error).message}`) });
    const seen: string[] = [];
    let fail = 3;
    await bus.consume({ topics: ['later'], groupId: 'g', handle: async (m) => {
      if (fail-- > 0) throw new Error('busy');
      seen.push(m.value);
    } });
    await bus.publish('later', [message('k', 1)]);
    await until(() => seen.length === 1, 'the message');
    expect(errors).toEqual(['1: busy', '1: busy', '1: busy']);
    await bus.close();
  });

  it('after close: publish and consume are refused, a blocked publish fails, and close again is a no-op', async () => {
    const bus = new InProcessBus({ partitions: 1, capacity: 1 });
    await bus.consume({ topics: ['t'], groupId: 'stuck', handle: () => new Promise<void>(() => undefined) });
    const blocked = bus.publish('t', [message('k', 1), message('k', 2), message('k', 3)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = bus.close();
    await expect(blocked).rejects.toThrow('the message bus is closed');
    await expect(bus.publish('t', [])).rejects.toThrow('the message bus is closed');
    await expect(bus.consume({ topics: ['t'], handle: async () => undefined })).rejects.toThrow('the message bus is closed');
    await bus.close();
    void closing;
  });

  it('refuses a partition count or capacity that is not a positive integer', () => {
    expect(() => new InProcessBus({ partitions: 0 })).toThrow('partitions must be a positive integer');
    expect(() => new InProcessBus({ capacity: 1.5 })).toThrow('capacity must be a positive integer');
  });
});
