import type { Pool } from 'pg';
import { IdempotencyConflict, WrongExpectedRevision } from '../errors';
import type { PreparedAppend } from '../event-validation';
import type { AppendResult, ExpectedRevision } from '../port';

interface Pending {
  append: PreparedAppend;
  expected: ExpectedRevision;
  /** Set after a batch it was in failed: it is retried alone so one bad append cannot sink others. */
  solo?: boolean;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface AppendRow {
  idx: number;
  outcome: 'ok' | 'duplicate' | 'mixed' | 'conflict';
  next_revision: string | null;
  last_position: string | null;
  actual: string | null;
}

/** Upper bound of appends gathered into one statement. */
const MAX_APPENDS_PER_BATCH = 512;
/** Upper bound of encoded payload per statement, so one huge batch does not stall the rest. */
const MAX_BYTES_PER_BATCH = 8 * 1024 * 1024;

/**
 * Group commit: appends that arrive while a statement is in flight are gathered and sent
 * together as one `pl_append` call, each still checked against its own expected revision.
 * One batch is in flight at a time; the first append after a quiet period goes out at the end
 * of the current turn of the event loop. Appends to the same stream keep their arrival order.
 */
export class Appender {
  private queue: Pending[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly onCommitted: (lastPosition: bigint) => void,
  ) {}

  append(append: PreparedAppend, expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ append, expected, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    // appends made in the same turn go together; later ones gather while this batch is in flight
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const streams = new Set<string>();
    const ids = new Set<string>();
    let bytes = 0;
    for (const pending of this.queue) {
      const size = pending.append.events.reduce((sum, e) => sum + e.data.length + e.metadata.length, 0);
      const clashes =
        (pending.solo && batch.length > 0) ||
        (batch.length === 1 && batch[0]!.solo === true) ||
        streams.has(pending.append.streamId) ||
        pending.append.events.some((e) => ids.has(e.id)) ||
        batch.length >= MAX_APPENDS_PER_BATCH ||
        (batch.length > 0 && bytes + size > MAX_BYTES_PER_BATCH);
      if (clashes) {
        // a later append to the same stream must not overtake this one
        streams.add(pending.append.streamId);
        rest.push(pending);
        continue;
      }
      streams.add(pending.append.streamId);
      for (const e of pending.append.events) ids.add(e.id);
      bytes += size;
      batch.push(pending);
    }
    this.queue = rest;
    return batch;
  }

  /** A batch of one goes through a faster single-append function (one event: the fastest); the decision is the same. */
  private send(batch: readonly Pending[]) {
    if (batch.length === 1 && batch[0]!.append.events.length === 1) {
      const { append, expected } = batch[0]!;
      const event = append.events[0]!;
      return this.pool.query<AppendRow>({
        name: 'pl_append_single',
        text: 'select * from pl_append_single($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)',
        values: [append.streamId, append.category, encodeExpected(expected), event.id, event.type, event.schemaVersion, event.occurredAt ?? null, event.data, event.metadata],
      });
    }
    if (batch.length === 1) {
      const { append, expected } = batch[0]!;
      // named: each connection parses and plans the statement once
      return this.pool.query<AppendRow>({
        name: 'pl_append_one',
        text: 'select * from pl_append_one($1, $2, $3, $4::uuid[], $5::jsonb)',
        values: [append.streamId, append.category, encodeExpected(expected), append.events.map((e) => e.id), encodeEvents(append)],
      });
    }
    return this.pool.query<AppendRow>({ name: 'pl_append', text: 'select * from pl_append($1::jsonb)', values: [encodeBatch(batch)] });
  }

  private async flush(): Promise<void> {
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    this.inFlight = true;
    try {
      const { rows } = await this.send(batch);
      let committedHead: bigint | undefined;
      for (const row of rows) {
        const pending = batch[row.idx]!;
        const { streamId, events } = pending.append;
        switch (row.outcome) {
          case 'ok':
          case 'duplicate': {
            const position = BigInt(row.last_position!);
            if (row.outcome === 'ok' && (committedHead === undefined || position > committedHead)) committedHead = position;
            pending.resolve({ nextRevision: BigInt(row.next_revision!), position });
            break;
          }
          case 'mixed':
            pending.reject(new IdempotencyConflict(streamId, events.map((e) => e.id)));
            break;
          case 'conflict':
            pending.reject(new WrongExpectedRevision(streamId, pending.expected, row.actual === null ? undefined : BigInt(row.actual)));
            break;
        }
      }
      if (committedHead !== undefined) this.onCommitted(committedHead);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
      } else {
        for (const pending of batch) pending.solo = true;
        this.queue.unshift(...batch);
      }
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }
}

function encodeExpected(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected;
}

/** Builds the batch JSON by hand: payloads are already JSON and are not encoded twice. */
function encodeBatch(batch: readonly Pending[]): string {
  const parts = batch.map(
    ({ append, expected }) => `{"s":${JSON.stringify(append.streamId)},"c":"${append.category}","x":"${encodeExpected(expected)}","e":${encodeEvents(append)}}`,
  );
  return `[${parts.join(',')}]`;
}

/** The events of one append as the JSON array both SQL functions read. */
function encodeEvents(append: PreparedAppend): string {
  const events = append.events.map(
    (e) => `{"id":"${e.id}","t":${JSON.stringify(e.type)},"v":${e.schemaVersion},"o":${e.occurredAt ? `"${e.occurredAt.toISOString()}"` : 'null'},"d":${e.data},"m":${e.metadata}}`,
  );
  return `[${events.join(',')}]`;
}
