/**
 * The event-store workloads, as plain data so that a peer in a child process runs exactly
 * what the in-process contenders run. Each task is one timed repetition: it opens its own
 * pool (`poolMax` connections), warms up, measures, and closes the pool.
 */
export type EventStoreTask =
  /** Creates the contender's tables in the schema of `url`. */
  | { kind: 'setup'; url: string }
  /** One-event appends, each to a new stream, `concurrency` in flight. */
  | { kind: 'append-new'; url: string; poolMax: number; concurrency: number; count: number; warmup: number }
  /** Sequential appends of one event to a single new stream, each with the expected revision. */
  | { kind: 'append-same'; url: string; poolMax: number; count: number; warmup: number }
  /** Sequential appends of `size` events at once, each to a new stream. */
  | { kind: 'append-batch'; url: string; poolMax: number; batches: number; size: number; warmup: number }
  /** Loads `streams` streams of `size` events each (batch appends); returns the first stream's id. */
  | { kind: 'preload'; url: string; poolMax: number; streams: number; size: number }
  /** Sequential reads of the whole stream `streamId` (`size` events). */
  | { kind: 'read-stream'; url: string; poolMax: number; streamId: string; size: number; reads: number; warmup: number }
  /** Pages through the whole log (`total` events) in pages of `page`. */
  | { kind: 'read-all'; url: string; poolMax: number; total: number; page: number };

export type TaskKind = EventStoreTask['kind'];

export interface PreloadResult {
  firstStreamId: string;
  events: number;
  seconds: number;
}

/** Lines a peer child prints with this prefix carry protocol messages; anything else is log noise. */
export const PROTOCOL_PREFIX = '@@bench ';

export interface PeerRequest {
  id: number;
  task: EventStoreTask;
}

export interface PeerResponse {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Fails fast when a read returns fewer events than the workload needs. */
export function expectCount(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: expected ${want} events, got ${got}`);
}
