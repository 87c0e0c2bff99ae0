import { Router } from 'express';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { sendProblem } from '../../src/http/problem';
import type { DependencyCheck } from '../../src/platform/health';
import { createLogger } from '../../src/platform/logger';
import { createMetrics } from '../../src/platform/metrics';
import { createRedis, redisCheck } from '../../src/platform/redis';
import { unusedPort } from '../support/ports';

/** A port nothing listens on: bound, then released. */

function capturedLogger(level: 'trace' | 'warn' = 'trace') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** Routes that exercise the error handling; the real API mounts its routers the same way. */
function testRoutes(): Router {
  const router = Router();
  router.post('/echo', (req, res) => {
    res.status(201).json({ received: req.body });
  });
  router.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  router.get('/late-boom', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    throw new Error('failed mid-response');
  });
  router.get('/client-gone', (_req, res) => {
    sendProblem(res, 499, 'The client went away.', { hint: 'unofficial status' });
  });
  router.get('/warns', (req, res) => {
    req.log.warn('something to look at');
    res.json({});
  });
  router.get('/posts/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  return router;
}

describe('operational HTTP routes', () => {
  const redisUp = createRedis('redis://127.0.0.1:6379', createLogger('silent'));
  let redisDown: ReturnType<typeof createRedis>;
  let downPort: number;

  beforeAll(async () => {
    downPort = await unusedPort();
    redisDown = createRedis(`redis://127.0.0.1:${downPort}`, createLogger('silent'));
  });

  afterAll(() => {
    redisUp.disconnect();
    redisDown.disconnect();
  });

  function app(readinessChecks: DependencyCheck[] = [], options: { maxBodyBytes?: number; level?: 'warn' } = {}) {
    const metrics = createMetrics();
    const { logger, lines } = capturedLogger(options.level);
    return { app: createApp({ logger, metrics, readinessChecks, routes: [testRoutes()], maxBodyBytes: options.maxBodyBytes }), lines, metrics };
  }

  describe('GET /healthz', () => {
    it('answers 200 {status: ok} with security headers, a request id and no x-powered-by', async () => {
      const res = await request(app().app).get('/healthz').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
        'cache-control': 'no-store',
      });
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    });
  });

  describe('request ids', () => {
    it('echoes a sane X-Request-Id and logs the request under it', async () => {
      const { app: server, lines } = app();
      const res = await request(server).get('/posts/42?access_token=eyJ.secret.sig').set('X-Request-Id', 'req-42.a:b_c').expect(200);
      expect(res.headers['x-request-id']).toBe('req-42.a:b_c');
      const record = lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'request completed');
      expect(record).toMatchObject({
        level: 'info',
        requestId: 'req-42.a:b_c',
        req: { method: 'GET', url: '/posts/42?access_token=***' },
        res: { statusCode: 200 },
      });
      expect(lines.join('')).not.toContain('eyJ.secret.sig');
    });

    it.each(['has spaces in it', 'x'.repeat(129), '<script>'])('replaces an insane X-Request-Id (%s) with a new one', async (given) => {
      const res = await request(app().app).get('/healthz').set('X-Request-Id', given).expect(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('binds the request id to what a route logs, and writes no request line below the level', async () => {
      const { app: server, lines } = app([], { level: 'warn' });
      await request(server).get('/warns').set('X-Request-Id', 'req-7').expect(200);
      await request(server).get('/posts/1').expect(200);
      expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: 'warn', requestId: 'req-7', msg: 'something to look at' })]);
    });

    it('logs probes at debug and never logs the authorization header', async () => {
      const { app: server, lines } = app();
      await request(server).get('/healthz').set('Authorization', 'Bearer top-secret').expect(200);
      expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: 'debug', msg: 'request completed' })]);
      expect(lines.join('')).not.toContain('top-secret');
    });
  });

  describe('GET /readyz', () => {
    it('answers 200 with each dependency when all are up (a real Redis)', async () => {
      const res = await request(app([redisCheck(redisUp), { name: 'postgres', check: async () => undefined }]).app)
        .get('/readyz')
        .expect(200);
      expect(res.body).toEqual({
        status: 'ready',
        dependencies: {
          redis: { status: 'up', latencyMs: expect.any(Number) },
          postgres: { status: 'up', latencyMs: expect.any(Number) },
        },
      });
    });

    it('answers 503 problem+json naming the dependency that is down', async () => {
      const { app: server, metrics } = app([redisCheck(redisDown), { name: 'postgres', check: async () => undefined }]);
      const res = await request(server).get('/readyz').expect(503).expect('content-type', /^application\/problem\+json/);
      expect(res.body).toEqual({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: `Not ready: redis is down (connect ECONNREFUSED 127.0.0.1:${downPort})`,
        dependencies: {
          redis: { status: 'down', error: `connect ECONNREFUSED 127.0.0.1:${downPort}`, latencyMs: expect.any(Number) },
          postgres: { status: 'up', latencyMs: expect.any(Number) },
        },
      });
      // still down on the next probe, while ioredis keeps reconnecting
      await request(server).get('/readyz').expect(503);
      const text = await metrics.registry.metrics();
      expect(text).toContain('dependency_up{dependency="redis"} 0');
      expect(text).toContain('dependency_up{dependency="postgres"} 1');
    });
  });

  describe('GET /metrics', () => {
    it('serves Prometheus text with dependency_up, process metrics and request durations', async () => {
      const server = app([redisCheck(redisUp)]).app;
      await request(server).get('/readyz').expect(200);
      await request(server).get('/posts/7').expect(200);
      await request(server).get('/nowhere').expect(404);
      const res = await request(server).get('/metrics').expect(200).expect('content-type', /^text\/plain; version=0\.0\.4/);
      expect(res.text).toContain('# TYPE dependency_up gauge');
      expect(res.text).toContain('dependency_up{dependency="redis"} 1');
      expect(res.text).toContain('process_cpu_user_seconds_total');
      expect(res.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/posts\/:id",status="200"\} 1/);
      expect(res.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
    });
  });

  describe('problems', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const res = await request(app().app).get('/v1/nothing-here').expect(404).expect('content-type', /^application\/problem\+json/);
      expect(res.body).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No resource at GET /v1/nothing-here' });
    });

    it('titles a status without a standard phrase "Error" and keeps extensions', async () => {
      const res = await request(app().app).get('/client-gone').expect(499);
      expect(res.body).toEqual({ type: 'about:blank', title: 'Error', status: 499, detail: 'The client went away.', hint: 'unofficial status' });
    });

    it('accepts a JSON body', async () => {
      const res = await request(app().app).post('/echo').send({ content: 'hello' }).expect(201);
      expect(res.body).toEqual({ received: { content: 'hello' } });
      await request(app().app).post('/echo').set('Content-Type', 'application/merge-patch+json').send('{"a":1}').expect(201);
    });

    it('answers malformed JSON with a 400 problem and no stack', async () => {
      const res = await request(app().app)
        .post('/echo')
        .set('Content-Type', 'application/json')
        .send('{"content": ')
        .expect(400)
        .expect('content-type', /^application\/problem\+json/);
      expect(res.body).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request body is not valid JSON.' });
      expect(res.text).not.toMatch(/stack|at \w+ \(|SyntaxError/);
    });

    it('answers a body over the limit with 413', async () => {
      const res = await request(app([], { maxBodyBytes: 100 }).app).post('/echo').send({ content: 'x'.repeat(200) }).expect(413);
      expect(res.body).toMatchObject({ title: 'Payload Too Large', status: 413, detail: 'The request body is larger than the limit of 100 bytes.' });
    });

    it('answers a body that is not JSON with 415', async () => {
      const res = await request(app().app).post('/echo').set('Content-Type', 'text/plain').send('hello').expect(415);
      expect(res.body).toMatchObject({
        title: 'Unsupported Media Type',
        detail: 'Request bodies must be JSON (Content-Type: application/json).',
      });
    });

    it('answers an unsupported charset with its own 4xx message', async () => {
      const res = await request(app().app).post('/echo').set('Content-Type', 'application/json; charset=latin1').send('{}').expect(415);
      expect(res.body).toMatchObject({ status: 415, detail: 'unsupported charset "LATIN1"' });
    });

    it('answers an unexpected error with a generic 500 and logs it with the request id', async () => {
      const { app: server, lines } = app();
      const res = await request(server).get('/boom').set('X-Request-Id', 'boom-1').expect(500);
      expect(res.body).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred. Quote the X-Request-Id response header when reporting it.',
      });
      expect(res.text).not.toContain('hunter2');
      expect(res.text).not.toContain('at ');
      const logged = lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'request failed');
      expect(logged).toMatchObject({ level: 'error', requestId: 'boom-1', err: { message: 'database password is hunter2' } });
    });

    it('cuts the connection when an error comes after the response started', async () => {
      const { app: server, lines } = app();
      await expect(request(server).get('/late-boom')).rejects.toThrow();
      await new Promise((resolve) => setImmediate(resolve));
      const records = lines.map((l) => JSON.parse(l));
      expect(records).toContainEqual(expect.objectContaining({ level: 'error', msg: 'request failed after its response started' }));
      expect(records).toContainEqual(expect.objectContaining({ msg: 'request completed', aborted: true }));
    });

    it('leaves the docs UI free to set its own Content-Security-Policy', async () => {
      const res = await request(app().app).get('/docs').expect(404);
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const nested = await request(app().app).get('/docs/swagger-ui.css').expect(404);
      expect(nested.headers['content-security-policy']).toBeUndefined();
      const lookalike = await request(app().app).get('/docsx').expect(404);
      expect(lookalike.headers['content-security-policy']).toBeDefined();
    });
  });
});
