/**
 * The inbound consumers: the AI service's and the publisher workers' answers, read from the
 * message bus (Kafka, or the in-process bus of the embedded default) and turned into the
 * same commands as their HTTP counterparts. They run in the `relay` role.
 */
import type { Registry } from 'prom-client';
import type { CommandHandler } from '../../commands/command-handler';
import type { Logger } from '../../platform/logger';
import type { Consumer, MessageBus } from '../bus';
import { generationResults } from './generation-results';
import { consumeInbound, type InboundDeps } from './inbound-consumer';
import { inboundMetrics } from './metrics';
import { publishResults } from './publish-results';

export { DEAD_LETTER_HEADERS, deadLetterReasons, type DeadLetterReason } from './dead-letters';
export { generationResultMessage, publishResultMessage, type GenerationResultMessage, type PublishResultMessage } from './messages';

export interface InboundConsumers {
  stop(): Promise<void>;
}

/**
 * Starts one consumer per inbound topic; `stop()` ends them (a message in hand is finished
 * first, by the bus's contract).
 *
 * ```ts
 * const inbound = await startInboundConsumers({ bus, commands, logger, registry: metrics.registry });
 * teardown.add('inbound consumers', () => inbound.stop());
 * ```
 */
export async function startInboundConsumers(options: {
  bus: MessageBus;
  commands: CommandHandler;
  logger: Logger;
  registry: Registry;
  now?: () => Date;
  /** Of the consumer groups: `<prefix>.generation-results`, `<prefix>.publish-results` (default `postledger.inbound`). */
  groupPrefix?: string;
}): Promise<InboundConsumers> {
  const now = options.now ?? (() => new Date());
  const deps: InboundDeps = { bus: options.bus, logger: options.logger.child({ component: 'inbound' }), metrics: inboundMetrics(options.registry), now };
  const topicDeps = { commands: options.commands, now, groupPrefix: options.groupPrefix };
  const specs = [generationResults(topicDeps), publishResults(topicDeps)] as const;
  const consumers: Consumer[] = [];
  try {
    // one at a time: each spec has its own payload type
    consumers.push(await consumeInbound(specs[0], deps));
    consumers.push(await consumeInbound(specs[1], deps));
  } catch (error) {
    await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
    throw error;
  }
  deps.logger.info({ topics: specs.map((spec) => spec.topic), bus: options.bus.kind }, 'inbound consumers started');
  return {
    async stop() {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    },
  };
}
