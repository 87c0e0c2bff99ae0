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
import type { MessageBus } from '../streaming/bus';
import { KafkaFeed } from './kafka-feed';
import { LogFeed } from './log-feed';

export { RealtimeGateway, REALTIME_PATH } from './gateway';
export { closeCodes } from './protocol';

export interface RealtimeOptions {
  config: Pick<Config, 'realtime' | 'eventStore'>;
  deps: ApiDeps;
  server: Server;
  logger: Logger;
  metrics: Metrics;
  /** The service's message bus: the feed reads Kafka through it when it is Kafka. */
  bus?: MessageBus;
  /** Default: see `feedFor`. */
  feed?: LiveFeed;
}

/**
 * Starts the gateway on the API's HTTP server with its feed.
 *
 * ```ts
 * const gateway = await startRealtime({ config, deps: api.deps, server, logger, metrics, bus });
 * teardown.add('realtime gateway', () => gateway.close());
 * ```
 */
export async function startRealtime(options: RealtimeOptions): Promise<RealtimeGateway> {
  const { config, deps, logger } = options;
  const feed = options.feed ?? feedFor(config, deps, logger, options.bus);
  const { heartbeatMs, maxBufferBytes } = config.realtime;
  const gateway = new RealtimeGateway({ deps, feed, logger, metrics: options.metrics, heartbeatMs, maxBufferBytes });
  await gateway.start();
  gateway.attach(options.server);
  logger.info({ feed: feed.kind }, 'realtime gateway is accepting WebSocket connections on /v1/realtime');
  return gateway;
}

/**
 * The process's feed: Kafka when the service's bus is Kafka (`KAFKA_BROKERS`) and the log is
 * PostgreSQL (whose positions have no holes, which the Kafka feed's ordering relies on), else
 * the log subscription. The bus is the service's: it is closed after the gateway.
 */
export function feedFor(config: Pick<Config, 'eventStore'>, deps: Pick<ApiDeps, 'store'>, logger: Logger, bus?: MessageBus): LiveFeed {
  if (bus?.kind === 'kafka' && config.eventStore.kind === 'postgres') return new KafkaFeed({ bus, store: deps.store, logger });
  return new LogFeed({ store: deps.store, logger });
}
