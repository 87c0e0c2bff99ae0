import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RateLimitConfig } from '../platform/config';
import { sendProblem } from './problem';
import './principal';

export interface RateLimiters {
  /** login, registration, refresh, password reset: per client address. */
  credentials: RequestHandler;
  /** the signed AI webhook: per client address. */
  webhook: RequestHandler;
  /** everything else: per user or API key, per address when anonymous. */
  api: RequestHandler;
}

/** Who is counted: the authenticated principal, else the client address. */
function principalKey(req: Request): string {
  const principal = req.principal;
  if (principal?.kind === 'user') return `user:${principal.userId}`;
  if (principal?.kind === 'apiKey') return `apikey:${principal.apiKeyId}`;
  return `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

/**
 * The rate limits of API.md: counters in Redis when it is configured (shared by every
 * instance), in memory otherwise. When Redis is down requests pass (the store error is
 * logged and `/readyz` reports Redis), so an outage of the cache never takes the API down.
 */
export function createRateLimiters(config: RateLimitConfig, redis?: Redis, keyPrefix = 'postledger:rl:'): RateLimiters {
  const store = (prefix: string): Store | undefined =>
    redis ? new RedisStore({ prefix: `${keyPrefix}${prefix}:`, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply> }) : undefined;
  const limiter = (prefix: string, limit: number, keyGenerator: (req: Request) => string): RequestHandler =>
    rateLimit({
      windowMs: config.windowMs,
      limit,
      standardHeaders: 'draft-6',
      legacyHeaders: false,
      passOnStoreError: true,
      store: store(prefix),
      keyGenerator,
      validate: { keyGeneratorIpFallback: false },
      handler: (req, res, _next, options) => {
        req.log.warn({ limiter: prefix, key: keyGenerator(req) }, 'rate limited');
        sendProblem(res, options.statusCode, `Too many requests: at most ${limit} per ${Math.round(config.windowMs / 1000)} s. Retry after the time in Retry-After.`);
      },
    });
  const byAddress = (req: Request) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
  return {
    credentials: limiter('credentials', config.credentials, byAddress),
    webhook: limiter('webhook', config.webhook, byAddress),
    api: limiter('api', config.api, principalKey),
  };
}
