import { randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { problemFor, ValidationFailed } from '../../src/http/api-errors';
import { cors } from '../../src/http/cors';
import { createRateLimiters } from '../../src/http/rate-limits';
import { problemErrorHandler } from '../../src/http/problem';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { unusedPort } from '../support/ports';
import { startTestApi, type TestApi } from '../support/api';

const logger = createLogger('silent');

function limitedApp(limiter: express.RequestHandler) {
  const app = express();
  app.use((req, _res, next) => {
    req.log = logger;
    next();
  });
  app.get('/x', limiter, (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

describe('rate limits', () => {
  it('shares counters between instances through Redis and answers 429 with RateLimit headers', async () => {
    const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger);
    await redis.connect();
    try {
      const config = { windowMs: 60_000, credentials: 3, webhook: 3, api: 3 };
      // a key space of this run's own: the counter key is the client address
      const prefix = `test:${randomUUID()}:`;
      const a = limitedApp(createRateLimiters(config, redis, prefix).credentials);
      const b = limitedApp(createRateLimiters(config, redis, prefix).credentials);
      expect((await request(a).get('/x')).status).toBe(200);
      expect((await request(b).get('/x')).status).toBe(200);
      const third = await request(a).get('/x');
      expect(third.status).toBe(200);
      expect(third.headers['ratelimit-remaining']).toBe('0');
      const fourth = await request(b).get('/x');
      expect(fourth.status).toBe(429);
      expect(fourth.headers['content-type']).toMatch(/problem\+json/);
      expect(fourth.headers['retry-after']).toMatch(/^\d+$/);
      expect(fourth.headers['ratelimit-limit']).toBe('3');
    } finally {
      redis.disconnect();
    }
  });

  it('keeps serving when Redis is down, and says why', async () => {
    const redis = createRedis(`redis://127.0.0.1:${await unusedPort()}`, logger);
    // express-rate-limit reports store errors on the console
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const app = limitedApp(createRateLimiters({ windowMs: 60_000, credentials: 1, webhook: 1, api: 1 }, redis).api);
      expect((await request(app).get('/x')).status).toBe(200);
      expect((await request(app).get('/x')).status).toBe(200);
      expect(consoleError).toHaveBeenCalledWith(expect.stringMatching(/allowing request without rate-limiting/), expect.anything());
    } finally {
      consoleError.mockRestore();
      redis.disconnect();
    }
  });

  it('counts in memory without Redis', async () => {
    const app = limitedApp(createRateLimiters({ windowMs: 60_000, credentials: 1, webhook: 1, api: 1 }).webhook);
    expect((await request(app).get('/x')).status).toBe(200);
    expect((await request(app).get('/x')).status).toBe(429);
  });
});

describe('CORS', () => {
  const app = express();
  app.use(cors(['https://app.example.com']));
  app.get('/x', (_req, res) => {
    res.json({});
  });

  it('answers an allowed preflight and exposes the command headers', async () => {
    const res = await request(app).options('/x').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/);
    const get = await request(app).get('/x').set('Origin', 'https://app.example.com');
    expect(get.headers['access-control-expose-headers']).toMatch(/X-Event-Position/);
  });

  it('gives other origins no CORS headers', async () => {
    const res = await request(app).get('/x').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Origin/);
  });
});

describe('error mapping', () => {
  it('maps validation failures to 422 with every field, and leaves unknown errors to the 500 path', () => {
    expect(problemFor(new ValidationFailed([{ in: 'query', field: 'limit', message: 'too big' }]))).toMatchObject({ status: 422, extensions: { errors: [{ in: 'query', field: 'limit' }] } });
    expect(problemFor(new Error('boom'))).toBeUndefined();
  });

  it('never leaks a stack trace', async () => {
    const app = express();
    app.use((req, _res, next) => {
      req.log = logger;
      next();
    });
    app.get('/x', () => {
      throw new Error('secret internals at /srv/app.ts:42');
    });
    app.use(problemErrorHandler);
    const res = await request(app).get('/x');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/secret internals|app\.ts/);
  });
});

describe('authentication and headers on the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it.each(['Bearer', 'Basic abc', 'Bearer a b', 'Token xyz'])('refuses the Authorization header %j with 401', async (header) => {
    const res = await api.http.post('/v1/workspaces').set('Authorization', header).send({ name: 'x' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/Bearer/);
  });

  it('refuses a malformed Idempotency-Key with 422', async () => {
    const user = await api.register();
    const res = await api.http.post('/v1/workspaces').set(user.auth).set('Idempotency-Key', 'has space').send({ name: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: 'headers', field: 'Idempotency-Key' });
  });

  it('carries the correlation id given by the client into event metadata and the response', async () => {
    const user = await api.register();
    const correlation = `corr-${randomUUID()}`;
    const res = await api.http.post('/v1/workspaces').set(user.auth).set('X-Correlation-Id', correlation).send({ name: 'Correlated' });
    expect(res.headers['x-correlation-id']).toBe(correlation);
    const [created] = await api.store.readStream(`workspace-${res.body.id}`);
    expect(created!.metadata).toMatchObject({ correlationId: correlation, requestId: res.headers['x-request-id'], causationId: res.headers['x-request-id'], workspaceId: res.body.id });
  });

  it('answers 413 for a body over 1 MiB and 415 for a non-JSON body, appending nothing', async () => {
    const user = await api.register();
    const before = (await api.events()).length;
    const big = await api.http.post('/v1/workspaces').set(user.auth).send({ name: 'x'.repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    const text = await api.http.post('/v1/workspaces').set(user.auth).set('Content-Type', 'text/plain').send('name=x');
    expect(text.status).toBe(415);
    const malformed = await api.http.post('/v1/workspaces').set(user.auth).set('Content-Type', 'application/json').send('{"name":');
    expect(malformed.status).toBe(400);
    expect((await api.events()).length).toBe(before);
  });
});
