import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthError } from '../auth/errors';
import { PermissionDenied, ResourceNotFound } from '../commands/errors';
import { accessWorkspace } from '../commands/workspace-access';
import type { ApiDeps } from '../http/api-deps';
import { HttpError } from '../http/api-errors';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { type ConnectionContext, type DropReason, type MessageType, RealtimeConnection, type UserPrincipal } from './connection';
import type { FeedEvent, LiveFeed } from './feed';
import { authenticateUpgrade, BEARER_PROTOCOL, type Handshake, refuseUpgrade, upgradeToken } from './handshake';
import { closeCodes, MAX_CLIENT_MESSAGE_BYTES } from './protocol';
import { Semaphore } from './semaphore';
import type { Membership, WorkspaceSubscription } from './subscription';

const MAX_CONCURRENT_REPLAY_READS = 8;

/** The path the gateway upgrades (API.md "Live updates"). */
export const REALTIME_PATH = '/v1/realtime';

export interface RealtimeGatewayOptions {
  deps: Pick<ApiDeps, 'accessTokens' | 'refreshTokens' | 'commands' | 'store' | 'now'>;
  feed: LiveFeed;
  logger: Logger;
  metrics: Metrics;
  /** Ping interval; a connection that missed one pong is cut at the next, so within two intervals. */
  heartbeatMs: number;
  /** Bytes that may wait for one client (socket buffer plus events held during a replay) before it is closed with 1013. */
  maxBufferBytes: number;
}

/**
 * The WebSocket gateway of `/v1/realtime` on the API's own HTTP server: it checks the token
 * before upgrading, fans the process's one feed out to the subscriptions of each workspace,
 * pings every connection, and closes those that are dead, too slow or whose token expired.
 *
 * ```ts
 * const gateway = new RealtimeGateway({ deps: api.deps, feed: new LogFeed({ store, logger }), logger, metrics, heartbeatMs: 15_000, maxBufferBytes: 1 << 20 });
 * await gateway.start();
 * gateway.attach(server);
 * ```
 */
