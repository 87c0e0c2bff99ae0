/**
 * Emmett's PostgreSQL event store as a benchmark peer. Runs in its own process because
 * Emmett switches pg's int8 parser to BigInt for the whole process.
 *
 *   tsx bench/peers/emmett.ts <kind> '<task json>'   one task, its result as JSON on stdout
 *   tsx bench/peers/emmett.ts serve                  one task per stdin line (used by bench/eventstore.ts)
 *
 * Task shapes: bench/lib/tasks.ts. Protocol lines on stdout start with PROTOCOL_PREFIX.
 */
import { type Event, STREAM_DOES_NOT_EXIST, type ExpectedStreamVersion } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { dumbo } from '@event-driven-io/dumbo';
import { createInterface } from 'node:readline';
import { Pool } from 'pg';
import { type BenchMetadata, EVENT_TYPE, eventData, eventMetadata, newStreamId, type PostDraftedData } from '../lib/events';
import { runConcurrent, runSequential, timed, toRep } from '../lib/stats';
import { type EventStoreTask, expectCount, type PeerRequest, type PeerResponse, type PreloadResult, PROTOCOL_PREFIX } from '../lib/tasks';

type PostDrafted = Event<typeof EVENT_TYPE, PostDraftedData, BenchMetadata>;

function event(seq: number): PostDrafted {
  return { type: EVENT_TYPE, data: eventData(seq), metadata: eventMetadata() };
}

interface Opened {
  pool: Pool;
  store: PostgresEventStore;
}

function open(url: string, poolMax: number): Opened {
  const pool = new Pool({ connectionString: url, max: poolMax });
  // the schema is created by the `setup` task; no per-call migration check afterwards
  const store = getPostgreSQLEventStore(url, { connectionOptions: { pool }, schema: { autoMigration: 'None' } });
  return { pool, store };
}

async function close({ pool, store }: Opened): Promise<void> {
  await store.close();
  await pool.end();
}

async function appendBatch(store: PostgresEventStore, size: number, seq: number): Promise<string> {
  const streamId = newStreamId();
  const events = Array.from({ length: size }, (_, i) => event(seq + i));
  await store.appendToStream<PostDrafted>(streamId, events, { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
  return streamId;
}

export async function runEmmettTask(task: EventStoreTask): Promise<unknown> {
  if (task.kind === 'setup') {
    const pool = new Pool({ connectionString: task.url, max: 1 });
    try {
      const store = getPostgreSQLEventStore(task.url, { connectionOptions: { pool } });
      await store.schema.migrate();
      await store.close();
    } finally {
      await pool.end();
    }
    return { ok: true };
  }
  const opened = open(task.url, task.poolMax);
  const { store } = opened;
  try {
    switch (task.kind) {
      case 'append-new': {
        const one = (i: number) => store.appendToStream<PostDrafted>(newStreamId(), [event(i)], { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
        await runConcurrent(task.warmup, task.concurrency, one);
        const t = await runConcurrent(task.count, task.concurrency, one);
        return toRep(t, task.count, task.count);
      }
      case 'append-same': {
        const sequence = async (count: number) => {
          const streamId = newStreamId();
          let expected: ExpectedStreamVersion = STREAM_DOES_NOT_EXIST;
          return runSequential(count, async (i) => {
            const result = await store.appendToStream<PostDrafted>(streamId, [event(i)], { expectedStreamVersion: expected });
            expected = result.nextExpectedStreamVersion;
          });
        };
        await sequence(task.warmup);
        const t = await sequence(task.count);
        return toRep(t, task.count, task.count);
      }
      case 'append-batch': {
        await runSequential(task.warmup, (i) => appendBatch(store, task.size, i * task.size));
        const t = await runSequential(task.batches, (i) => appendBatch(store, task.size, i * task.size));
        return toRep(t, task.batches, task.batches * task.size);
      }
      case 'preload': {
        const ids: string[] = [];
        const { elapsedMs } = await runSequential(task.streams, async (i) => ids.push(await appendBatch(store, task.size, i * task.size)));
        return { firstStreamId: ids[0]!, events: task.streams * task.size, seconds: elapsedMs / 1000 } satisfies PreloadResult;
      }
      case 'read-stream': {
        const read = async () => {
          const { events } = await store.readStream<PostDrafted>(task.streamId, { maxCount: BigInt(task.size) });
          expectCount('emmett readStream', events.length, task.size);
        };
        await runSequential(task.warmup, read);
        const t = await runSequential(task.reads, read);
        return toRep(t, task.reads, task.reads * task.size);
      }
      case 'read-all': {
        // Emmett has no readAll on the store: its consumers page the log with readMessagesBatch
        const executor = dumbo({ connectionString: task.url, pool: opened.pool });
        const page = (after: bigint) => readMessagesBatch<PostDrafted>(executor.execute, { after, batchSize: task.page });
        await page(0n);
        let read = 0;
        const t = await timed(async (lap) => {
          let after = 0n;
          for (;;) {
            const p0 = process.hrtime.bigint();
            const { messages, currentGlobalPosition } = await page(after);
            lap(p0);
            read += messages.length;
            after = currentGlobalPosition;
            if (messages.length < task.page) return;
          }
        });
        expectCount('emmett readAll', read, task.total);
        return toRep(t, t.latenciesMs.length, read);
      }
    }
  } finally {
    await close(opened);
  }
}

function respond(response: PeerResponse): void {
  process.stdout.write(`${PROTOCOL_PREFIX}${JSON.stringify(response, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

async function serve(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as PeerRequest;
    try {
      respond({ id: request.id, ok: true, result: await runEmmettTask(request.task) });
    } catch (error) {
      respond({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
}

async function main(): Promise<void> {
  const [kind, json] = process.argv.slice(2);
  if (kind === 'serve') return serve();
  if (!kind || !json) {
    console.error(`usage: tsx bench/peers/emmett.ts serve | tsx bench/peers/emmett.ts <kind> '<task json>'`);
    process.exit(2);
  }
  const result = await runEmmettTask({ ...(JSON.parse(json) as object), kind } as EventStoreTask);
  console.log(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
