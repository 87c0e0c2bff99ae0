import { Redis } from 'ioredis';
import type { DependencyCheck } from './health';
import type { Logger } from './logger';

/**
 * A Redis client that fails fast instead of queueing: a command sent while it is disconnected
 * rejects at once, while ioredis keeps reconnecting in the background. It connects on first use.
 *
 * ```ts
 * const redis = createRedis(config.redisUrl, logger);
 * const readiness = redisCheck(redis);
 * ```
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // how long disconnect() waits for a socket to close before destroying it
    disconnectTimeout: 500,
  });
  // ioredis reports every failed reconnect attempt: keep them out of the normal log
  redis.on('error', (error: Error) => logger.debug({ err: error }, 'Redis connection error'));
  return redis;
}

/** Readiness of a client made by `createRedis`: connects it the first time, then PINGs. */
export function redisCheck(redis: Redis): DependencyCheck {
  let connecting: Promise<void> | undefined;
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  redis.on('ready', () => (lastError = undefined));
  return {
    name: 'redis',
    async check() {
      if (redis.status === 'wait') connecting ??= redis.connect().finally(() => (connecting = undefined));
      try {
        await connecting;
        await redis.ping();
      } catch (error) {
        // "Stream isn't writeable" says less than the connection error behind it
        throw lastError ?? error;
      }
    },
  };
}
