import { request as httpRequest, IncomingMessage, type ServerResponse } from 'node:http';
import express from 'express';
import { requestContext } from '../../src/http/request-context';
import { boundPort, closeServer, listen, serverFor } from '../../src/http/server';
import { createLogger } from '../../src/platform/logger';
import { createMetrics } from '../../src/platform/metrics';

describe('listen and closeServer', () => {
  it('listens on a free port and closes', async () => {
    const server = await listen((_req, res) => res.end('hi'), 0, '127.0.0.1');
    expect(boundPort(server)).toBeGreaterThan(0);
    const body = await fetch(`http://127.0.0.1:${boundPort(server)}/`).then((r) => r.text());
    expect(body).toBe('hi');
    await closeServer(server, 1000);
    expect(server.listening).toBe(false);
  });

  it('rejects when the port is taken', async () => {
    const first = await listen((_req, res) => res.end(), 0, '127.0.0.1');
    try {
      await expect(listen((_req, res) => res.end(), boundPort(first), '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await closeServer(first, 1000);
    }
  });

  it('cuts requests still running when the timeout passes', async () => {
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const server = await listen(() => arrived(), 0, '127.0.0.1'); // never answers
    const response = new Promise<string>((resolve) => {
      httpRequest({ port: boundPort(server), host: '127.0.0.1' })
        .on('error', (error) => resolve(error.message))
        .end();
    });
    await inFlight;
    const started = Date.now();
    await closeServer(server, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await response).toBe('socket hang up');
  });

  it('rejects closing a server that is not running', async () => {
    const server = await listen((_req, res) => res.end(), 0, '127.0.0.1');
    await closeServer(server, 1000);
    await expect(closeServer(server, 1000)).rejects.toThrow(/not running/);
  });
});

describe('serverFor', () => {
  it("makes an express app's requests and responses with its prototypes, so express changes no prototype, and serves as before", async () => {
    const app = express();
    const logger = createLogger('silent');
    app.use(requestContext(logger, createMetrics()));
    app.get('/x/:id', (req, res) => {
      req.log.debug('seen');
      res.json({ id: req.params.id, type: req.get('content-type') ?? null, requestId: req.id, bound: req.log !== logger });
    });
    app.post('/x', express.json(), (req, res) => {
      // a route may set its own logger: the property stays writable
      req.log = logger;
      res.status(201).json({ body: req.body as unknown, same: req.log === logger });
    });
    const server = await listen(app, 0, '127.0.0.1');
    const born: [object, object][] = [];
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => born.push([Object.getPrototypeOf(req) as object, Object.getPrototypeOf(res) as object]));
    try {
      const base = `http://127.0.0.1:${boundPort(server)}`;
      const got = await fetch(`${base}/x/42`, { headers: { 'x-request-id': 'r-1' } });
      expect(await got.json()).toEqual({ id: '42', type: null, requestId: 'r-1', bound: true });
      const posted = await fetch(`${base}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(posted.status).toBe(201);
      expect(await posted.json()).toEqual({ body: { a: 1 }, same: true });
      expect(born).toEqual([
        [app.request, app.response],
        [app.request, app.response],
      ]);
      expect(born[0]![0]).toBeInstanceOf(IncomingMessage);
    } finally {
      await closeServer(server, 1000);
    }
  });

  it('gives no logger to a request that did not pass through the request context', async () => {
    const app = express();
    app.use('/ctx', requestContext(createLogger('silent'), createMetrics()));
    app.get('/ctx', (req, res) => res.json({ log: typeof req.log }));
    app.get('/other', (req, res) => res.json({ log: typeof req.log }));
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${boundPort(server)}`;
      expect(await (await fetch(`${base}/ctx`)).json()).toEqual({ log: 'object' });
      expect(await (await fetch(`${base}/other`)).json()).toEqual({ log: 'undefined' });
    } finally {
      await closeServer(server, 1000);
    }
  });

  it('serves a plain request listener with the plain classes', async () => {
    const server = serverFor((req, res) => res.end(String(Object.getPrototypeOf(req) === IncomingMessage.prototype)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect(await (await fetch(`http://127.0.0.1:${boundPort(server)}/`)).text()).toBe('true');
    } finally {
      await closeServer(server, 1000);
    }
  });
});
