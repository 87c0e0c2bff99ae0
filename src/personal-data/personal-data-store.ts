import { InvalidInput } from '../eventstore/errors';
import { prepareAppend } from '../eventstore/event-validation';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamsOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../eventstore/port';
import { ERASED_PERSONAL_DATA, isSealed, openText, seal } from './cipher';
import type { PersonKey, PersonKeys } from './person-keys';

export interface PersonalDataStoreOptions {
  keys: PersonKeys;
  /**
   * Opened groups kept in memory, by event id (default 10,000): a user's stream is loaded on
   * every authenticated request. Used only while the person's key is still there.
   */
  openedCacheSize?: number;
  /** The top-level fields of an event type that hold personal data; `[]` for any type it does not know. */
  personalFieldsOf: (type: string) => readonly string[];
  /** Whose personal data a stream's events carry; default `userSubject` (the `<id>` of `user-<id>`). */
  subjectOf?: (streamId: string) => string | undefined;
}

/**
 * The subject of a personal-data group is the user whose stream holds the event: `user-<id>`
 * gives `<id>`; no other stream may carry personal data.
 *
 * ```ts
 * userSubject('user-8c1f…'); // '8c1f…'
 * userSubject('post-42');    // undefined
 * ```
 */
export function userSubject(streamId: string): string | undefined {
  return streamId.startsWith('user-') ? streamId.slice('user-'.length) : undefined;
}

/**
 * The event store as every part of the service sees it: each event's personal-data group is
 * sealed with its person's key (AES-256-GCM) on append, and opened on every read
 * (`readStream`, `readAll`, `subscribe`). Once the person's key is destroyed the group reads
 * as `{ erased: true }`; a plaintext group written before encryption reads as it is, or as
 * erased once its person is. Appends stay idempotent: the log decides by event id alone.
 *
 * ```ts
 * const store = new PersonalDataEventStore(rawStore, { keys, personalFieldsOf });
 * await store.appendToStream(`user-${id}`, [{ id: randomUUID(), type: 'UserRegistered', data: { userId: id, personal } }]);
 * ```
 */
export class PersonalDataEventStore implements EventStore {
  private readonly keys: PersonKeys;
  private readonly personalFieldsOf: (type: string) => readonly string[];
  private readonly subjectOf: (streamId: string) => string | undefined;
  private readonly opened = new Map<string, string>();
  private readonly openedCacheSize: number;
  /** Present when the adapter underneath has it. */
  readonly readStreams?: (streamIds: readonly string[], options: ReadStreamsOptions) => Promise<Map<string, RecordedEvent[]>>;

  constructor(
    /** The adapter underneath: it only ever sees sealed groups. */
    readonly inner: EventStore,
    options: PersonalDataStoreOptions,
  ) {
    this.keys = options.keys;
    this.personalFieldsOf = options.personalFieldsOf;
    this.subjectOf = options.subjectOf ?? userSubject;
    this.openedCacheSize = options.openedCacheSize ?? 10_000;
    if (inner.readStreams) {
      const readStreams = inner.readStreams.bind(inner);
      this.readStreams = async (streamIds, readOptions) => {
        const streams = await readStreams(streamIds, readOptions);
        for (const [streamId, events] of streams) streams.set(streamId, await this.openAll(events));
        return streams;
      };
    }
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return this.inner.appendToStream(streamId, await this.sealAll(streamId, events), options);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.openAll(await this.inner.readStream(streamId, options));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.openAll(await this.inner.readAll(options));
  }

  /**
   * Events read from `inner` as this store reads them: `openStored(await inner.readAll(o))`
   * equals `readAll(o)`. For a reader that needs both forms of one read (a rebuild that feeds
   * the audit chain the stored form and every other projection the opened one).
   */
  openStored(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    return this.openAll(events);
  }

  subscribe(options?: SubscribeOptions): Subscription {
    const inner = this.inner.subscribe(options);
    const openOne = async (event: RecordedEvent) => (this.personalGroups(event).length === 0 ? event : (await this.openAll([event]))[0]!);
    async function* events(): AsyncGenerator<RecordedEvent> {
      try {
        for await (const event of inner) yield await openOne(event);
      } finally {
        await inner.close();
      }
    }
    const iterator = events();
    return {
      [Symbol.asyncIterator]: () => iterator,
      async close() {
        await inner.close();
        await iterator.return(undefined);
      },
    };
  }

