import { request as httpRequest } from 'node:http';
import { boundPort, closeServer, listen } from '../../src/http/server';

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
