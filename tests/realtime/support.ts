/**
 * A realtime gateway on a real HTTP server over the test API (real PostgreSQL), and a
 * WebSocket client that records what it receives.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocket } from 'ws';
import type { RecordedEvent } from '../../src/eventstore/port';
import { boundPort, closeServer, listen } from '../../src/http/server';
import { createLogger } from '../../src/platform/logger';
import { createMetrics, type Metrics } from '../../src/platform/metrics';
import { type RealtimeGateway, startRealtime } from '../../src/realtime';
import { startTestApi, type TestApi } from '../support/api';

export interface RealtimeTestBed {
  api: TestApi;
  server: Server;
  gateway: RealtimeGateway;
  metrics: Metrics;
  /** `ws://127.0.0.1:<port>/v1/realtime` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startRealtimeTestBed(options: { heartbeatMs?: number; maxBufferBytes?: number } = {}): Promise<RealtimeTestBed> {
  const api = await startTestApi();
  const server = await listen(api.app, 0, '127.0.0.1');
  const metrics = createMetrics();
  const gateway = await startRealtime({
    config: { realtime: { heartbeatMs: options.heartbeatMs ?? 15_000, maxBufferBytes: options.maxBufferBytes ?? 1_048_576 }, eventStore: { kind: 'postgres' } },
    deps: api.assembly.deps,
    server,
    logger: createLogger('silent'),
    metrics,
  });
  const port = boundPort(server);
  return {
    api,
    server,
    gateway,
    metrics,
    port,
    url: `ws://127.0.0.1:${port}/v1/realtime`,
    async close() {
      await gateway.close();
      await closeServer(server, 1000);
      await api.close();
    },
  };
}

export interface ServerMessage {
  type: string;
  workspaceId?: string;
  position?: string;
  code?: string;
  event?: { id: string; type: string; streamId: string; position: string; revision: string; metadata: { workspaceId?: string }; data: Record<string, unknown> };
  postId?: string;
  totals?: Record<string, number>;
  errors?: { field: string; message: string }[];
}

/** Waits for `condition`, polling; throws with `what` after `timeoutMs` (a bound, not a measurement). */
export async function eventually<T>(what: string, condition: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A WebSocket client that keeps every message it receives. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as ServerMessage));
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Connects with the token in `Sec-WebSocket-Protocol: bearer, <token>` (or in `?access_token=`). */
  static connect(url: string, token: string, via: 'protocol' | 'query' = 'protocol'): Promise<TestClient> {
    const socket = via === 'protocol' ? new WebSocket(url, ['bearer', token]) : new WebSocket(`${url}?access_token=${encodeURIComponent(token)}`);
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Subscribes and waits for `caught-up` of that workspace. */
  async subscribe(workspaceId: string, after?: bigint | string): Promise<ServerMessage> {
    const from = this.messages.length;
    this.send({ type: 'subscribe', workspaceId, ...(after === undefined ? {} : { after: after.toString() }) });
    return this.next((m) => (m.type === 'caught-up' && m.workspaceId === workspaceId) || (m.type === 'error' && m.workspaceId === workspaceId), from);
  }

  /** The first message from index `from` on that matches. */
  next(match: (message: ServerMessage) => boolean, from = 0, timeoutMs?: number): Promise<ServerMessage> {
    return eventually('a matching message', () => this.messages.slice(from).find(match), timeoutMs);
  }

  /** The envelopes received, in order. */
  events(): NonNullable<ServerMessage['event']>[] {
    return this.messages.flatMap((m) => (m.type === 'event' && m.event ? [m.event] : []));
  }

  positions(): bigint[] {
    return this.events().map((e) => BigInt(e.position));
  }

  close(): void {
    this.socket.close();
  }
}

/** Appends `count` events to new post streams of a workspace, directly to the log (as the write side would). */
export async function appendPostEvents(api: TestApi, workspaceId: string, count: number, dataBytes = 16): Promise<RecordedEvent[]> {
  const positions: RecordedEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const streamId = `post-${randomUUID()}`;
    await api.store.appendToStream(streamId, [
      { id: randomUUID(), type: 'PostDrafted', data: { postId: streamId.slice(5), filler: 'x'.repeat(dataBytes) }, metadata: { workspaceId } },
    ]);
    positions.push(...(await api.store.readStream(streamId)));
  }
  return positions;
}

/** Appends `count` events of a workspace to one new post stream in batches of `batch` (one round trip each). */
export async function appendPostBatches(api: TestApi, workspaceId: string, count: number, dataBytes: number, batch = 50): Promise<void> {
  const streamId = `post-${randomUUID()}`;
  for (let done = 0; done < count; done += batch) {
    const events = Array.from({ length: Math.min(batch, count - done) }, (_, i) => ({
      id: randomUUID(),
      type: 'PostEdited',
      data: { n: done + i, filler: 'x'.repeat(dataBytes) },
      metadata: { workspaceId },
    }));
    await api.store.appendToStream(streamId, events);
  }
}

/** The positions of the log's events of a workspace after `after`. */
export async function workspacePositions(api: TestApi, workspaceId: string, after = 0n): Promise<bigint[]> {
  return (await api.events()).filter((e) => e.metadata.workspaceId === workspaceId && e.position > after).map((e) => e.position);
}
