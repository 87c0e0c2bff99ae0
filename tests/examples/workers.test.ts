/**
 * The reference workers of examples/ against a real broker, end to end: a request made over
 * HTTP goes through the log and the relay to the worker's topic, the worker answers on the
 * inbound topic, the inbound consumers record the answer, and the query API shows it. So the
 * examples cannot rot: a change to the relay's messages or the inbound payloads breaks this.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { AI_TOPICS, startAiWorker } from '../../examples/ai-worker';
import { PUBLISH_TOPICS, startPublisherWorker } from '../../examples/publisher-worker';
import type { Envelope, RunningWorker } from '../../examples/worker-kit';
import type { PostView } from '../../src/commands/routes/posts';
import { createLogger } from '../../src/platform/logger';
import { migrate } from '../../src/platform/migrations';
import { KafkaBus } from '../../src/streaming/kafka-bus';
import { Relay } from '../../src/streaming/relay';
import { relayMigrations } from '../../src/streaming/relay-checkpoint';
import { startTestApi, type TestApi } from '../support/api';
import { generationsWorkspace, type GenerationsWorkspace } from '../commands/routes/generations-support';
import { eventually, type InboundHarness, startInboundHarness } from '../streaming/inbound/support';

// .ci/run starts a broker and sets KAFKA_BROKERS; the workers are Kafka clients, so without one this is skipped.
const brokers = process.env.KAFKA_BROKERS?.split(',');
const describeIf = brokers ? describe : describe.skip;

describeIf(`the example workers${brokers ? '' : ' (skipped: KAFKA_BROKERS is not set: start a broker with `npm run kafka` and set KAFKA_BROKERS=127.0.0.1:9092)'}`, () => {
  let api: TestApi;
  let ws: GenerationsWorkspace;
  let bus: KafkaBus;
  let relay: Relay;
  let harness: InboundHarness;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    api.startProjectors();
    await migrate(api.pool, relayMigrations);
    ws = await generationsWorkspace(api);
    // the relay creates its topics on first use; the workers subscribe before that
    const admin = new Kafka({ clientId: 'examples-test', brokers: brokers!, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [AI_TOPICS.requests, PUBLISH_TOPICS.requests].map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();

    bus = new KafkaBus({ brokers: brokers!, partitions: 3, retryMs: 10, maxRetryMs: 500 });
    harness = await startInboundHarness(bus, api.assembly.deps.commands);
    relay = new Relay({ store: api.store, bus, pool: api.pool, lockConnection: api.database.connection, logger: createLogger('silent'), name: `examples-${randomUUID()}` });
    relay.start();
    // the topics are shared by every test run on the broker: these workers answer this workspace only
    const accept = (envelope: Envelope<unknown>) => envelope.metadata.workspaceId === ws.workspaceId;
    const groupId = (worker: string) => `examples-test-${worker}-${randomUUID()}`;
    workers.push(await startAiWorker({ brokers: brokers!, groupId: groupId('ai'), fromBeginning: true, accept }));
    workers.push(await startPublisherWorker({ brokers: brokers!, groupId: groupId('publisher'), fromBeginning: true, accept }));
  });
  afterAll(async () => {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await relay?.stop();
    await harness?.close();
    await bus?.close();
    await api?.close();
  });

  it('the AI worker answers a generation request of every kind, and GET shows the result', async () => {
    const kinds = ['caption', 'rewrite', 'hashtags', 'image'] as const;
    const ids = await Promise.all(kinds.map((kind) => ws.request(ws.owner.auth, { kind, prompt: 'Launch of the new planner' })));
    const results = await Promise.all(
      ids.map((id) =>
        eventually(async () => {
          const res = await api.http.get(ws.path(id)).set(ws.owner.auth);
          return res.body.status === 'requested' ? undefined : (res.body as { status: string; output: Record<string, unknown> });
        }, `generation ${id} to settle`),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(results[0]!.output).toEqual({ text: 'Launch of the new planner ✨' });
    expect(results[1]!.output).toEqual({ text: 'Rewritten: Launch of the new planner' });
    expect(results[2]!.output).toEqual({ hashtags: ['launch', 'planner'] });
    expect(results[3]!.output).toEqual({ imageUrl: `https://images.example.com/generated/${ids[3]}.png` });
    // the worker carried the request's correlation id over to the result
    const [requested, completed] = await api.store.readStream(`generation-${ids[0]}`);
    expect(completed!.metadata).toMatchObject({ actor: { type: 'system', id: 'ai-results' }, correlationId: requested!.metadata.correlationId });
  });

  it('the publisher worker reports on a post that became publishing, and GET shows it published', async () => {
    const draft = await ws.draft(ws.owner.auth);
    const res = await api.http.post(`/v1/workspaces/${ws.workspaceId}/posts/${draft.id}/publish`).set(ws.owner.auth);
    expect(res.status).toBe(200);
    const post = await eventually(async () => {
      const got = await api.http.get(`/v1/workspaces/${ws.workspaceId}/posts/${draft.id}`).set(ws.owner.auth);
      return (got.body as PostView).status === 'published' ? (got.body as PostView) : undefined;
    }, `post ${draft.id} to be published`);
    expect(post).toMatchObject({ externalId: `example-${draft.id}-1`, url: `https://social.example.com/posts/example-${draft.id}-1`, attempts: 1 });
    expect(harness.deadLettersOf(draft.id)).toEqual([]);
  });
});
