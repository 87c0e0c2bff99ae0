/**
 * Live updates: the WebSocket gateway of `/v1/realtime` (API.md "Live updates", README
 * "Live updates for the frontend").
 */
import type { Server } from 'node:http';
import type { ApiDeps } from '../http/api-deps';
import type { RealtimeConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import type { LiveFeed } from './feed';
import { RealtimeGateway } from './gateway';
import { LogFeed } from './log-feed';

export { RealtimeGateway, REALTIME_PATH } from './gateway';
export { closeCodes } from './protocol';

export interface RealtimeOptions {
  config: RealtimeConfig;
  deps: ApiDeps;
  server: Server;
  logger: Logger;
  metrics: Metrics;
  /** Default: one subscription to the log for the whole process. */
  feed?: LiveFeed;
}

/**
 * Starts the gateway on the API's HTTP server with its feed.
 *
 * ```ts
 * const gateway = await startRealtime({ config: config.realtime, deps: api.deps, server, logger, metrics });
 * teardown.add('realtime gateway', () => gateway.close());
 * ```
 */
export async function startRealtime(options: RealtimeOptions): Promise<RealtimeGateway> {
  const { config, deps, logger } = options;
  const feed = options.feed ?? new LogFeed({ store: deps.store, logger });
  const gateway = new RealtimeGateway({ deps, feed, logger, metrics: options.metrics, heartbeatMs: config.heartbeatMs, maxBufferBytes: config.maxBufferBytes });
  await gateway.start();
  gateway.attach(options.server);
  logger.info({ feed: feed.kind }, 'realtime gateway is accepting WebSocket connections on /v1/realtime');
  return gateway;
}
