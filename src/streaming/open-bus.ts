import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { MessageBus } from './bus';
import { InProcessBus } from './in-process-bus';
import { KafkaBus } from './kafka-bus';

/**
 * The service's one message bus: Kafka when `KAFKA_BROKERS` is set, else the in-process bus
 * (which only links the roles of one process: run `ROLES=all` without Kafka). The relay
 * publishes to it; inbound consumers and the realtime gateway consume from the same instance.
 *
 * ```ts
 * const bus = openMessageBus(config, logger); // then bus.consume(...), and bus.close() at shutdown
 * ```
 */
export function openMessageBus(config: Pick<Config, 'kafkaBrokers' | 'topicPartitions'>, logger: Logger): MessageBus {
  const log = logger.child({ component: 'bus' });
  const onHandlerError = (error: unknown, message: { topic: string; partition: number; offset: string }) =>
    log.warn({ err: error, topic: message.topic, partition: message.partition, offset: message.offset }, 'a consumer rejected a message; retrying it');
  return config.kafkaBrokers
    ? new KafkaBus({ brokers: config.kafkaBrokers, partitions: config.topicPartitions, logger: log, onHandlerError })
    : new InProcessBus({ partitions: config.topicPartitions, onHandlerError });
}
