/**
 * Live updates: the WebSocket gateway of `/v1/realtime` (API.md "Live updates", README
 * "Live updates for the frontend").
 */
import type { Server } from 'node:http';
import type { ApiDeps } from '../http/api-deps';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import type { LiveFeed } from './feed';
import { RealtimeGateway } from './gateway';
import { KafkaBus } from '../streaming/kafka-bus';
import { KafkaFeed } from './kafka-feed';
import { LogFeed } from './log-feed';

export { RealtimeGateway, REALTIME_PATH } from './gateway';
export { closeCodes } from './protocol';

export interface RealtimeOptions {
  config: Pick<Config, 'realtime' | 'kafkaBrokers' | 'eventStore'>;
  deps: ApiDeps;
  server: Server;
  logger: Logger;
  metrics: Metrics;
  /** Default: see `feedFor`. */
  feed?: LiveFeed;
}

/**
 * Starts the gateway on the API's HTTP server with its feed.
 *
 * ```ts
 * const gateway = await startRealtime({ config, deps: api.deps, server, logger, metrics });
 * teardown.add('realtime gateway', () => gateway.close());
 * ```
 */
export async function startRealtime(options: RealtimeOptions): Promise<RealtimeGateway> {
  const { config, deps, logger } = options;
  const feed = options.feed ?? feedFor(config, deps, logger);
  const { heartbeatMs, maxBufferBytes } = config.realtime;
  const gateway = new RealtimeGateway({ deps, feed, logger, metrics: options.metrics, heartbeatMs, maxBufferBytes });
  await gateway.start();
  gateway.attach(options.server);
  logger.info({ feed: feed.kind }, 'realtime gateway is accepting WebSocket connections on /v1/realtime');
  return gateway;
}

/**
 * The process's feed: Kafka when `KAFKA_BROKERS` is set and the log is PostgreSQL (whose
 * positions have no holes, which the Kafka feed's ordering relies on), else the log
 * subscription. The Kafka feed's bus is its own and closes with it.
 */
export function feedFor(config: Pick<Config, 'kafkaBrokers' | 'eventStore'>, deps: Pick<ApiDeps, 'store'>, logger: Logger): LiveFeed {
  if (config.kafkaBrokers && config.eventStore.kind === 'postgres') {
    const bus = new KafkaBus({ brokers: config.kafkaBrokers, clientId: 'postledger-realtime', logger });
    return new KafkaFeed({ bus, store: deps.store, logger, onStop: () => bus.close() });
  }
  return new LogFeed({ store: deps.store, logger });
}
