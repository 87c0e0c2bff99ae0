import type { Position, RecordedEvent } from '../eventstore/port';
import { eventMessage } from './protocol';

/**
 * Where a gateway process gets the events it pushes live: one feed per process, shared by
 * every connection. A feed hands each event over once, in ascending position order; a
 * client's resume replay never comes from the feed but from the log.
 */
export interface LiveFeed {
  readonly kind: 'log' | 'kafka';
  /** The last position handed over (or where the feed started); undefined for an empty log. */
  readonly position: Position | undefined;
  /** Starts at the head of the log; resolves once the feed is running. */
  start(deliver: (event: FeedEvent) => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An event as the gateway fans it out: its `event` frame is serialised once, on first use,
 * and the same bytes go to every connection that may see it.
 */
export class FeedEvent {
  private frame: Buffer | undefined;

  constructor(readonly event: RecordedEvent) {}

  get position(): Position {
    return this.event.position;
  }

  /** The workspace the event belongs to (its metadata), if any. */
  get workspaceId(): string | undefined {
    const id = this.event.metadata.workspaceId;
    return typeof id === 'string' ? id : undefined;
  }

  /** `{type: "event", event}` as UTF-8 JSON. */
  get eventFrame(): Buffer {
    this.frame ??= Buffer.from(eventMessage(this.event));
    return this.frame;
  }
}
