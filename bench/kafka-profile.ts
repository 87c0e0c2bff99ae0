/**
 * `tsx bench/kafka-profile.ts`: where the relay's CPU goes, without the wall-clock noise of a
 * shared machine. Preloads events (as bench/kafka.ts does), then runs a fresh relay over them
 * REPS times and prints the CPU time of this process per event for each run; the last run is
 * profiled (V8 CPU profile, summarised by place and function). Then kafkajs's own encoding of
 * the same messages (a produce request, no network) per record, for comparison.
 *
 * Environment: KAFKA_BROKERS (default 127.0.0.1:9092), PROFILE_EVENTS (default 40000), REPS
 * (default 3), RELAY_BATCH_SIZE (default 1000), PROFILE_STORE=personal (the relay reads through
 * the personal-data store, as in the service) or raw (default).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import type { EventStore } from '../src/eventstore/port';
import { createLogger } from '../src/platform/logger';
import { migrate } from '../src/platform/migrations';
import { KafkaBus } from '../src/streaming/kafka-bus';
import { Relay } from '../src/streaming/relay';
import { relayMigrations } from '../src/streaming/relay-checkpoint';
import { toOutboundMessage } from '../src/streaming/relay-message';
import { catalogPersonalFields, personKeyMigrations, PersonKeys, PersonalDataEventStore } from '../src/personal-data';
import { summarizeProfiles } from './commands-profile';
import { benchDatabaseUrl } from './lib/db';
import { envNumber, log } from './lib/env';
import { eventData, eventMetadata } from './lib/events';
import { freshSchema, preload } from './kafka';

const EVENTS = envNumber('PROFILE_EVENTS', 40_000);
const REPS = envNumber('REPS', 3);
const BATCH = envNumber('RELAY_BATCH_SIZE', 1000);
const logger = createLogger('warn');

function post<T = unknown>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((ok, fail) => session.post(method, params, (error, result) => (error ? fail(error) : ok(result as T))));
}

async function relayRun(store: EventStore, raw: PostgresEventStore, bus: KafkaBus, pool: Pool, url: string, name: string): Promise<number> {
  const head = (await raw.headPosition())!;
  const relay = new Relay({ store, bus, pool, lockConnection: { connectionString: url }, logger, batchSize: BATCH, name });
  const cpu = process.cpuUsage();
  relay.start();
  while (relay.status.checkpoint !== head) await new Promise((r) => setTimeout(r, 5));
  const used = process.cpuUsage(cpu);
  await relay.stop();
  return (used.user + used.system) / relay.status.published;
}

/** kafkajs's encoding of produce requests (v3) for `n` relay messages, 500 per request, per record. */
async function kafkajsEncodingUs(n: number): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request') as (a: object) => { encode(): Promise<{ buffer: Buffer }> };
  const messages = Array.from({ length: 500 }, (_, i) => {
    const { message } = toOutboundMessage({
      id: randomUUID(),
      type: 'PostDrafted',
      schemaVersion: 1,
      streamId: `post-${randomUUID()}`,
      revision: BigInt(i % 100),
      position: BigInt(i + 1),
      occurredAt: new Date(),
      data: eventData(i),
      metadata: eventMetadata(),
    });
    return { ...message, timestamp: Date.now() };
  });
  const topicData = [0, 1, 2].map((t) => ({
    topic: `postledger.t${t}`,
    partitions: Array.from({ length: 6 }, (_, p) => ({ partition: p, firstSequence: 0, messages: messages.filter((_, i) => i % 18 === t * 6 + p) })),
  }));
  const encodeOnce = () => produce({ acks: -1, timeout: 30000, topicData }).encode();
  for (let i = 0; i < 20; i += 1) await encodeOnce();
  const cpu = process.cpuUsage();
  for (let done = 0; done < n; done += 500) await encodeOnce();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const schema = await freshSchema(benchDatabaseUrl());
  const pool = new Pool({ connectionString: schema.url, max: 16 });
  const raw = new PostgresEventStore({ connection: { connectionString: schema.url }, pool });
  const personal = process.env.PROFILE_STORE === 'personal';
  const bus = new KafkaBus({ brokers, clientId: 'bench-profile', logger });
  try {
    await raw.migrate();
    await migrate(pool, [...relayMigrations, ...personKeyMigrations]);
    const store = personal ? new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey: randomBytes(32) }), personalFieldsOf: catalogPersonalFields }) : raw;
    await preload(raw, `p${randomBytes(2).toString('hex')}`, EVENTS);
    log(`${EVENTS} events preloaded; store ${personal ? 'personal-data' : 'raw'}; batch ${BATCH}`);
    const results: string[] = [];
    for (let rep = 1; rep <= REPS; rep += 1) {
      const profiled = rep === REPS;
      const session = new Session();
      if (profiled) {
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
        await post(session, 'Profiler.start');
      }
      const us = await relayRun(store, raw, bus, pool, schema.url, `profile-${rep}-${randomUUID().slice(0, 8)}`);
      results.push(us.toFixed(1));
      log(`rep ${rep}: ${us.toFixed(1)} µs CPU per event${profiled ? ' (profiled)' : ''}`);
      if (profiled) {
        const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
        session.disconnect();
        const file = join('/tmp', `relay-${Date.now()}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        console.log(summarizeProfiles([file], resolve(__dirname, '..'), 25).text);
        log(`profile: ${file}`);
      }
    }
    const encoding = await kafkajsEncodingUs(50_000);
    console.log(`\nrelay CPU per event: ${results.join(', ')} µs (last profiled); kafkajs produce-request encoding alone: ${encoding.toFixed(1)} µs per record`);
  } finally {
    await bus.close();
    await raw.close();
    await pool.end();
    await schema.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
