import { createHash, randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/decider';
import { WrongExpectedRevision } from '../eventstore/errors';
import type { EventMetadata, EventStore, Position, RecordedEvent } from '../eventstore/port';

/** How domain events are stored: the catalogue's schema versions, validation and upcasting. */
export interface EventCodec {
  /** Turns a stored event back into the domain's shape (validating and upcasting it). */
  decode(recorded: RecordedEvent): DomainEvent;
  /** The schema version new events of this type are written with. */
  schemaVersionOf(type: string): number;
}

/** The `If-Match` revision did not match the stream: HTTP 412. */
export class PreconditionFailed extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: bigint,
    readonly actual: bigint | undefined,
  ) {
    super(`${streamId} is at revision ${actual ?? 'none'}, not ${expected}`);
    this.name = 'PreconditionFailed';
  }
}

/** Conflicting writers kept winning after every retry: HTTP 409. */
export class ConcurrencyConflict extends Error {
  constructor(readonly streamId: string) {
    super(`${streamId} changed concurrently; retry the request`);
    this.name = 'ConcurrencyConflict';
  }
}

export interface LoadedStream<State> {
  state: State;
  /** Revision of the last event; `undefined` for a stream with none. */
  revision: bigint | undefined;
  /** Position of the last event. */
  position: Position | undefined;
}

export interface CommandResult<State, Event> extends LoadedStream<State> {
  /** The events this command appended (empty when it changed nothing). */
  events: Event[];
}

export interface HandleOptions<Command, Event extends DomainEvent, State> {
  streamId: string;
  decider: Decider<Command, Event, State>;
  /** Builds the command from the current state (the handler may need facts from it); it may refuse the caller by throwing. */
  command: Command | ((state: State) => Command);
  metadata: EventMetadata;
  /** From `If-Match`: the exact revision the caller saw. A mismatch is never retried. */
  expectedRevision?: bigint;
  /** Attempts when another writer got there first (no `If-Match`). */
  maxAttempts?: number;
  /** The stream is new (its id was just made up): decide on the initial state without reading it. */
  newStream?: boolean;
  /**
   * Derives the event ids from this key instead of making them up: the same key gives the same
   * ids, so a repeated command whose events are already stored appends nothing (the store's
   * idempotency by event id; the result then reports the first append's revision and position).
   * For commands carried by messages that may be delivered twice.
   */
  idempotencyKey?: string;
  /** The stream as `loadMany` read it just before: the first attempt decides on it instead of reading the stream again. */
  loaded?: LoadedStream<State>;
}

const PAGE = 10_000;
/** Events per stream `loadMany` reads from the end of each stream of a decider with state-resetting events. */
const TAIL = 4;

/**
 * Load → decide → append, the write path of every command. The append states the revision
 * the decision was made on, so a concurrent change is detected; without `If-Match` the
 * command is decided again on the fresh state a few times before giving up.
 *
 * ```ts
 * const result = await handler.handle({ streamId: `post-${id}`, decider: postDecider,
 *   command: (state) => ({ type: 'ApprovePost', data: { by } }), metadata });
 * ```
 */
