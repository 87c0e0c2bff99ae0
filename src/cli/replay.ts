import { randomUUID } from 'node:crypto';
import { recordReadBy } from '../audit/access';
import { exportNdjson, type NdjsonSink } from '../audit/ndjson';
import { logPages } from '../audit/pages';
import type { EventFilter, Position } from '../eventstore/port';
import type { HostProcess } from '../serve';
import { KafkaBus } from '../streaming/kafka-bus';
import { toOutboundMessage } from '../streaming/relay-message';
import { type LogAccess, openLogAccess, runCommand } from './command';
import { Progress } from '../platform/progress';

export interface ReplayOptions {
  /** Inclusive: the first position replayed (0: from the start). */
  from: Position;
  /** Inclusive: the last position replayed (default: the log's head when the replay began). */
  to?: Position;
  /** Publish to this Kafka topic instead of writing NDJSON to stdout. */
  toKafka?: string;
  filter: EventFilter;
}

/**
 * `postledger replay --from <position> [--to <position>] [--to-kafka <topic>] [--filter types=A,B]
 * [--filter categories=post]`: the log as NDJSON on stdout (one envelope a line, as
 * `GET /v1/events` serves it), or published to a Kafka topic (key = stream id, value = the
 * envelope, CloudEvents headers: the relay's message form). Progress goes to stderr: a bar on
 * a terminal, log lines otherwise. The replay is recorded in the log like a read of the API.
 */
export async function runReplay(host: HostProcess, options: ReplayOptions): Promise<void> {
  await runCommand(host, 'replay', async (context) => {
    if (options.toKafka !== undefined && !context.config.kafkaBrokers) {
      host.stderr.write('postledger replay: --to-kafka needs KAFKA_BROKERS (the brokers to publish to); without Kafka, replay to stdout\n');
      return 2;
    }
    const access = await openLogAccess(context);
    const { store, logger } = access;
    const head = (await store.headPosition()) ?? 0n;
    const to = options.to ?? head;
    const after = options.from > 0n ? options.from - 1n : undefined;
    await recordReadBy(store, { actor: { type: 'system', id: 'cli' }, correlationId: randomUUID() }, 'postledger replay', {
      from: options.from,
      to,
      toKafka: options.toKafka,
      types: options.filter.types?.join(','),
      categories: options.filter.categories?.join(','),
    });
    const start = after ?? 0n;
    const progress = new Progress({ label: 'replay', unit: 'log positions', stream: host.stderr, logger });
    const total = Number(to > start ? to - start : 0n);
    const onProgress = (_written: number, position: Position) => progress.update(Number(position - start), total);
    let written: number;
    if (options.toKafka !== undefined) {
      written = await publishToKafka(access, options.toKafka, { after, to, filter: options.filter, onProgress });
    } else {
      written = (await exportNdjson(store, stdoutSink(host), { after, to, filter: options.filter, onProgress })).written;
    }
    progress.finish(`${written} events`);
    logger.info({ events: written, from: options.from.toString(), to: to.toString(), topic: options.toKafka }, `replayed ${written} events`);
    return 0;
  });
}

async function publishToKafka(
  access: LogAccess,
  topic: string,
  options: { after?: Position; to: Position; filter: EventFilter; onProgress: (written: number, position: Position) => void },
): Promise<number> {
  const bus = new KafkaBus({ brokers: access.config.kafkaBrokers!, partitions: access.config.topicPartitions, logger: access.logger.child({ component: 'bus' }) });
  access.teardown.add('Kafka producer', () => bus.close());
  let written = 0;
  for await (const page of logPages(access.store, { after: options.after, filter: options.filter, pageSize: 1000 })) {
    const events = page.filter((event) => event.position <= options.to);
    // one page at a time, acknowledged by every in-sync replica before the next is read
    if (events.length > 0) await bus.publish(topic, events.map((event) => toOutboundMessage(event).message));
    written += events.length;
    if (events.length > 0) options.onProgress(written, events.at(-1)!.position);
    if (events.length < page.length) break;
  }
  return written;
}

/** stdout as an NDJSON sink: with backpressure when it is a real stream, plain writes otherwise. */
function stdoutSink(host: HostProcess): NdjsonSink {
  const stdout = host.stdout as Partial<NdjsonSink> & { write(text: string): unknown };
  if (typeof stdout.once === 'function' && typeof stdout.removeListener === 'function') return stdout as NdjsonSink;
  return {
    write: (chunk) => {
      stdout.write(chunk);
      return true;
    },
    once: () => undefined,
    removeListener: () => undefined,
  };
}
