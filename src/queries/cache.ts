import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';

export interface QueryCacheOptions {
  pool: Pool;
  logger: Logger;
  /** Shared by every instance when given; otherwise each process keeps its own entries. */
  redis?: Redis;
  metrics?: Metrics;
  ttlMs?: number;
  /** Entries of the in-process cache. */
  maxEntries?: number;
  /** How long a Redis command may take before the answer is computed instead. */
  redisTimeoutMs?: number;
}

/** What an answer depends on: its workspace, its route and its normalized parameters. */
export interface CacheKey {
  workspaceId: string;
  route: string;
  params: Record<string, string | number | undefined>;
  /** The projections whose tables the answer reads. */
  projections: readonly string[];
}

/** Checkpoints read ahead by `QueryCache.checkpoints`. */
export interface Checkpoints {
  projections: readonly string[];
  positions: Promise<string>;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/**
 * Caches query answers under a key that includes the checkpoints of the projections they
 * read: once a projection moves on, the key changes and the answer is computed afresh, so a
 * cached answer is never older than the read model. Redis when there is one, a bounded LRU
 * in memory otherwise; a failing Redis only costs the cache, never the answer.
 *
 * ```ts
 * const body = await cache.get({ workspaceId, route: 'overview', params: query, projections: ['engagement'] }, () => overview(pool, query));
 * ```
 */
export class QueryCache {
  private readonly memory = new Map<string, { value: string; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly redisTimeoutMs: number;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: QueryCacheOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 1000;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 250;
  }

  /**
   * Starts reading the checkpoints of `projections` for a later `get` with the same
   * projections: a route reads them while it checks the caller's access, one round trip
   * fewer in sequence. Not awaited when the caller is refused meanwhile.
   */
  checkpoints(projections: readonly string[]): Checkpoints {
    const positions = this.positionsOf(projections);
    positions.catch(() => undefined);
    return { projections: [...projections], positions };
  }

  async get<T>(key: CacheKey, compute: () => Promise<T>, checkpoints?: Checkpoints): Promise<T> {
    const read = checkpoints && sameNames(checkpoints.projections, key.projections) ? checkpoints.positions : this.positionsOf(key.projections);
    const cacheKey = this.keyOf(key, await read);
    const cached = await this.read(cacheKey);
    this.options.metrics?.analyticsCacheRequests.inc({ result: cached === undefined ? 'miss' : 'hit' });
    if (cached !== undefined) return JSON.parse(cached) as T;
    const value = await compute();
    await this.write(cacheKey, JSON.stringify(value));
    return value;
  }

  /** The checkpoints of `projections` as they go into a key (updated_at too: a rebuild may swap in new tables at the same position). */
  private async positionsOf(projections: readonly string[]): Promise<string> {
    const { rows } = await this.options.pool.query<{ name: string; position: string; at: string }>(
      `select name, position, (extract(epoch from updated_at) * 1000000)::bigint as at from pl_projection_checkpoints where name = any($1::text[]) order by name`,
      [projections],
    );
    return rows.map((r) => `${r.name}@${r.position}.${r.at}`).join(',');
  }

  private keyOf({ workspaceId, route, params }: CacheKey, positions: string): string {
    const query = Object.keys(params)
      .filter((name) => params[name] !== undefined)
      .sort()
      .map((name) => `${name}=${encodeURIComponent(String(params[name]))}`)
      .join('&');
    return `postledger:query:${workspaceId}:${route}:${query}:${positions}`;
  }

  private async read(key: string): Promise<string | undefined> {
    const { redis } = this.options;
    if (redis) return (await this.withRedis((r) => r.get(key))) ?? undefined;
    const entry = this.memory.get(key);
    if (!entry) return undefined;
    this.memory.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined;
    // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
    this.memory.set(key, entry);
    return entry.value;
  }

  private async write(key: string, value: string): Promise<void> {
    if (this.options.redis) {
      await this.withRedis((r) => r.set(key, value, 'PX', this.ttlMs));
      return;
    }
    this.memory.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    while (this.memory.size > this.maxEntries) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Runs a Redis command; undefined when Redis fails or is slow. */
  private async withRedis<T>(command: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    const redis = this.options.redis!;
    let timer: NodeJS.Timeout | undefined;
    try {
      // a client made by createRedis connects on first use and queues nothing while it cannot
      if (redis.status === 'wait') this.connecting ??= redis.connect().finally(() => (this.connecting = undefined));
      const connecting = this.connecting;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.redisTimeoutMs} ms`)), this.redisTimeoutMs);
      });
      const run = async (): Promise<T> => {
        await connecting;
        return command(redis);
      };
      return await Promise.race([run(), timeout]);
    } catch (error) {
      this.options.logger.debug({ err: error }, 'query cache unavailable; computing the answer');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