export class CommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
  ) {}

  /** Folds a stream into its current state (from its latest state-resetting event when the decider has them). */
  async load<Command, Event extends DomainEvent, State>(streamId: string, decider: Decider<Command, Event, State>): Promise<LoadedStream<State>> {
    if (decider.resetsState) return this.loadFromTail(streamId, decider, decider.resetsState);
    let state = decider.initialState();
    let revision: bigint | undefined;
    let position: Position | undefined;
    for (;;) {
      const page = await this.store.readStream(streamId, { fromRevision: revision === undefined ? 0n : revision + 1n, maxCount: PAGE });
      for (const recorded of page) {
        state = decider.evolve(state, this.codec.decode(recorded) as Event);
        revision = recorded.revision;
        position = recorded.position;
      }
      if (page.length < PAGE) return { state, revision, position };
    }
  }

  /**
   * Folds several streams at once: one read of the store for all of them where the adapter
   * can (`readStreams`), then each as `load` would. A stream the read did not fully cover (a
   * long stream, or no state-resetting event near its end) is loaded on its own.
   *
   * ```ts
   * const posts = await handler.loadMany(ids.map((id) => `post-${id}`), postDecider);
   * ```
   */
  async loadMany<Command, Event extends DomainEvent, State>(streamIds: readonly string[], decider: Decider<Command, Event, State>): Promise<Map<string, LoadedStream<State>>> {
    const unique = [...new Set(streamIds)];
    const store = this.store;
    if (!store.readStreams) return new Map(await Promise.all(unique.map(async (id) => [id, await this.load(id, decider)] as const)));
    const { resetsState } = decider;
    const count = resetsState ? TAIL : PAGE;
    const pages = await store.readStreams(unique, { direction: resetsState ? 'backwards' : 'forwards', maxCount: count });
    const loaded = unique.map(async (id): Promise<[string, LoadedStream<State>]> => {
      const page = pages.get(id) ?? [];
      if (resetsState) {
        const tail = this.tailOf(page, resetsState);
        if (tail.complete || page.length < count) return [id, this.foldTail(page, tail.events, decider)];
      } else if (page.length < count) {
        const state = page.reduce((s, recorded) => decider.evolve(s, this.codec.decode(recorded) as Event), decider.initialState());
        return [id, { state, revision: page.at(-1)?.revision, position: page.at(-1)?.position }];
      }
      return [id, await this.load(id, decider)];
    });
    return new Map(await Promise.all(loaded));
  }

  /** Reads backwards to the latest event that resets the state, then folds forwards from it. */
  private async loadFromTail<Command, Event extends DomainEvent, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    resetsState: (event: Event) => boolean,
  ): Promise<LoadedStream<State>> {
    const tail: Event[] = [];
    let newest: RecordedEvent | undefined;
    let before: bigint | undefined;
    for (let pageSize = 16; ; pageSize = Math.min(pageSize * 4, PAGE)) {
      if (before !== undefined && before < 0n) break;
      const page = await this.store.readStream(streamId, { direction: 'backwards', maxCount: pageSize, ...(before === undefined ? {} : { fromRevision: before }) });
      newest ??= page[0];
      const found = this.tailOf(page, resetsState);
      tail.push(...found.events);
      if (found.complete || page.length < pageSize) break;
      before = page.at(-1)!.revision - 1n;
    }
    return this.foldTail(newest ? [newest] : [], tail, decider);
  }

  /** The decoded events of a backwards page down to the first that resets the state, and whether there was one. */
  private tailOf<Event extends DomainEvent>(page: readonly RecordedEvent[], resetsState: (event: Event) => boolean): { events: Event[]; complete: boolean } {
    const events: Event[] = [];
    for (const recorded of page) {
      const event = this.codec.decode(recorded) as Event;
      events.push(event);
      if (resetsState(event)) return { events, complete: true };
    }
    return { events, complete: false };
  }

  /** The state after `tail` (newest first), at the revision of the newest event read. */
  private foldTail<Command, Event extends DomainEvent, State>(page: readonly RecordedEvent[], tail: Event[], decider: Decider<Command, Event, State>): LoadedStream<State> {
    const state = [...tail].reverse().reduce((s, e) => decider.evolve(s, e), decider.initialState());
    return { state, revision: page[0]?.revision, position: page[0]?.position };
  }

  async handle<Command, Event extends DomainEvent, State>(options: HandleOptions<Command, Event, State>): Promise<CommandResult<State, Event>> {
    const { streamId, decider, metadata } = options;
    const attempts = options.expectedRevision === undefined ? (options.maxAttempts ?? 5) : 1;
    for (let attempt = 1; ; attempt++) {
      const loaded: LoadedStream<State> =
        attempt === 1 && options.loaded
          ? options.loaded
          : options.newStream && attempt === 1
            ? { state: decider.initialState(), revision: undefined, position: undefined }
            : await this.load(streamId, decider);
      // the command is built first: a builder that refuses the caller (404, 403) must win over
      // a 412, which would reveal that the resource exists
      const command = typeof options.command === 'function' ? (options.command as (state: State) => Command)(loaded.state) : options.command;
      if (options.expectedRevision !== undefined && loaded.revision !== options.expectedRevision) {
        throw new PreconditionFailed(streamId, options.expectedRevision, loaded.revision);
      }
      const events = decider.decide(command, loaded.state);
      if (events.length === 0) return { ...loaded, events };
      try {
        const result = await this.store.appendToStream(
          streamId,
          events.map((event, index) => ({
            id: options.idempotencyKey === undefined ? randomUUID() : derivedEventId(options.idempotencyKey, streamId, index),
            type: event.type,
            schemaVersion: this.codec.schemaVersionOf(event.type),
            data: event.data,
            metadata,
          })),
          { expectedRevision: loaded.revision ?? 'no_stream' },
        );
        const state = events.reduce((s, e) => decider.evolve(s, e), loaded.state);
        return { state, revision: result.nextRevision - 1n, position: result.position, events };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision)) throw error;
        if (options.expectedRevision !== undefined) throw new PreconditionFailed(streamId, options.expectedRevision, error.actual);
        if (attempt >= attempts) throw new ConcurrencyConflict(streamId);
        // jitter, so writers that collided do not collide again in lockstep
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }
}

/**
 * A UUID (version 8, RFC 9562) that is a function of its inputs: the `index`-th event a
 * command with `key` appends to `streamId`.
 *
 * ```ts
 * derivedEventId('msg-1', 'post-…', 0) === derivedEventId('msg-1', 'post-…', 0); // true
 * ```
 */
export function derivedEventId(key: string, streamId: string, index: number): string {
  const bytes = createHash('sha256').update(`${key}\n${streamId}\n${index}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
