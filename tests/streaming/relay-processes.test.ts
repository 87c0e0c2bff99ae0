/**
 * The relay as operators run it: `postledger serve --role relay` processes against a real
 * Kafka broker, killed with SIGKILL mid-stream. Needs KAFKA_BROKERS (.ci/run sets it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaBus } from '../../src/streaming/kafka-bus';
import { unusedPort } from '../support/ports';
import { until } from './bus-contract';
import { appendRounds, expectEveryEventInOrderPerKey, freshCategory, recordTopic, type RelayLog, relayLog } from './relay-support';

const brokers = process.env.KAFKA_BROKERS;
const BATCH = 20;

interface RelayProcess {
  child: ChildProcess;
  /** This process's relay state, from its /metrics (undefined while it does not answer). */
  state(): Promise<string | undefined>;
  exited: Promise<void>;
}

async function startRelayProcess(log: RelayLog): Promise<RelayProcess> {
  const port = await unusedPort();
  const child = spawn(process.execPath, [path.resolve('bin/postledger.js'), 'serve', '--role', 'relay'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: log.database.connectionString,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PARTITIONS: '3',
      RELAY_BATCH_SIZE: String(BATCH),
      SUBSCRIPTION_POLL_MS: '200',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'postledger-relay-')),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const state = async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /^relay_state\{state="(\w+)"\} 1$/m.exec(text)?.[1];
    } catch {
      return undefined;
    }
  };
  return { child, state, exited };
}

// generous: a process compiles the sources with tsx as it starts, slow on a busy 2-core machine
const START_MS = 180_000;

async function stateOf(relay: RelayProcess, wanted: string, what: string): Promise<void> {
  let current: string | undefined;
  const deadline = Date.now() + START_MS;
  while ((current = await relay.state()) !== wanted) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (state: ${current ?? 'no answer'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const describeIf = brokers ? describe : describe.skip;
describeIf(`relay processes on a real broker${brokers ? '' : ' (skipped: KAFKA_BROKERS is not set; `npm run kafka` starts a broker)'}`, () => {
  jest.setTimeout(600_000);
  let log: RelayLog;
  let bus: KafkaBus;
  const processes: RelayProcess[] = [];
  const start = async () => {
    const relay = await startRelayProcess(log);
    processes.push(relay);
    return relay;
  };

  beforeEach(async () => {
    log = await relayLog();
    bus = new KafkaBus({ brokers: brokers!.split(','), partitions: 3 });
  });
  afterEach(async () => {
    for (const relay of processes.splice(0)) {
      relay.child.kill('SIGKILL');
      await relay.exited;
    }
    await bus.close();
    await log.close();
  });

  it('after a kill -9 mid-stream and a restart, every position arrives, in order per key, a duplicate only from the crash window', async () => {
    const category = freshCategory();
    const recorder = await recordTopic(bus, `postledger.${category}`);
    const first = await start();
    await stateOf(first, 'running', 'the first relay to run');
    const appending = appendRounds(log.store, category, 10, 200);
    try {
      await until(() => recorder.received.length >= 400, 'the first 400 messages', 120_000);
      first.child.kill('SIGKILL');
      await first.exited;
    } finally {
      await appending;
    }
    const second = await start();
    await stateOf(second, 'running', 'the restarted relay to run');
    const events = await log.store.readAll({ maxCount: 10_000 });
    expect(events).toHaveLength(2000);
    await until(() => new Set(recorder.received.map((r) => r.position)).size === 2000, 'all 2000 positions', 120_000);
    const duplicates = expectEveryEventInOrderPerKey(recorder.received, events);
    // sent but not yet checkpointed when the first died: at most the batch in flight
    expect(duplicates).toBeLessThanOrEqual(BATCH);
  });

  it('runs one active relay of two processes; the other takes over when the active one is killed', async () => {
    const category = freshCategory();
    const recorder = await recordTopic(bus, `postledger.${category}`);
    const a = await start();
    const b = await start();
    let states: (string | undefined)[] = [];
    const deadline = Date.now() + START_MS;
    while (!((states = await Promise.all([a.state(), b.state()])).includes('running') && states.includes('standby'))) {
      if (Date.now() > deadline) throw new Error(`no running/standby pair: ${states.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [active, standby] = states[0] === 'running' ? [a, b] : [b, a];
    await appendRounds(log.store, category, 5, 40);
    await until(() => recorder.received.length >= 200, 'the first 200 messages', 120_000);
    expect(await standby.state()).toBe('standby');
    active.child.kill('SIGKILL');
    await active.exited;
    await appendRounds(log.store, category, 5, 40, 40);
    await stateOf(standby, 'running', 'the standby to take over');
    await until(() => new Set(recorder.received.map((r) => r.position)).size === 400, 'all 400 positions', 120_000);
    expectEveryEventInOrderPerKey(recorder.received, await log.store.readAll());
  });
});
