/**
 * What the inbound consumers do, proven on each message bus (Kafka against a real broker, and
 * the in-process bus of the embedded default): answers become the same commands as the
 * webhook and the HTTP callback, visible through the query API; a redelivered answer changes
 * nothing; what can never be processed lands in the DLQ with its reason, and the consumer
 * goes on.
 */
import { randomUUID } from 'node:crypto';
import type { PostView } from '../../../src/commands/routes/posts';
import type { MessageBus } from '../../../src/streaming/bus';
import { topics } from '../../../src/streaming/bus';
import { DEAD_LETTER_HEADERS } from '../../../src/streaming/inbound';
import { startTestApi, type TestApi } from '../../support/api';
import { generationsWorkspace, type GenerationsWorkspace } from '../../commands/routes/generations-support';
import { postsWorkspace, type PostsWorkspace } from '../../commands/routes/posts-support';
import { type BusFactory, eventually, type InboundHarness, startInboundHarness } from './support';

export function inboundSuite(name: string, factory: BusFactory | undefined, skipReason?: string): void {
  const describeIf = factory ? describe : describe.skip;
  describeIf(`inbound consumers on the ${name} bus${factory ? '' : ` (skipped: ${skipReason})`}`, () => {
    let api: TestApi;
    let bus: MessageBus;
    let harness: InboundHarness;
    let gws: GenerationsWorkspace;
    let pws: PostsWorkspace;

    beforeAll(async () => {
      api = await startTestApi();
      api.startProjectors();
      bus = await factory!.create();
      harness = await startInboundHarness(bus, api.assembly.deps.commands);
      gws = await generationsWorkspace(api);
      pws = await postsWorkspace(api);
    });
    afterAll(async () => {
      await harness?.close();
      await bus?.close();
      await api?.close();
    });

    const getGeneration = async (id: string) => (await api.http.get(gws.path(id)).set(gws.owner.auth)).body as { status: string; output: unknown; error: string | null };
    const generationSettled = (id: string) => eventually(async () => {
      const generation = await getGeneration(id);
      return generation.status === 'requested' ? undefined : generation;
    }, `generation ${id} to settle`);
    const getPost = async (id: string) => (await api.http.get(pws.path(id)).set(pws.owner.auth)).body as PostView;
    const postIs = (id: string, status: PostView['status']) => eventually(async () => {
      const post = await getPost(id);
      return post.status === status ? post : undefined;
    }, `post ${id} to be ${status}`);
    const processed = (topic: string) => harness.counter('inbound_messages_processed_total', { topic });
    const completed = (generationId: string, text = 'Big news: the planner is live.', workspaceId = gws.workspaceId) => ({
      generationId,
      workspaceId,
      status: 'completed',
      output: { text },
    });
    /** A post of the posts workspace, publishing its first attempt. */
    const publishingPost = async () => {
      const post = await pws.draft(pws.owner.auth);
      await pws.ok(pws.owner.auth, post.id, 'publish');
      return post.id;
    };
    const report = (postId: string, outcome: object, attempt = 1) => ({ postId, workspaceId: pws.workspaceId, attempt, ...outcome });
    const published = { status: 'published', externalId: 'x-1789', url: 'https://x.com/acme/status/1789' };

    it('completes a generation from its result, visible through GET, recorded as the system actor in its workspace', async () => {
      const id = await gws.request(gws.owner.auth);
      await harness.send(topics.generationResults, id, completed(id), { 'correlation-id': 'corr-ai-1' });
      const generation = await generationSettled(id);
      expect(generation).toMatchObject({ status: 'completed', output: { text: 'Big news: the planner is live.' }, error: null });
      const event = (await api.store.readStream(`generation-${id}`)).at(-1)!;
      expect(event).toMatchObject({
        type: 'GenerationCompleted',
        metadata: { actor: { type: 'system', id: 'ai-results' }, workspaceId: gws.workspaceId, correlationId: 'corr-ai-1' },
      });
    });

    it('fails a generation from a failed result', async () => {
      const id = await gws.request(gws.owner.auth);
      await harness.send(topics.generationResults, id, { generationId: id, workspaceId: gws.workspaceId, status: 'failed', error: 'content policy' });
      expect(await generationSettled(id)).toMatchObject({ status: 'failed', output: null, error: 'content policy' });
    });

    it('publishes a post from a report, visible through GET (the read model), recorded as the system actor', async () => {
      const postId = await publishingPost();
      await harness.send(topics.publishResults, postId, report(postId, published));
      const post = await postIs(postId, 'published');
      expect(post).toMatchObject({ externalId: 'x-1789', url: 'https://x.com/acme/status/1789', attempts: 1, lastError: null });
      const event = (await api.store.readStream(`post-${postId}`)).at(-1)!;
      expect(event).toMatchObject({ type: 'PostPublished', metadata: { actor: { type: 'system', id: 'publish-results' }, workspaceId: pws.workspaceId } });
    });

    it('schedules a retry for a retryable failure, as the HTTP callback does', async () => {
      const postId = await publishingPost();
      await harness.send(topics.publishResults, postId, report(postId, { status: 'failed', error: 'HTTP 503 from the platform', retryable: true }));
      const post = await postIs(postId, 'scheduled');
      expect(post).toMatchObject({ scheduleTrigger: 'retry', lastError: 'HTTP 503 from the platform', attempts: 1 });
    });

    it('changes nothing for a redelivered result or report, and dead-letters neither', async () => {
      const id = await gws.request(gws.owner.auth);
      const postId = await publishingPost();
      const failure = report(postId, { status: 'failed', error: 'HTTP 503 from the platform', retryable: true });
      const [generationsBefore, reportsBefore] = [await processed(topics.generationResults), await processed(topics.publishResults)];
      await harness.send(topics.generationResults, id, completed(id));
      await harness.send(topics.publishResults, postId, failure);
      await generationSettled(id);
      await postIs(postId, 'scheduled');
      const streams = async () => [...(await api.store.readStream(`generation-${id}`)), ...(await api.store.readStream(`post-${postId}`))];
      const before = await streams();
      // the same messages again, as a broker redelivers after a crash before the commit
      await harness.send(topics.generationResults, id, completed(id));
      await harness.send(topics.publishResults, postId, failure);
      await eventually(async () => ((await processed(topics.generationResults)) >= generationsBefore + 2 ? true : undefined), 'both results processed');
      await eventually(async () => ((await processed(topics.publishResults)) >= reportsBefore + 2 ? true : undefined), 'both reports processed');
      expect(await streams()).toEqual(before);
      expect(harness.deadLettersOf(id)).toEqual([]);
      expect(harness.deadLettersOf(postId)).toEqual([]);
    });

    it('dead-letters a malformed message with its reason and origin, unchanged, and goes on with the next one', async () => {
      const key = randomUUID();
      await harness.send(topics.generationResults, key, '{"generationId": "oops"', { 'correlation-id': 'corr-bad' });
      const id = await gws.request(gws.owner.auth);
      await harness.send(topics.generationResults, id, completed(id));
      const letter = await harness.deadLetter(key);
      expect(letter.value).toBe('{"generationId": "oops"');
      expect(letter.headers).toMatchObject({
        'correlation-id': 'corr-bad',
        [DEAD_LETTER_HEADERS.reason]: 'malformed-json',
        [DEAD_LETTER_HEADERS.detail]: expect.stringContaining('JSON'),
        [DEAD_LETTER_HEADERS.topic]: topics.generationResults,
        [DEAD_LETTER_HEADERS.partition]: expect.stringMatching(/^\d+$/),
        [DEAD_LETTER_HEADERS.offset]: expect.stringMatching(/^\d+$/),
        [DEAD_LETTER_HEADERS.consumer]: `${harness.groupPrefix}.generation-results`,
        [DEAD_LETTER_HEADERS.failedAt]: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(await generationSettled(id)).toMatchObject({ status: 'completed' });
      expect(await harness.counter('inbound_messages_dead_lettered_total', { topic: topics.generationResults, reason: 'malformed-json' })).toBeGreaterThanOrEqual(1);
    });

    it('refuses a result for a generation of another workspace as unknown, and leaves the generation untouched', async () => {
      const id = await gws.request(gws.owner.auth);
      const other = randomUUID();
      await harness.send(topics.generationResults, id, completed(id, 'Hijacked', other));
      const letter = await harness.deadLetter(id);
      expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toBe('unknown-generation');
      expect((await getGeneration(id)).status).toBe('requested');
      expect(await api.store.readStream(`generation-${id}`)).toHaveLength(1);
    });

    it('dead-letters each kind of unprocessable answer with its reason, changing nothing', async () => {
      const settled = await gws.request(gws.owner.auth);
      await harness.send(topics.generationResults, settled, completed(settled));
      await generationSettled(settled);
      const caption = await gws.request(gws.owner.auth, { kind: 'caption' });
      const postId = await publishingPost();
      const draft = (await pws.draft(pws.owner.auth)).id;
      const cases: { topic: string; key: string; value: object; reason: string }[] = [
        { topic: topics.generationResults, key: randomUUID(), value: { generationId: randomUUID(), status: 'completed', output: { text: 'x' } }, reason: 'invalid-payload' },
        { topic: topics.generationResults, key: randomUUID(), value: completed(randomUUID()), reason: 'unknown-generation' },
        { topic: topics.generationResults, key: settled, value: completed(settled, 'A different caption'), reason: 'illegal-transition' },
        { topic: topics.generationResults, key: caption, value: { generationId: caption, workspaceId: gws.workspaceId, status: 'completed', output: { hashtags: ['launch'] } }, reason: 'invalid-result' },
        { topic: topics.publishResults, key: randomUUID(), value: report(randomUUID(), published), reason: 'unknown-post' },
        { topic: topics.publishResults, key: draft, value: report(draft, published), reason: 'illegal-transition' },
        { topic: topics.publishResults, key: postId, value: report(postId, published, 2), reason: 'attempt-mismatch' },
      ];
      const before = (await api.events()).length;
      for (const c of cases) await harness.send(c.topic, c.key, c.value);
      for (const c of cases) {
        const letter = await harness.deadLetter(c.key);
        expect({ key: c.key, reason: letter.headers[DEAD_LETTER_HEADERS.reason], topic: letter.headers[DEAD_LETTER_HEADERS.topic] }).toEqual({ key: c.key, reason: c.reason, topic: c.topic });
        expect(letter.value).toBe(JSON.stringify(c.value));
      }
      expect((await api.events()).length).toBe(before);
      expect((await getPost(postId)).status).toBe('publishing');
      expect((await getGeneration(caption)).status).toBe('requested');
    });
  });
}
