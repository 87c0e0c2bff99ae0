/**
 * The inbound consumers on a real message bus and a whole test API: send answers the way the
 * AI service and publishers do, read the dead letters, count what the consumers did.
 */
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import type { CommandHandler } from '../../../src/commands/command-handler';
import { createLogger } from '../../../src/platform/logger';
import { type ConsumedMessage, type Consumer, type MessageBus, topics } from '../../../src/streaming/bus';
import { DEAD_LETTER_HEADERS } from '../../../src/streaming/inbound';
import { type InboundConsumers, startInboundConsumers } from '../../../src/streaming/inbound';

export interface BusFactory {
  create(): Promise<MessageBus>;
}

/** Resolves once `check` returns a value other than undefined, trying every 25 ms; fails naming `what` after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface InboundHarness {
  bus: MessageBus;
  registry: Registry;
  /** The consumer groups' prefix, unique to this harness (a shared broker keeps other runs' groups apart). */
  groupPrefix: string;
  inbound: InboundConsumers;
  /** Publishes one message on an inbound topic, the value JSON-encoded unless it is a string. */
  send(topic: string, key: string, value: object | string, headers?: Record<string, string>): Promise<void>;
  /** The dead letter of the message with `key`, sent by this harness's consumers. */
  deadLetter(key: string): Promise<ConsumedMessage>;
  /** Dead letters of this harness's consumers received so far with `key`. */
  deadLettersOf(key: string): ConsumedMessage[];
  /** The value of a counter for the labels given. */
  counter(name: string, labels: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** Starts the inbound consumers on `bus` with `commands`, and a reader of the dead-letter topic. */
export async function startInboundHarness(bus: MessageBus, commands: CommandHandler): Promise<InboundHarness> {
  const registry = new Registry();
  const groupPrefix = `test-${randomUUID()}`;
  const letters: ConsumedMessage[] = [];
  const mine = (message: ConsumedMessage) => message.headers[DEAD_LETTER_HEADERS.consumer]?.startsWith(`${groupPrefix}.`) === true;
  const reader: Consumer = await bus.consume({
    topics: [topics.deadLetters],
    groupId: `${groupPrefix}.dlq-reader`,
    fromBeginning: true,
    handle: async (message) => {
      if (mine(message)) letters.push(message);
    },
  });
  const inbound = startInboundConsumers({ bus, commands, logger: createLogger('silent'), registry, groupPrefix });
  await inbound.ready;
  return {
    bus,
    registry,
    groupPrefix,
    inbound,
    async send(topic, key, value, headers = {}) {
      await bus.publish(topic, [{ key, value: typeof value === 'string' ? value : JSON.stringify(value), headers: { 'content-type': 'application/json', ...headers } }]);
    },
    deadLetter(key) {
      return eventually(() => letters.find((letter) => letter.key === key), `the dead letter of ${key}`);
    },
    deadLettersOf(key) {
      return letters.filter((letter) => letter.key === key);
    },
    async counter(name, labels) {
      const metric = registry.getSingleMetric(name);
      if (!metric) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      const matching = values.filter((v) => Object.entries(labels).every(([label, value]) => v.labels[label] === value));
      return matching.reduce((sum, v) => sum + v.value, 0);
    },
    async close() {
      await inbound.stop();
      await reader.stop();
    },
  };
}
