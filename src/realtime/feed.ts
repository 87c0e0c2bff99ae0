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
  private wire: Buffer | undefined;

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

  /**
   * The same message as a whole WebSocket text frame, header included. A server's frames are
   * not masked, so the bytes are the same for every socket: built once, written as they are.
   */
  get wireFrame(): Buffer {
    this.wire ??= textFrame(this.eventFrame);
    return this.wire;
  }
}

/** An unmasked, final WebSocket text frame carrying `payload` (RFC 6455 §5.2). */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