export class RealtimeGateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<RealtimeConnection>();
  private readonly byWorkspace = new Map<string, Set<WorkspaceSubscription>>();
  private readonly byUser = new Map<string, Set<RealtimeConnection>>();
  private readonly servers = new Set<Server>();
  private readonly context: ConnectionContext;
  private readonly sentCounters: Record<MessageType, { inc(): void }>;
  /** Replay reads of the log at once: a reconnect storm queues instead of flooding the database and memory. */
  private readonly replayReads = new Semaphore(MAX_CONCURRENT_REPLAY_READS);
  private corked = new Set<RealtimeConnection>();
  private uncorking: NodeJS.Immediate | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly options: RealtimeGatewayOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      // the token is never echoed: only `bearer` is selected
      handleProtocols: (offered) => (offered.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false),
    });
    const sent = options.metrics.realtimeMessagesSent;
    this.sentCounters = { event: sent.labels('event'), 'caught-up': sent.labels('caught-up'), metrics: sent.labels('metrics'), error: sent.labels('error') };
    this.context = {
      maxBufferBytes: options.maxBufferBytes,
      livePosition: async () => options.feed.position ?? (await options.deps.store.headPosition()) ?? 0n,
      membership: (principal, workspaceId) => this.membership(principal, workspaceId),
      readPage: (after, maxCount) => this.replayReads.run(() => options.deps.store.readAll({ after, maxCount })),
      register: (subscription) => {
        let set = this.byWorkspace.get(subscription.workspaceId);
        if (!set) this.byWorkspace.set(subscription.workspaceId, (set = new Set()));
        set.add(subscription);
      },
      unregister: (subscription) => {
        const set = this.byWorkspace.get(subscription.workspaceId);
        if (set?.delete(subscription) && set.size === 0) this.byWorkspace.delete(subscription.workspaceId);
      },
      sent: (type) => this.sentCounters[type].inc(),
      uncorkSoon: (connection) => {
        this.corked.add(connection);
        this.uncorking ??= setImmediate(() => {
          this.uncorking = undefined;
          const corked = this.corked;
          this.corked = new Set();
          for (const c of corked) c.uncork();
        });
      },
      dropped: (_connection, reason: DropReason) => options.metrics.realtimeDrops.inc({ reason }),
      closed: (connection) => this.forget(connection),
      failed: (error, context) => options.logger.error({ err: error }, `${context} failed`),
    };
  }

  /** Open connections (for tests and benchmarks). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts the feed and the heartbeat. */
  async start(): Promise<void> {
    await this.options.feed.start((event) => this.dispatch(event));
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.heartbeat();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Handles WebSocket upgrades of `server` (every other upgrade path is a 404). */
  attach(server: Server): void {
    this.servers.add(server);
    server.on('upgrade', this.onUpgrade);
  }

  /** Closes every connection with 1001 (clients reconnect elsewhere and resume), then stops the feed. */
  async close(): Promise<void> {
    this.closing = true;
    for (const server of this.servers) server.off('upgrade', this.onUpgrade);
    this.servers.clear();
    clearInterval(this.heartbeat);
    for (const connection of [...this.connections]) connection.close(closeCodes.goingAway, 'server shutting down');
    await this.options.feed.stop();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== REALTIME_PATH) return refuseUpgrade(socket, 404, 'No WebSocket at this path.');
    if (this.closing) return refuseUpgrade(socket, 503, 'The server is shutting down.');
    const token = upgradeToken(req, url);
    if (token === undefined) return refuseUpgrade(socket, 401, 'An access token is required: Sec-WebSocket-Protocol "bearer, <token>" or ?access_token=.');
    authenticateUpgrade(this.options.deps, token).then(
      (handshake) => this.upgrade(req, socket, head, handshake),
      (error: unknown) => {
        if (error instanceof AuthError || (error instanceof HttpError && error.status === 401)) {
          refuseUpgrade(socket, 401, 'The access token is not valid; sign in or refresh it.');
        } else {
          this.options.logger.error({ err: error }, 'realtime: authenticating an upgrade failed');
          refuseUpgrade(socket, 503, 'Authentication is unavailable; try again.');
        }
      },
    );
  };

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, handshake: Handshake): void {
    if (this.closing || socket.destroyed) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const expiresInMs = handshake.expiresAt.getTime() - this.options.deps.now().getTime();
      const connection = new RealtimeConnection(ws, socket, handshake.principal, expiresInMs, this.context);
      this.connections.add(connection);
      let mine = this.byUser.get(connection.userId);
      if (!mine) this.byUser.set(connection.userId, (mine = new Set()));
      mine.add(connection);
      this.options.metrics.realtimeConnections.inc();
    });
  }

  private forget(connection: RealtimeConnection): void {
    if (!this.connections.delete(connection)) return;
    this.options.metrics.realtimeConnections.dec();
    const mine = this.byUser.get(connection.userId);
    if (mine?.delete(connection) && mine.size === 0) this.byUser.delete(connection.userId);
  }

  /** Checks membership on the workspace's own stream (as commands do), so a removed member is refused at once. */
  private async membership(principal: UserPrincipal, workspaceId: string): Promise<Membership | undefined> {
    try {
      const access = await accessWorkspace(this.options.deps.commands, principal, workspaceId, 'workspace:read');
      return { role: access.role!, revision: access.revision };
    } catch (error) {
      if (error instanceof ResourceNotFound || error instanceof PermissionDenied) return undefined;
      throw error;
    }
  }

  /** One event from the feed, to every subscription of its workspace; a deactivated user's sockets close. */
  private dispatch(event: FeedEvent): void {
    if (event.event.type === 'UserDeactivated' && event.event.streamId.startsWith('user-')) {
      for (const connection of [...(this.byUser.get(event.event.streamId.slice('user-'.length)) ?? [])]) {
        connection.close(closeCodes.accessRevoked, 'account deactivated');
      }
      return;
    }
    const workspaceId = event.workspaceId;
    const subscriptions = workspaceId === undefined ? undefined : this.byWorkspace.get(workspaceId);
    if (!subscriptions) return;
    this.options.metrics.realtimeDeliveryLag.observe(Math.max(0, Date.now() - event.event.occurredAt.getTime()) / 1000);
    for (const subscription of subscriptions) subscription.offer(event);
  }
}
