import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts an HTTP server for `handler`; rejects when the address cannot be bound (e.g. in use). */
export function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** The port a listening server was bound to (useful with port 0). */
export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/**
 * Stops accepting connections and waits for requests in flight; after `timeoutMs` the
 * connections still open are cut so that shutdown always ends.
 */
export function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close((error) => {
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
