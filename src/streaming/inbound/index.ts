/**
 * The inbound consumers: the AI service's and the publisher workers' answers, read from the
 * message bus (Kafka, or the in-process bus of the embedded default) and turned into the
 * same commands as their HTTP counterparts. They run in the `relay` role.
 */
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { CommandHandler } from '../../commands/command-handler';
import type { Logger } from '../../platform/logger';
import type { Consumer, MessageBus } from '../bus';
import { generationResults } from './generation-results';
import { consumeInbound, type InboundDeps, type InboundTopic } from './inbound-consumer';
import { inboundMetrics } from './metrics';
import { publishResults } from './publish-results';

export { DEAD_LETTER_HEADERS, deadLetterReasons, type DeadLetterReason } from './dead-letters';
export { generationResultMessage, publishResultMessage, type GenerationResultMessage, type PublishResultMessage } from './messages';

export interface InboundConsumers {
  /** Resolves once every consumer has started (with a broker that is down: once it is back), or after `stop()`. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface InboundOptions {
  bus: MessageBus;
  commands: CommandHandler;
  logger: Logger;
  registry: Registry;
  now?: () => Date;
  /** Of the consumer groups: `<prefix>.generation-results`, `<prefix>.publish-results` (default `postledger.inbound`). */
  groupPrefix?: string;
  /** Backoff between tries to start a consumer (the broker is down): doubles from `retryMs` up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Starts one consumer per inbound topic, in the background: a broker that is down at start-up
 * delays them (tried again with backoff, logged) but never the service. `stop()` ends them (a
 * message in hand is finished first, by the bus's contract).
 *
 * ```ts
 * const inbound = startInboundConsumers({ bus, commands, logger, registry: metrics.registry });
 * teardown.add('inbound consumers', () => inbound.stop());
 * ```
 */
export function startInboundConsumers(options: InboundOptions): InboundConsumers {
  const now = options.now ?? (() => new Date());
  const logger = options.logger.child({ component: 'inbound' });
  const deps: InboundDeps = { bus: options.bus, logger, metrics: inboundMetrics(options.registry), now };
  const topicDeps = { commands: options.commands, now, groupPrefix: options.groupPrefix };
  const retryMs = options.retryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  const running: Consumer[] = [];
  const sleepers = new Set<() => void>();
  let stopped = false;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });

  async function start<Schema extends z.ZodType>(spec: InboundTopic<Schema>): Promise<void> {
    for (let delay = retryMs; !stopped; delay = Math.min(delay * 2, maxRetryMs)) {
      try {
        const consumer = await consumeInbound(spec, deps);
        // a start that completes after stop() is undone at once
        if (stopped) {
          await consumer.stop();
          return;
        }
        running.push(consumer);
        logger.info({ topic: spec.topic, group: spec.groupId, bus: options.bus.kind }, 'inbound consumer started');
        return;
      } catch (error) {
        if (stopped) return;
        logger.warn({ err: error, topic: spec.topic, retryInMs: delay }, 'inbound consumer could not start; trying again');
        await pause(delay);
      }
    }
  }

  // one call per topic: each has its own payload type
  const ready = Promise.all([start(generationResults(topicDeps)), start(publishResults(topicDeps))]).then(() => undefined);
  return {
    ready,
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
    },
  };
}
