import type { WorkspaceRole } from '../domain/workspace/roles';
import type { Position, RecordedEvent } from '../eventstore/port';
import { FeedEvent } from './feed';
import { MetricsCoalescer, type Totals } from './metrics-coalescer';
import { caughtUpMessage, type ErrorMessage, metricsMessage } from './protocol';
import { mayRead } from './visibility';

/** What a subscription needs from its connection. */
export interface SubscriptionHost {
  readonly userId: string;
  /** Sends a message; false once the connection is closing. */
  send(message: string, type: 'caught-up' | 'metrics'): boolean;
  /** Sends an event: its frame, built once for every socket. */
  sendEvent(event: FeedEvent): boolean;
  /** Counts bytes held for the client beside the socket's buffer; false when that closed the connection (too slow). */
  hold(bytes: number): boolean;
  release(bytes: number): void;
  /** True when more than half the limit waits for the client: a replay pauses until `room()`. */
  congested(): boolean;
  /** Resolves when the socket's buffer has room again, or when the connection closes. */
  room(): Promise<void>;
  /** The subscription ended on the server's side: tell the client, forget the subscription. */
  end(subscription: WorkspaceSubscription, error: ErrorMessage): void;
}

export interface Membership {
  role: WorkspaceRole;
  /** Revision of the workspace stream the role was read at: older membership events are history. */
  revision: bigint;
}

/** Reads a page of the log after a position (the gateway bounds how many run at once). */
export type ReadLogPage = (after: Position, maxCount: number) => Promise<RecordedEvent[]>;

/** Events read per page of a resume replay: a page stays in memory until the client has taken it. */
const REPLAY_PAGE = 200;
/** At most one `metrics` message per post per second. */
const METRICS_INTERVAL_MS = 1000;

/**
 * One client's subscription to one workspace. Live events that arrive while it replays from
 * the log are held (and counted against the connection's limit); when the replay has read the
 * log to its end, the held events after the replay's last position follow, so the switch to
 * live has no gap (the feed had handed over nothing the log did not hold) and no duplicate
 * (everything at or before the checkpoint is skipped). Then `caught-up`.
 *
 * Each event, replayed or live, passes the same rules: membership events of this user update
 * the role or end the subscription, engagement snapshots become coalesced `metrics`
 * messages, and the rest is sent when the role may see it.
 */
export class WorkspaceSubscription {
  /** The last position looked at (sent or not): `caught-up` reports it, a resume continues after it. */
  checkpoint: Position;
  private live = false;
  private closed = false;
  private held: FeedEvent[] = [];
  private heldBytes = 0;
  private membership: Membership | undefined;
  private readonly metrics: MetricsCoalescer;

  constructor(
    readonly workspaceId: string,
    after: Position,
    private readonly host: SubscriptionHost,
  ) {
    this.checkpoint = after;
    this.metrics = new MetricsCoalescer(METRICS_INTERVAL_MS, (postId, totals) => {
      this.host.send(metricsMessage(this.workspaceId, postId, totals), 'metrics');
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A live event of this workspace from the feed. */
  offer(event: FeedEvent): void {
    if (this.closed) return;
    if (this.live) {
      this.apply(event);
      return;
    }
    const bytes = event.eventFrame.length;
    this.held.push(event);
    this.heldBytes += bytes;
    this.host.hold(bytes);
  }

  /** Replays the log after the checkpoint for a member with `membership`, then goes live. */
  async start(readPage: ReadLogPage, membership: Membership): Promise<void> {
    this.membership = membership;
    for (;;) {
      const page = await readPage(this.checkpoint, REPLAY_PAGE);
      for (const event of page) {
        if (this.host.congested()) await this.host.room();
        if (this.closed) return;
        if (event.metadata.workspaceId === this.workspaceId) this.apply(new FeedEvent(event));
        else this.checkpoint = event.position;
      }
      if (this.closed) return;
      if (page.length < REPLAY_PAGE) break;
    }
    const held = this.held;
    this.held = [];
    this.host.release(this.heldBytes);
    this.heldBytes = 0;
    this.live = true;
    for (const event of held) {
      this.apply(event);
      if (this.closed) return;
    }
    this.host.send(caughtUpMessage(this.workspaceId, this.checkpoint), 'caught-up');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.metrics.stop();
    this.host.release(this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
  }

  private apply(feedEvent: FeedEvent): void {
    const { event } = feedEvent;
    if (event.position <= this.checkpoint) return;
    this.checkpoint = event.position;
    const membership = this.membership!;
    if (event.streamId === `workspace-${this.workspaceId}` && event.revision > membership.revision && this.isAboutMe(event.data)) {
      if (event.type === 'MemberRemoved') {
        this.host.end(this, {
          type: 'error',
          code: 'subscription-revoked',
          workspaceId: this.workspaceId,
          message: 'You are no longer a member of this workspace.',
        });
        return;
      }
      if (event.type === 'MemberRoleChanged') membership.role = (event.data as { to: WorkspaceRole }).to;
    }
    if (!mayRead(membership.role, event)) return;
    if (event.type === 'EngagementSnapshotRecorded') {
      const data = event.data as { postId?: string; metrics?: Totals; counted?: boolean };
      if (data.counted === true && typeof data.postId === 'string' && data.metrics) this.metrics.offer(data.postId, data.metrics);
      return;
    }
    this.host.sendEvent(feedEvent);
  }

  private isAboutMe(data: unknown): boolean {
    return typeof data === 'object' && data !== null && (data as { userId?: unknown }).userId === this.host.userId;
  }
}
