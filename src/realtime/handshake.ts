import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { userPrincipal } from '../http/authenticate';
import type { ApiDeps } from '../http/api-deps';
import { unauthenticated } from '../http/api-errors';
import type { UserPrincipal } from './connection';

/** The subprotocol a browser offers beside its token: `Sec-WebSocket-Protocol: bearer, <jwt>`. */
export const BEARER_PROTOCOL = 'bearer';

export interface Handshake {
  principal: UserPrincipal;
  expiresAt: Date;
}

/**
 * The access token of an upgrade request: the second entry of `Sec-WebSocket-Protocol:
 * bearer, <jwt>` (browsers cannot set `Authorization` on a WebSocket), else `?access_token=`.
 */
export function upgradeToken(req: IncomingMessage, url: URL): string | undefined {
  const offered = req.headers['sec-websocket-protocol'];
  if (typeof offered === 'string') {
    const [scheme, token, ...rest] = offered.split(',').map((part) => part.trim());
    if (scheme?.toLowerCase() === BEARER_PROTOCOL && token && rest.length === 0) return token;
  }
  return url.searchParams.get('access_token') ?? undefined;
}

/**
 * Who opens the socket, checked before the upgrade the way HTTP requests are: an access token
 * this service signed and that has not expired, a session still active, a user not
 * deactivated. API keys do not connect (machines read Kafka topics or `/v1/events`). Throws
 * the auth module's errors (401) like `authenticate` does.
 *
 * ```ts
 * const { principal, expiresAt } = await authenticateUpgrade(deps, token);
 * ```
 */
export async function authenticateUpgrade(deps: Pick<ApiDeps, 'accessTokens' | 'refreshTokens' | 'commands'>, token: string): Promise<Handshake> {
  const claims = await deps.accessTokens.verifyAccessToken(token);
  const principal = await userPrincipal(deps, claims);
  if (principal.kind !== 'user') throw unauthenticated();
  return { principal, expiresAt: claims.expiresAt };
}

/** Answers an upgrade request with a plain HTTP problem response and closes the socket: no WebSocket is opened. */
export function refuseUpgrade(socket: Duplex, status: 401 | 404 | 503, detail: string): void {
  const title = { 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' }[status];
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  const headers = [
    `HTTP/1.1 ${status} ${title}`,
    'Connection: close',
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer realm="postledger"'] : []),
    ...(status === 503 ? ['Retry-After: 1'] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
