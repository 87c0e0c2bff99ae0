/**
 * `npm run bench -- kafka`: the outbound relay against a real Kafka broker.
 *
 * 1. Relay throughput: ≥ 100k events already in the log; a fresh relay (a checkpoint of its
 *    own) publishes them all; events/s from `start()` until its checkpoint (moved only after
 *    the broker acknowledged, acks=-1) reaches the head.
 * 2. End-to-end lag at a steady 1,000 events/s: one-event appends (through an event store of
 *    their own, so the relay is woken by NOTIFY as in another process), the relay running, a
 *    consumer (its own Kafka client) receiving; lag = receipt time − time the append was
 *    called, p50/p99 over every event after a 2 s warm-up.
 *
 * Environment:
 * - KAFKA_BROKERS (default 127.0.0.1:9092; when nothing answers there, scripts/kafka-broker.sh starts a broker)
 * - BENCH_DATABASE_URL (else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test)
 * - BENCH_REPS (default 3), BENCH_SCALE (multiplies event counts and the lag run's length; default 1)
 * - RELAY_BATCH_SIZE (default 1000, the service's default), KAFKA_TOPIC_PARTITIONS (default 6)
 * - BENCH_NO_RESULTS=1: leave bench/RESULTS.md alone
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import type { NewEvent } from '../src/eventstore/port';
import { createLogger } from '../src/platform/logger';
import { migrate } from '../src/platform/migrations';
import { KafkaBus } from '../src/streaming/kafka-bus';
import type { BusMessage } from '../src/streaming/bus';
import { Relay } from '../src/streaming/relay';
import { toOutboundMessage } from '../src/streaming/relay-message';
import { relayMigrations } from '../src/streaming/relay-checkpoint';
import { benchDatabaseUrl, redactUrl } from './lib/db';
import { eventData, eventMetadata } from './lib/events';
import { markdownTable, today, upsertSection } from './lib/results';
import { median, percentile } from './lib/stats';

const BENCH_DIR = __dirname;
const RESULTS_FILE = join(BENCH_DIR, 'RESULTS.md');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const BATCH = Number(process.env.RELAY_BATCH_SIZE ?? 1000);
const PARTITIONS = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 6);
const THROUGHPUT_EVENTS = Math.round(100_000 * SCALE);
/** Events published once before the timed repetitions (see warmUp). */
const WARMUP_EVENTS = 2_000;
const LAG_RATE = 1000;
const LAG_SECONDS = Math.max(5, Math.round(20 * SCALE));
const WARMUP_MS = 2000;
const logger = createLogger('warn');

export interface Schema {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function freshSchema(base: string): Promise<Schema> {
  const name = `bench_kafka_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${name}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema ${name} cascade`);
      await client.end();
    },
  };
}

function brokers(): string[] {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS.split(',');
  // idempotent: does nothing when a broker already answers
  execFileSync('bash', [resolve(BENCH_DIR, '../scripts/kafka-broker.sh'), 'start'], { stdio: 'inherit' });
  return ['127.0.0.1:9092'];
}

function progress(line: string): void {
  process.stderr.write(`[kafka bench] ${line}\n`);
}

/** Appends `count` events over `streams` streams of three categories, in batches of 100 per stream. */
export async function preload(store: PostgresEventStore, prefix: string, count: number): Promise<void> {
  const categories = ['post', 'comment', 'generation'].map((c) => `${prefix}${c}`);
  const perAppend = 100;
  let written = 0;
  const appends: Promise<unknown>[] = [];
  for (let i = 0; written < count; i += 1) {
    const n = Math.min(perAppend, count - written);
    const streamId = `${categories[i % categories.length]}-${randomUUID()}`;
    const events: NewEvent[] = Array.from({ length: n }, (_, k) => ({ id: randomUUID(), type: 'PostDrafted', data: eventData(written + k), metadata: eventMetadata() }));
    written += n;
    appends.push(store.appendToStream(streamId, events));
    if (appends.length >= 16) await Promise.all(appends.splice(0));
    if (i % 200 === 0) progress(`preloading: ${written}/${count}`);
  }
  await Promise.all(appends);
}

