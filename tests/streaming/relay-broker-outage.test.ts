/**
 * A broker outage while events are appended. The test runs a broker of its own
 * (scripts/kafka-broker.sh on free ports), so stopping it disturbs no other test. It runs
 * where KAFKA_BROKERS is set, the sign that this machine can run a broker (.ci/run sets it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../src/platform/logger';
import { KafkaBus } from '../../src/streaming/kafka-bus';
import { Relay } from '../../src/streaming/relay';
import { unusedPort } from '../support/ports';
import { until } from './bus-contract';
import { appendRounds, expectEveryEventInOrderPerKey, freshCategory, recordTopic, type RelayLog, relayLog } from './relay-support';

const run = promisify(execFile);
const canRunBroker = process.env.KAFKA_BROKERS !== undefined;

/** A broker of this test's own, driven through the project's script. */
async function ownBroker() {
  const [port, controllerPort] = [await unusedPort(), await unusedPort()];
  const stateDir = mkdtempSync(path.join(tmpdir(), 'postledger-kafka-state-'));
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_STATE_DIR: stateDir, KAFKA_HEAP_OPTS: '-Xms64m -Xmx384m' };
  const script = (command: string) => run('bash', [path.resolve('scripts/kafka-broker.sh'), command], { env, timeout: 150_000 });
  await script('start');
  return {
    brokers: [`127.0.0.1:${port}`],
    start: () => script('start'),
    stop: () => script('stop'),
    async remove() {
      await script('reset');
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const describeIf = canRunBroker ? describe : describe.skip;
describeIf(`relay across a broker outage${canRunBroker ? '' : ' (skipped: KAFKA_BROKERS is not set: no broker can be assumed on this machine)'}`, () => {
  jest.setTimeout(300_000);
  let broker: Awaited<ReturnType<typeof ownBroker>>;
  let log: RelayLog;

  beforeAll(async () => {
    broker = await ownBroker();
    log = await relayLog();
  });
  afterAll(async () => {
    await log?.close();
    await broker?.remove();
  });

  it('loses nothing when the broker stops and comes back while events are appended, and shows the outage meanwhile', async () => {
    const relayBus = new KafkaBus({ brokers: broker.brokers, partitions: 3 });
    const consumerBus = new KafkaBus({ brokers: broker.brokers, partitions: 3 });
    const category = freshCategory();
    const recorder = await recordTopic(consumerBus, `postledger.${category}`);
    const relay = new Relay({
      store: log.store,
      bus: relayBus,
      pool: log.pool,
      lockConnection: log.database.connection,
      logger: createLogger('silent'),
      batchSize: 20,
      retryMs: 100,
      maxRetryMs: 1000,
    });
    try {
      relay.start();
      await appendRounds(log.store, category, 5, 20);
      await until(() => recorder.received.length >= 100, 'the first 100 messages', 60_000);

      await broker.stop();
      await appendRounds(log.store, category, 5, 20, 20);
      await until(() => relay.status.state === 'broker_unavailable', 'the relay to report the outage', 120_000);
      await appendRounds(log.store, category, 5, 20, 40);

      await broker.start();
      await appendRounds(log.store, category, 5, 20, 60);
      await until(() => new Set(recorder.received.map((r) => r.position)).size === 400, 'all 400 positions', 180_000);
      expect(relay.status.state).toBe('running');
      expectEveryEventInOrderPerKey(recorder.received, await log.store.readAll());
    } finally {
      await relay.stop();
      await recorder.stop().catch(() => undefined);
      await Promise.all([relayBus.close(), consumerBus.close()]);
    }
  });
});
