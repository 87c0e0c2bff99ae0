import type { BusMessage, ConsumedMessage, ConsumeOptions, Consumer, MessageBus } from './bus';
import { partitionOf } from './partitioning';

export interface InProcessBusOptions {
  /** Partitions per topic: messages of one key stay in one partition, in order (default 4). */
  partitions?: number;
  /**
   * Messages kept per partition (default 10,000). When a partition is full, the oldest message
   * every consumer has handled is dropped; if an active consumer has not handled it yet,
   * `publish` waits until it has (back-pressure: nothing is dropped unread).
   */
  capacity?: number;
  /** Delay before a rejected message is handed to its consumer again: doubles from `retryMs` up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Told of each rejection (the message is retried). */
  onHandlerError?: (error: unknown, message: ConsumedMessage) => void;
}

interface Partition {
  /** Offset of `messages[0]`. */
  base: number;
  messages: BusMessage[];
  /** Woken when a message arrives. */
  arrived: Signal;
  /** Woken when a message was handled (room may have been made). */
  drained: Signal;
}

interface Topic {
  name: string;
  partitions: Partition[];
}

/** A consumer group (or an ungrouped consumer, a group of its own): one cursor per partition of each topic. */
interface Group {
  id: string;
  fromBeginning: boolean;
  members: Member[];
  /** topic → next offset to deliver, per partition (the group's committed offsets). */
  cursors: Map<string, number[]>;
  /** Partition loops of this group, one per topic partition, sequential within a partition. */
  loops: Promise<void>[];
  /** Whether the group's partition loops run; they stop when the bus closes or the group is removed. */
  running: boolean;
}

interface Member {
  handle: (message: ConsumedMessage) => Promise<void>;
  topics: readonly string[];
  /** Handlers in flight for this member: `stop()` waits for them. */
  inFlight: Set<Promise<void>>;
}