  headPosition(): Promise<Position | undefined> {
    return this.inner.headPosition();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The personal fields this event actually carries. */
  private personalGroups(event: { type: string; data: unknown }): string[] {
    const fields = this.personalFieldsOf(event.type);
    if (fields.length === 0 || typeof event.data !== 'object' || event.data === null) return [];
    const data = event.data as Record<string, unknown>;
    return fields.filter((field) => data[field] !== undefined);
  }

  private openGroup(value: unknown, key: PersonKey, subject: string, eventId: string, field: string): unknown {
    if (key.state === 'erased') return { ...ERASED_PERSONAL_DATA };
    if (!isSealed(value)) return value;
    // sealed, yet no key row at all: the key is gone, which is what erasure means
    if (key.state === 'none') return { ...ERASED_PERSONAL_DATA };
    // by event and field: the ciphertext of an event never changes, and the memo is only read while the key exists
    const memo = `${eventId}:${field}`;
    let text = this.opened.get(memo);
    if (text === undefined) {
      text = openText(key.key, value, contextOf(subject, eventId));
      if (this.openedCacheSize > 0) {
        this.opened.set(memo, text);
        while (this.opened.size > this.openedCacheSize) this.opened.delete(this.opened.keys().next().value!);
      }
    } else {
      // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
      this.opened.delete(memo);
      this.opened.set(memo, text);
    }
    // parsed afresh each time: every reader gets a copy of its own
    return JSON.parse(text) as unknown;
  }

  private async sealAll(streamId: string, events: readonly NewEvent[]): Promise<readonly NewEvent[]> {
    if (!Array.isArray(events) || !events.some((event) => this.personalGroups(event).length > 0)) return events;
    // the adapter's own checks, on the plaintext: once sealed, a bad value could no longer be seen
    prepareAppend(streamId, events, Number.MAX_SAFE_INTEGER);
    const subject = this.subjectOf(streamId);
    let key: Buffer | undefined;
    const sealed: NewEvent[] = [];
    for (const [i, event] of events.entries()) {
      const fields = this.personalGroups(event).filter((field) => needsSealing((event.data as Record<string, unknown>)[field]));
      if (fields.length === 0) {
        sealed.push(event);
        continue;
      }
      if (subject === undefined) throw new InvalidInput(`events[${i}].data.${fields[0]}`, `personal data may only be written to the stream of its person (user-<id>), not ${streamId}`);
      key ??= await this.keys.keyForWriting(subject);
      const data = { ...(event.data as Record<string, unknown>) };
      for (const field of fields) data[field] = seal(key, data[field], contextOf(subject, event.id.toLowerCase()));
      sealed.push({ ...event, data });
    }
    return sealed;
  }

  private async openAll(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const subjects = new Set<string>();
    for (const event of events) {
      if (this.personalGroups(event).length === 0) continue;
      const subject = this.subjectOf(event.streamId);
      if (subject !== undefined) subjects.add(subject);
    }
    if (subjects.size === 0) return events;
    const keys = await this.keys.keysForReading(subjects);
    return events.map((event) => {
      const fields = this.personalGroups(event);
      const subject = this.subjectOf(event.streamId);
      if (fields.length === 0 || subject === undefined) return event;
      const key = keys.get(subject)!;
      const data = { ...(event.data as Record<string, unknown>) };
      for (const field of fields) data[field] = this.openGroup(data[field], key, subject, event.id, field);
      return { ...event, data };
    });
  }
}

/** Plaintext to seal: not already sealed (a copied event) and not the erased marker. */
function needsSealing(value: unknown): boolean {
  return !isSealed(value) && !isErasedMarker(value);
}

function isErasedMarker(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { erased?: unknown }).erased === true && Object.keys(value).length === 1;
}


/** Authenticated with the ciphertext: a sealed group opens only in its own event, under its own person. */
function contextOf(subject: string, eventId: string): string {
  return `personal:${subject}:${eventId}`;
}
