import type { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';
import type { Principal } from '../auth/principal';
import type { Position } from '../eventstore/port';
import type { FeedEvent } from './feed';
import { closeCodes, type ErrorMessage, errorMessage, parseClientMessage } from './protocol';
import { type Membership, type ReadLogPage, type SubscriptionHost, WorkspaceSubscription } from './subscription';

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;
export type MessageType = 'event' | 'caught-up' | 'metrics' | 'error';
export type DropReason = 'slow' | 'dead' | 'expired';

/** What a connection needs from its gateway. */
export interface ConnectionContext {
  /** Largest number of bytes the client may have waiting (socket buffer plus held events). */
  maxBufferBytes: number;
  /** Where a subscription without `after` starts: the feed's position (the head of the log before the feed knows it). */
  livePosition(): Promise<Position>;
  /** Checks membership now (from the workspace's stream); undefined when the user may not subscribe. */
  membership(principal: UserPrincipal, workspaceId: string): Promise<Membership | undefined>;
  /** Reads the log for replays. */
  readPage: ReadLogPage;
  register(subscription: WorkspaceSubscription): void;
  unregister(subscription: WorkspaceSubscription): void;
  sent(type: MessageType): void;
  /** Calls `uncork()` of the connection once the current turn of the event loop is done. */
  uncorkSoon(connection: RealtimeConnection): void;
  dropped(connection: RealtimeConnection, reason: DropReason): void;
  closed(connection: RealtimeConnection): void;
  failed(error: unknown, context: string): void;
}

/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS = 100;
/** Client messages waiting to be handled before the client is cut off (it sends faster than it is answered). */
const MAX_INBOX = 32;
/** After a close frame is queued, how long a client may take to read it before the socket is cut. */
const CLOSE_GRACE_MS = 10_000;

/**
 * One client's socket: its subscriptions, its messages handled one at a time, the byte
 * limit of what waits for it, and the end of its token's validity.
 */
export class RealtimeConnection implements SubscriptionHost {
  /** Set by the heartbeat, cleared when a pong (or any message) arrives. */
  alive = true;
  private readonly subscriptions = new Map<string, WorkspaceSubscription>();
  private heldBytes = 0;
  private corked = false;
  private inbox: Promise<void> = Promise.resolve();
  private inboxSize = 0;
  private ended = false;
  private readonly expiry: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    /** The TCP socket under it: its 'drain' paces replays. */
    private readonly transport: Duplex,
    readonly principal: UserPrincipal,
    expiresInMs: number,
    private readonly context: ConnectionContext,
  ) {
    this.expiry = setTimeout(() => {
      this.context.dropped(this, 'expired');
      this.close(closeCodes.tokenExpired, 'access token expired');
    }, Math.min(Math.max(0, expiresInMs), 2 ** 31 - 1));
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('close', () => this.teardown());
    socket.on('error', () => this.teardown());
  }

  get userId(): string {
    return this.principal.userId;
  }

  send(message: string, type: MessageType): boolean {
    if (this.ended || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(message);
    this.context.sent(type);
    return this.withinLimit();
  }

  sendEvent(event: FeedEvent): boolean {
    if (this.ended || this.socket.readyState !== WebSocket.OPEN) return false;
    if (!this.corked) {
      // slow: what earlier turns sent is still waiting when more comes (not this turn's burst, which is written at its end)
      if (!this.withinLimit()) return false;
      // this turn's events for the socket (a page of the feed) go out in one write
      this.corked = true;
      this.transport.cork();
      this.context.uncorkSoon(this);
    }
    // the frame straight onto the TCP socket: ws writes its own frames there synchronously too
    // (no compression), so the order holds, and socket.bufferSize is ws's bufferedAmount; the
    // buffer is shared by every socket, not copied
    this.transport.write(event.wireFrame);
    this.context.sent('event');
    return true;
  }

  hold(bytes: number): boolean {
    this.heldBytes += bytes;
    return this.withinLimit();
  }

  release(bytes: number): void {
    this.heldBytes -= bytes;
  }

  congested(): boolean {
    return this.socket.bufferedAmount + this.heldBytes > this.context.maxBufferBytes / 2;
  }

  async room(): Promise<void> {
    while (!this.ended && this.congested()) {
      // 'drain' when the socket emptied its buffer; the timer covers writes that never filled it
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.transport.off('drain', done);
          this.transport.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, 50);
        this.transport.once('drain', done);
        this.transport.once('close', done);
      });
    }
  }

  end(subscription: WorkspaceSubscription, error: ErrorMessage): void {
    this.forget(subscription);
    this.sendError(error);
  }

  /** Writes what was corked this turn. */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.transport.uncork();
  }

  /** Sends a ping; a connection that did not answer the previous one is cut. */
  heartbeat(): void {
    if (!this.alive) {
      this.context.dropped(this, 'dead');
      this.socket.terminate();
      this.teardown();
      return;
    }
    this.alive = false;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Queues a close frame and stops everything; the socket is cut if the client does not read it in time. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.teardown();
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  private withinLimit(): boolean {
    if (this.ended) return false;
    if (this.socket.bufferedAmount + this.heldBytes <= this.context.maxBufferBytes) return true;
    this.context.dropped(this, 'slow');
    this.close(closeCodes.tryAgainLater, 'too slow: resume with after');
    return false;
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (this.ended) return;
    if (this.inboxSize >= MAX_INBOX) {
      this.close(closeCodes.policyViolation, 'too many messages waiting');
      return;
    }
    this.inboxSize += 1;
    const frame = isBinary ? '' : rawText(data);
    this.inbox = this.inbox
      .then(() => this.handle(frame))
      .catch((error: unknown) => this.context.failed(error, 'realtime client message'))
      .finally(() => {
        this.inboxSize -= 1;
      });
  }

  private async handle(frame: string): Promise<void> {
    if (this.ended) return;
    const parsed = parseClientMessage(frame);
    if (!parsed.ok) {
      this.sendError(parsed.error);
      return;
    }
    const { message } = parsed;
    const existing = this.subscriptions.get(message.workspaceId);
    if (existing) this.forget(existing);
    if (message.type === 'unsubscribe') return;
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      this.sendError({ type: 'error', code: 'too-many-subscriptions', workspaceId: message.workspaceId, message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection.` });
      return;
    }
    // registered before membership is read and the log replayed: live events from now on are held, none is missed
    const subscription = new WorkspaceSubscription(message.workspaceId, message.after ?? 0n, this);
    this.subscriptions.set(message.workspaceId, subscription);
    this.context.register(subscription);
    let membership: Membership | undefined;
    try {
      membership = await this.context.membership(this.principal, message.workspaceId);
      if (message.after === undefined) subscription.checkpoint = await this.context.livePosition();
    } catch (error) {
      this.context.failed(error, 'realtime membership check');
      this.end(subscription, { type: 'error', code: 'subscription-failed', workspaceId: message.workspaceId, message: 'The subscription failed; subscribe again.' });
      return;
    }
    if (subscription.isClosed) return;
    if (!membership) {
      this.end(subscription, { type: 'error', code: 'workspace-not-found', workspaceId: message.workspaceId, message: 'The workspace was not found.' });
      return;
    }
    // not awaited: other messages (an unsubscribe) are handled while the replay runs
    void subscription.start(this.context.readPage, membership).catch((error: unknown) => {
      if (subscription.isClosed) return;
      this.context.failed(error, 'realtime replay');
      this.end(subscription, { type: 'error', code: 'subscription-failed', workspaceId: message.workspaceId, message: 'The subscription failed; subscribe again with after.' });
    });
  }

  private sendError(error: ErrorMessage): void {
    if (this.ended || this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(errorMessage(error));
    this.context.sent('error');
  }

  private forget(subscription: WorkspaceSubscription): void {
    subscription.close();
    this.context.unregister(subscription);
    if (this.subscriptions.get(subscription.workspaceId) === subscription) this.subscriptions.delete(subscription.workspaceId);
  }

  private teardown(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.expiry);
    for (const subscription of this.subscriptions.values()) {
      subscription.close();
      this.context.unregister(subscription);
    }
    this.subscriptions.clear();
    this.context.closed(this);
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