/** CPU seconds the broker's JVM has used so far (when the project's script started it), else NaN. */
function brokerCpuSeconds(): number {
  try {
    const pid = readFileSync(resolve(BENCH_DIR, '../.cache/kafka/broker-9092/broker.pid'), 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU ticks (1/100 s) of each thread of this process so far, by thread id. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(tid, Number(fields[11]) + Number(fields[12]));
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return ticks;
}

/** CPU µs per event of the main thread and of the busiest other thread (the producer's) between two snapshots. */
function threadCpu(before: Map<string, number>, after: Map<string, number>, events: number): { main: number; busiestOther: number } {
  const us = (tid: string) => (((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) * 1e4) / events;
  const main = String(process.pid);
  let busiestOther = 0;
  for (const tid of after.keys()) if (tid !== main) busiestOther = Math.max(busiestOther, us(tid));
  return after.size === 0 ? { main: Number.NaN, busiestOther: Number.NaN } : { main: us(main), busiestOther };
}

interface ThroughputRep {
  eventsPerSecond: number;
  /** CPU time of this process (relay, kafkajs, pg client) per event, µs. */
  cpuUsPerEvent: number;
  /** The same, of the main thread (reading, building messages) and of the busiest other thread (kafkajs's producer). */
  mainThreadUsPerEvent: number;
  producerThreadUsPerEvent: number;
  /** CPU time of the broker's JVM per event, µs (NaN when unknown). */
  brokerCpuUsPerEvent: number;
}

/**
 * Not timed: the first WARMUP_EVENTS events of the log published once through the bus, as a
 * relay that has been running has done, so the timed repetitions do not include the producer's
 * thread starting and connecting, the topics being created and kafkajs's code being compiled.
 */
async function warmUp(store: PostgresEventStore, bus: KafkaBus): Promise<void> {
  const byTopic = new Map<string, BusMessage[]>();
  for (const event of await store.readAll({ maxCount: WARMUP_EVENTS })) {
    const { topic, message } = toOutboundMessage(event);
    const messages = byTopic.get(topic);
    if (messages) messages.push(message);
    else byTopic.set(topic, [message]);
  }
  await Promise.all([...byTopic].map(([topic, messages]) => bus.publish(topic, messages)));
  progress(`warm-up: ${WARMUP_EVENTS} events published to ${byTopic.size} topics (not timed)`);
}

async function relayThroughput(url: string, bus: KafkaBus, pool: Pool, store: PostgresEventStore, rep: number): Promise<ThroughputRep> {
  const head = (await store.headPosition())!;
  const relay = new Relay({ store, bus, pool, lockConnection: { connectionString: url }, logger, batchSize: BATCH, name: `bench-${rep}-${randomUUID().slice(0, 8)}` });
  const cpu = process.cpuUsage();
  const threadsBefore = threadTicks();
  const brokerCpu = brokerCpuSeconds();
  const started = performance.now();
  relay.start();
  let lastReport = started;
  while (relay.status.checkpoint !== head) {
    await new Promise((r) => setTimeout(r, 5));
    if (performance.now() - lastReport > 2000) {
      lastReport = performance.now();
      progress(`  rep ${rep}: ${relay.status.published} published`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const threadsAfter = threadTicks();
  const brokerUsed = brokerCpuSeconds() - brokerCpu;
  await relay.stop();
  const events = relay.status.published;
  const threads = threadCpu(threadsBefore, threadsAfter, events);
  return {
    eventsPerSecond: events / seconds,
    cpuUsPerEvent: (used.user + used.system) / events,
    mainThreadUsPerEvent: threads.main,
    producerThreadUsPerEvent: threads.busiestOther,
    brokerCpuUsPerEvent: (brokerUsed * 1e6) / events,
  };
}

async function e2eLag(url: string, brokerList: string[], pool: Pool, store: PostgresEventStore, rep: number): Promise<{ p50: number; p99: number; received: number; sent: number }> {
  const category = `lag${randomBytes(3).toString('hex')}`;
  const topic = `postledger.${category}`;
  const relayBus = new KafkaBus({ brokers: brokerList, partitions: PARTITIONS, clientId: 'bench-relay', logger });
  const consumerBus = new KafkaBus({ brokers: brokerList, partitions: PARTITIONS, clientId: 'bench-consumer', logger });
  // the appender's own store: the relay learns of commits by NOTIFY, as from another process
  const appender = new PostgresEventStore({ connection: { connectionString: url, max: 16 } });
  const lags: number[] = [];
  let received = 0;
  const consumer = await consumerBus.consume({
    topics: [topic],
    handle: async (message) => {
      const now = performance.timeOrigin + performance.now();
      const { data } = JSON.parse(message.value) as { data: { sentAt: number } };
      received += 1;
      if (data.sentAt >= measureFrom) lags.push(now - data.sentAt);
    },
  });
  const relay = new Relay({ store, bus: relayBus, pool, lockConnection: { connectionString: url }, logger, batchSize: BATCH, name: `lag-${rep}-${randomUUID().slice(0, 8)}` });
  // start the relay at the head: only this run's events
  await pool.query('insert into pl_relay_checkpoints (name, position) values ($1, $2)', [relay.status.name, String((await store.headPosition()) ?? 0n)]);
  relay.start();
  const streams = Array.from({ length: 200 }, () => `${category}-${randomUUID()}`);
  const total = LAG_RATE * LAG_SECONDS;
  const start = performance.timeOrigin + performance.now();
  const measureFrom = start + WARMUP_MS;
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  // 1 ms ticks: each sends what the schedule says is due, so the rate holds at 1,000/s
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.timeOrigin + performance.now() - start) / 1000) * LAG_RATE));
    for (; sent < due; sent += 1) {
      const sentAt = performance.timeOrigin + performance.now();
      const append = appender.appendToStream(streams[sent % streams.length]!, [{ id: randomUUID(), type: 'PostDrafted', data: { ...eventData(sent), sentAt }, metadata: eventMetadata() }]);
      inFlight.add(append);
      void append.finally(() => inFlight.delete(append));
    }
    if (sent % 5000 === 0 && sent > 0) progress(`  rep ${rep}: ${sent}/${total} appended, ${received} received`);
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  const deadline = Date.now() + 60_000;
  while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await relay.stop();
  await consumer.stop();
  await Promise.all([relayBus.close(), consumerBus.close(), appender.close()]);
  return { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), received, sent };
}

export async function runKafkaBenchmark(): Promise<void> {
  const brokerList = brokers();
  const base = benchDatabaseUrl();
  const schema = await freshSchema(base);
  progress(`database ${redactUrl(base)} schema ${schema.name}; brokers ${brokerList.join(',')}; ${REPS} reps; batch ${BATCH}; ${PARTITIONS} partitions`);
  const pool = new Pool({ connectionString: schema.url, max: 16 });
  const store = new PostgresEventStore({ connection: { connectionString: schema.url }, pool });
  const loads: number[] = [loadavg()[0]!];
  const throughputs: number[] = [];
  const cpuPerEvent: number[] = [];
  const mainThreadPerEvent: number[] = [];
  const producerThreadPerEvent: number[] = [];
  const brokerCpuPerEvent: number[] = [];
  const lagRuns: { p50: number; p99: number; received: number; sent: number }[] = [];
  try {
    await store.migrate();
    await migrate(pool, relayMigrations);
    await preload(store, `b${randomBytes(2).toString('hex')}`, THROUGHPUT_EVENTS);
    const bus = new KafkaBus({ brokers: brokerList, partitions: PARTITIONS, clientId: 'bench-relay', logger });
    try {
      await warmUp(store, bus);
      for (let rep = 1; rep <= REPS; rep += 1) {
        const result = await relayThroughput(schema.url, bus, pool, store, rep);
        const rate = result.eventsPerSecond;
        throughputs.push(rate);
        cpuPerEvent.push(result.cpuUsPerEvent);
        mainThreadPerEvent.push(result.mainThreadUsPerEvent);
        producerThreadPerEvent.push(result.producerThreadUsPerEvent);
        brokerCpuPerEvent.push(result.brokerCpuUsPerEvent);
        loads.push(loadavg()[0]!);
        progress(`relay throughput rep ${rep}: ${Math.round(rate)} ev/s over ${THROUGHPUT_EVENTS} events; ${result.cpuUsPerEvent.toFixed(1)} µs CPU/event here (main thread ${result.mainThreadUsPerEvent.toFixed(1)}, producer thread ${result.producerThreadUsPerEvent.toFixed(1)}), ${result.brokerCpuUsPerEvent.toFixed(1)} in the broker`);
      }
    } finally {
      await bus.close();
    }
    for (let rep = 1; rep <= REPS; rep += 1) {
      const run = await e2eLag(schema.url, brokerList, pool, store, rep);
      lagRuns.push(run);
      loads.push(loadavg()[0]!);
      progress(`e2e lag rep ${rep}: p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms (${run.received}/${run.sent} received)`);
    }
  } finally {
    await store.close();
    await pool.end();
    await schema.drop();
  }

  const relayRate = median(throughputs);
  const p50 = median(lagRuns.map((r) => r.p50));
  const p99 = median(lagRuns.map((r) => r.p99));
  const lost = lagRuns.reduce((n, r) => n + (r.sent - Math.min(r.sent, r.received)), 0);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const table = markdownTable(
    ['measure', 'median', 'each repetition'],
    [
      [`relay throughput, ${fmt(THROUGHPUT_EVENTS)} events log → acknowledged (batch ${BATCH})`, `${fmt(relayRate)} ev/s`, throughputs.map(fmt).join(', ')],
      ['relay process CPU per event, all threads (relay + kafkajs + pg client + V8 helper threads)', `${median(cpuPerEvent).toFixed(1)} µs`, cpuPerEvent.map((c) => c.toFixed(1)).join(', ')],
      [
        'of which the main thread (reading the log, building messages)',
        `${median(mainThreadPerEvent).toFixed(1)} µs`,
        mainThreadPerEvent.map((c) => c.toFixed(1)).join(', '),
      ],
      [
        "of which the producer's thread (kafkajs; the busiest: 1e6 ÷ it = ev/s when it has a core of its own)",
        `${median(producerThreadPerEvent).toFixed(1)} µs (≈ ${fmt(1e6 / median(producerThreadPerEvent))} ev/s)`,
        producerThreadPerEvent.map((c) => c.toFixed(1)).join(', '),
      ],
      ['broker JVM CPU per event', `${median(brokerCpuPerEvent).toFixed(1)} µs`, brokerCpuPerEvent.map((c) => c.toFixed(1)).join(', ')],
      [`e2e lag p50 at ${fmt(LAG_RATE)} ev/s for ${LAG_SECONDS} s`, `${p50.toFixed(1)} ms`, lagRuns.map((r) => r.p50.toFixed(1)).join(', ')],
      [`e2e lag p99 at ${fmt(LAG_RATE)} ev/s for ${LAG_SECONDS} s`, `${p99.toFixed(1)} ms`, lagRuns.map((r) => r.p99.toFixed(1)).join(', ')],
    ],
    ['l', 'r', 'r'],
  );
  const targets = markdownTable(
    ['target', 'measured', 'result'],
    [
      ['relay ≥ 20,000 ev/s', `${fmt(relayRate)} ev/s`, relayRate >= 20_000 ? 'PASS' : 'MISS'],
      ['e2e lag p99 < 250 ms', `${p99.toFixed(1)} ms`, p99 < 250 ? 'PASS' : 'MISS'],
    ],
  );
  const load = `load average (1 min) during the run ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} cores`;
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${load}`;
  console.log(`\n${table}\n\n${targets}\n\n${load}\n`);
  if (lost > 0) console.log(`note: ${lost} events were not received within 60 s of the last append`);
  if (process.env.BENCH_NO_RESULTS !== '1') {
    upsertSection(
      RESULTS_FILE,
      'kafka',
      today(),
      `${table}\n\n### Targets\n\n${targets}\n\n### How it was measured\n\n` +
        `- Machine: ${machine}; PostgreSQL and a single-node Kafka broker (scripts/kafka-broker.sh, KRaft, one JVM) on the same machine, ${REPS} repetitions, medians.\n` +
        `- Throughput: ${fmt(THROUGHPUT_EVENTS)} events (≈ 300 bytes of data each, three categories so three topics of ${PARTITIONS} partitions) are in the log; a relay with a fresh checkpoint publishes them (idempotent kafkajs producer on a thread of its own, acks=-1, one request in flight, batches of ${BATCH}, one produce request per batch for its three topics); time from start until its checkpoint, moved after each acknowledgement, reaches the head. Before the first repetition, not timed, the first ${fmt(WARMUP_EVENTS)} events of the log were published once through the same bus (the producer's thread started and connected, the topics created, kafkajs's code compiled), as in a relay that has been running.\n` +
        `- Lag: one-event appends at a steady ${fmt(LAG_RATE)}/s over 200 streams for ${LAG_SECONDS} s through a store of their own (the relay is woken by NOTIFY as in another process); a consumer with its own Kafka client receives; lag = receipt − the moment the append was called; the first ${WARMUP_MS / 1000} s are left out. Relay, appender and consumer share one Node process and the 2 cores with PostgreSQL and the broker.`,
    );
  }
  console.log(`kafka: relay ${Math.round(relayRate)} ev/s; e2e lag p99 ${Math.round(p99)} ms`);
}
