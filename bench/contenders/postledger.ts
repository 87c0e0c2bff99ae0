import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import type { NewEvent } from '../../src/eventstore/port';
import { EVENT_TYPE, eventData, eventMetadata, newStreamId } from '../lib/events';
import { percentile, runConcurrent, runSequential, timed, toRep } from '../lib/stats';
import { type EventStoreTask, expectCount, type PreloadResult } from '../lib/tasks';

function event(seq: number): NewEvent {
  return { id: randomUUID(), type: EVENT_TYPE, data: eventData(seq), metadata: eventMetadata() };
}

/**
 * Counts and times the group-commit statements (`pl_append`) the store sends, without
 * touching src/: the store's pool is public, so its `query` is wrapped. Cost: two hrtime
 * calls and a string test per query.
 */
class AppendProbe {
  statements = 0;
  readonly statementMs: number[] = [];
  private active = false;

  constructor(pool: Pool) {
    const target = pool as unknown as { query: (...args: unknown[]) => unknown };
    const original = target.query.bind(pool);
    target.query = (...args: unknown[]) => {
      const text = args[0];
      if (!this.active || !/pl_append(_one|_single)?\(/.test(typeof text === 'string' ? text : String((text as { text?: string } | undefined)?.text))) return original(...args);
      const t0 = process.hrtime.bigint();
      const done = () => {
        this.statements++;
        this.statementMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      };
      const result = original(...args) as Promise<unknown>;
      return result.then(
        (value) => {
          done();
          return value;
        },
        (error: unknown) => {
          done();
          throw error;
        },
      );
    };
  }

  start(): void {
    this.statements = 0;
    this.statementMs.length = 0;
    this.active = true;
  }

  /** Notes for the report: statements, appends per statement, statement time, share of wall time spent in statements. */
  notes(appends: number, elapsedMs: number): Record<string, number> {
    this.active = false;
    const total = this.statementMs.reduce((a, b) => a + b, 0);
    return {
      statements: this.statements,
      appendsPerStatement: appends / Math.max(1, this.statements),
      statementMeanMs: total / Math.max(1, this.statements),
      statementP99Ms: percentile(this.statementMs, 0.99),
      inStatementPct: (100 * total) / elapsedMs,
    };
  }
}

async function appendBatch(store: PostgresEventStore, size: number, seq: number): Promise<string> {
  const streamId = newStreamId();
  await store.appendToStream(
    streamId,
    Array.from({ length: size }, (_, i) => event(seq + i)),
    { expectedRevision: 'no_stream' },
  );
  return streamId;
}

/** Runs one task against this project's PostgresEventStore, in this process. */
export async function runPostledgerTask(task: EventStoreTask): Promise<unknown> {
  if (task.kind === 'setup') {
    const store = new PostgresEventStore({ connection: { connectionString: task.url, max: 1 } });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    return { ok: true };
  }
  const store = new PostgresEventStore({ connection: { connectionString: task.url, max: task.poolMax } });
  const probe = new AppendProbe(store.pool);
  try {
    switch (task.kind) {
      case 'append-new': {
        const one = (i: number) => store.appendToStream(newStreamId(), [event(i)], { expectedRevision: 'no_stream' });
        await runConcurrent(task.warmup, task.concurrency, one);
        probe.start();
        const t = await runConcurrent(task.count, task.concurrency, one);
        return toRep(t, task.count, task.count, probe.notes(task.count, t.elapsedMs));
      }
      case 'append-same': {
        const sequence = (count: number) => {
          const streamId = newStreamId();
          let expected: 'no_stream' | bigint = 'no_stream';
          return runSequential(count, async (i) => {
            const { nextRevision } = await store.appendToStream(streamId, [event(i)], { expectedRevision: expected });
            expected = nextRevision - 1n;
          });
        };
        await sequence(task.warmup);
        probe.start();
        const t = await sequence(task.count);
        return toRep(t, task.count, task.count, probe.notes(task.count, t.elapsedMs));
      }
      case 'append-batch': {
        await runSequential(task.warmup, (i) => appendBatch(store, task.size, i * task.size));
        probe.start();
        const t = await runSequential(task.batches, (i) => appendBatch(store, task.size, i * task.size));
        return toRep(t, task.batches, task.batches * task.size, probe.notes(task.batches, t.elapsedMs));
      }
      case 'preload': {
        const ids: string[] = [];
        const { elapsedMs } = await runSequential(task.streams, async (i) => ids.push(await appendBatch(store, task.size, i * task.size)));
        return { firstStreamId: ids[0]!, events: task.streams * task.size, seconds: elapsedMs / 1000 } satisfies PreloadResult;
      }
      case 'read-stream': {
        const read = async () => expectCount('postledger readStream', (await store.readStream(task.streamId, { maxCount: task.size })).length, task.size);
        await runSequential(task.warmup, read);
        const t = await runSequential(task.reads, read);
        return toRep(t, task.reads, task.reads * task.size);
      }
      case 'read-all': {
        await store.readAll({ maxCount: task.page });
        let read = 0;
        const t = await timed(async (lap) => {
          let after: bigint | undefined;
          for (;;) {
            const p0 = process.hrtime.bigint();
            const page = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: task.page });
            lap(p0);
            read += page.length;
            if (page.length < task.page) return;
            after = page[page.length - 1]!.position;
          }
        });
        expectCount('postledger readAll', read, task.total);
        return toRep(t, t.latenciesMs.length, read);
      }
    }
  } finally {
    await store.close();
  }
}