/** A promise-based wake-up: `wait()` resolves at the next `wake()`. */
class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The embedded default's message bus: the same contract as Kafka, inside one process.
 *
 * - Topics are made on first use, with `partitions` partitions; a message's key chooses its
 *   partition (the same hash as Kafka's default partitioner), so order per key is kept.
 * - A group delivers each message to one of its members (partition `p` goes to member
 *   `p mod members`), one message at a time per partition; its cursor (the committed offset)
 *   moves only after the handler resolved. A rejected message is handed again after a delay
 *   (doubling up to `maxRetryMs`); the partition waits for it, as with Kafka.
 * - A consumer without a group gets every message of its topics.
 * - Memory is bounded: at most `capacity` messages per partition (see {@link InProcessBusOptions.capacity}).
 * - Nothing survives the process: a group that starts `fromBeginning` sees what is still kept.
 *
 * ```ts
 * const bus = new InProcessBus();
 * await bus.consume({ topics: ['postledger.post'], groupId: 'mailer', handle: async (m) => send(m) });
 * await bus.publish('postledger.post', [{ key: 'post-1', value: '{}', headers: {} }]);
 * ```
 */
export class InProcessBus implements MessageBus {
  readonly kind = 'in-process' as const;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly partitions: number;
  private readonly capacity: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private publishing: Promise<void> = Promise.resolve();
  private closed = false;
  private ungrouped = 0;

  constructor(private readonly options: InProcessBusOptions = {}) {
    this.partitions = options.partitions ?? 4;
    this.capacity = options.capacity ?? 10_000;
    this.retryMs = options.retryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 10_000;
    if (!Number.isInteger(this.partitions) || this.partitions < 1) throw new RangeError('partitions must be a positive integer');
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** Appends the messages in order; publishes are applied one after another, so order per key holds across calls. */
  publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the message bus is closed'));
    const copies = messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } }));
    const done = this.publishing.then(() => this.append(this.topic(topic), copies));
    this.publishing = done.catch(() => undefined);
    return done;
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw new Error('the message bus is closed');
    const groupId = options.groupId ?? `\u0000ungrouped-${++this.ungrouped}`;
    let group = this.groups.get(groupId);
    if (!group) {
      group = { id: groupId, fromBeginning: options.fromBeginning ?? false, members: [], cursors: new Map(), loops: [], running: true };
      this.groups.set(groupId, group);
    }
    const member: Member = { handle: options.handle, topics: [...options.topics], inFlight: new Set() };
    group.members.push(member);
    for (const name of options.topics) this.join(group, this.topic(name));
    // a waiting partition loop may now have a member to deliver to
    for (const name of options.topics) for (const partition of this.topic(name).partitions) partition.arrived.wake();
    const ownGroup = options.groupId === undefined;
    return {
      stop: async () => {
        const current = this.groups.get(groupId);
        if (current) {
          current.members = current.members.filter((m) => m !== member);
          if (ownGroup) this.removeGroup(current);
        }
        await Promise.allSettled([...member.inFlight]);
        this.wakeAll();
      },
    };
  }

  /** Stops every consumer loop (handlers in flight are awaited) and rejects later publishes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loops: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      group.running = false;
      loops.push(...group.loops);
    }
    this.wakeAll();
    await Promise.allSettled(loops);
    this.groups.clear();
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = {
        name,
        partitions: Array.from({ length: this.partitions }, () => ({ base: 0, messages: [], arrived: new Signal(), drained: new Signal() })),
      };
      this.topics.set(name, topic);
      // groups that subscribed before the topic existed read it from its start
      for (const group of this.groups.values()) {
        if (group.running && group.members.some((m) => m.topics.includes(name))) this.join(group, topic);
      }
    }
    return topic;
  }

  /** Gives the group a cursor and a delivery loop for each partition of the topic, once. */
  private join(group: Group, topic: Topic): void {
    if (group.cursors.has(topic.name)) return;
    const cursors = topic.partitions.map((p) => (group.fromBeginning ? p.base : p.base + p.messages.length));
    group.cursors.set(topic.name, cursors);
    topic.partitions.forEach((partition, index) => group.loops.push(this.deliver(group, topic, index, partition, cursors)));
  }

  private async append(topic: Topic, messages: BusMessage[]): Promise<void> {
    for (const message of messages) {
      const partition = topic.partitions[partitionOf(message.key, topic.partitions.length)]!;
      while (partition.messages.length >= this.capacity) {
        if (this.closed) throw new Error('the message bus is closed');
        const oldestUnread = this.oldestUnread(topic.name, topic.partitions.indexOf(partition));
        const dropUpTo = Math.min(oldestUnread, partition.base + partition.messages.length);
        if (dropUpTo > partition.base) {
          // drop what every active consumer has handled, keeping as much history as fits
          const drop = Math.max(1, Math.min(dropUpTo - partition.base, partition.messages.length - this.capacity + 1));
          partition.messages.splice(0, drop);
          partition.base += drop;
        } else {
          await partition.drained.wait();
        }
      }
      partition.messages.push(message);
      partition.arrived.wake();
    }
  }

  /** The smallest cursor of the groups with members on this partition (Infinity if none). */
  private oldestUnread(topic: string, partition: number): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const group of this.groups.values()) {
      const cursor = group.cursors.get(topic)?.[partition];
      if (cursor !== undefined && group.running && group.members.some((m) => m.topics.includes(topic))) oldest = Math.min(oldest, cursor);
    }
    return oldest;
  }

  private async deliver(group: Group, topic: Topic, index: number, partition: Partition, cursors: number[]): Promise<void> {
    let delay = this.retryMs;
    while (group.running && !this.closed) {
      const members = group.members.filter((m) => m.topics.includes(topic.name));
      // a group that lost messages to eviction while it had no member resumes at the oldest kept
      if (cursors[index]! < partition.base) cursors[index] = partition.base;
      const offset = cursors[index]!;
      const message = partition.messages[offset - partition.base];
      if (members.length === 0 || message === undefined) {
        await partition.arrived.wait();
        continue;
      }
      const member = members[index % members.length]!;
      const consumed: ConsumedMessage = { ...message, headers: { ...message.headers }, topic: topic.name, partition: index, offset: String(offset) };
      const handled = Promise.resolve().then(() => member.handle(consumed));
      const settled = handled.then(
        () => undefined,
        () => undefined,
      );
      member.inFlight.add(settled);
      try {
        await handled;
        cursors[index] = offset + 1;
        delay = this.retryMs;
        partition.drained.wake();
      } catch (error) {
        this.options.onHandlerError?.(error, consumed);
        await sleep(delay);
        delay = Math.min(delay * 2, this.maxRetryMs);
      } finally {
        member.inFlight.delete(settled);
      }
    }
  }

  private removeGroup(group: Group): void {
    group.running = false;
    this.groups.delete(group.id);
  }

  private wakeAll(): void {
    for (const topic of this.topics.values()) {
      for (const partition of topic.partitions) {
        partition.arrived.wake();
        partition.drained.wake();
      }
    }
  }
}
