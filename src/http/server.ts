import { createServer, IncomingMessage, type RequestListener, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An express application: its requests and responses take these as prototypes. */
interface WithPrototypes {
  request: object;
  response: object;
}

/**
 * An HTTP server whose requests and responses are made with an express app's prototypes.
 * Express otherwise changes the prototype of every request and response it handles
 * (`Object.setPrototypeOf`), which V8 pays for in hidden classes: about half the throughput
 * of a bare route, and young-generation collections of 5–10 ms instead of under 1.
 */
export function serverFor(handler: RequestListener): Server {
  const app = handler as unknown as Partial<WithPrototypes>;
  if (typeof app.request !== 'object' || typeof app.response !== 'object') return createServer(handler);
  function AppRequest(this: IncomingMessage, ...args: unknown[]): void {
    Reflect.apply(IncomingMessage, this, args);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, ...args: unknown[]): void {
    Reflect.apply(ServerResponse, this, args);
  }
  AppResponse.prototype = app.response;
  return createServer({ IncomingMessage: AppRequest as unknown as typeof IncomingMessage, ServerResponse: AppResponse as unknown as typeof ServerResponse }, handler);
}

/** Starts an HTTP server for `handler`; rejects when the address cannot be bound (e.g. in use). */
export function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  const server = serverFor(handler);
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
