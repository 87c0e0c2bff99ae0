import { createLogger } from '../../src/platform/logger';
import { createRedis, redisCheck } from '../../src/platform/redis';
import { unusedPort } from '../support/ports';


describe('redisCheck (a real Redis at 127.0.0.1:6379)', () => {
  it('connects on first use and PINGs', async () => {
    const redis = createRedis('redis://127.0.0.1:6379', createLogger('silent'));
    try {
      expect(redis.status).toBe('wait');
      const check = redisCheck(redis);
      expect(check.name).toBe('redis');
      await Promise.all([check.check(), check.check()]);
      expect(redis.status).toBe('ready');
      await check.check();
    } finally {
      redis.disconnect();
    }
  });

  it('fails fast with the connection error when Redis cannot be reached, and logs it at debug', async () => {
    const port = await unusedPort();
    const lines: string[] = [];
    const redis = createRedis(`redis://127.0.0.1:${port}`, createLogger('debug', { write: (l: string) => void lines.push(l) }));
    try {
      const check = redisCheck(redis);
      await expect(check.check()).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
      const started = Date.now();
      await expect(check.check()).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(500);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'debug', msg: 'Redis connection error' });
    } finally {
      redis.disconnect();
    }
  });

  it('reports the command error when the client is connected but the command fails', async () => {
    const redis = createRedis('redis://127.0.0.1:6379', createLogger('silent'));
    const check = redisCheck(redis);
    await check.check();
    redis.disconnect();
    await expect(check.check()).rejects.toThrow(/enableOfflineQueue|Connection is closed/);
  });
});
