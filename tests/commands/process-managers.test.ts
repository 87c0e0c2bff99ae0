import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DueActions, type DueActionsOptions } from '../../src/commands/process-managers/due-actions';
import type { PostView } from '../../src/commands/routes/posts';
import { postDecider } from '../../src/domain/post';
import { createLogger } from '../../src/platform/logger';
import { readModelDb, type ReadModels } from '../../src/projections/read-models';
import { startTestApi, type TestApi } from '../support/api';
import { callWebhook, completeGeneration, generationsWorkspace, type GenerationsWorkspace } from './routes/generations-support';

let api: TestApi;
let ws: GenerationsWorkspace;
let db: Kysely<ReadModels>;
const started: DueActions[] = [];

beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  db = readModelDb(api.pool);
  ws = await generationsWorkspace(api);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((manager) => manager.stop()));
});
afterAll(async () => {
  await api.close();
});

/** A clock `aheadMs` ahead of real time. */
const ahead = (aheadMs: number) => () => new Date(Date.now() + aheadMs);

/** Process managers on the test API's database and command handler; stopped after each test. */
function dueActions(options: Partial<DueActionsOptions> = {}): DueActions {
  const manager = new DueActions({
    db,
    commands: api.assembly.deps.commands,
    lockConnection: api.database.connection,
    logger: createLogger('silent'),
    intervalMs: 50,
    generationTimeoutMs: 60_000,
    now: ahead(0),
    ...options,
  });
  started.push(manager);
  return manager;
}

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; messages: () => string[] } {
  const lines: { msg: string }[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
  return { logger, messages: () => lines.map((l) => l.msg) };
}

const postPath = (postId: string, verb?: string) => `/v1/workspaces/${ws.workspaceId}/posts/${postId}${verb ? `/${verb}` : ''}`;

/** A draft scheduled `inMs` from now through the routes, once the schedule read model has it. */
async function scheduledPost(inMs = 1000): Promise<PostView> {
  const post = await ws.draft(ws.owner.auth);
  const res = await api.http.post(postPath(post.id, 'schedule')).set(ws.owner.auth).send({ at: new Date(Date.now() + inMs).toISOString() });
  expect(res.status).toBe(200);
  await api.projectionsCaughtUp();
  return res.body as PostView;
}

/** The post's status from its stream (the post read routes are another group's). */
async function postStatus(postId: string): Promise<string> {
  return (await api.assembly.deps.commands.load(`post-${postId}`, postDecider)).state.status;
}

async function publishRequests(postId: string) {
  return (await api.store.readStream(`post-${postId}`)).filter((e) => e.type === 'PostPublishRequested');
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('due publishes', () => {
  it('moves a scheduled post to publishing once its time has passed, as the scheduler', async () => {
    const post = await scheduledPost(1000);
    expect(await dueActions().tick()).toEqual({ publishesStarted: 0, generationsTimedOut: 0 });
    expect(await postStatus(post.id)).toBe('scheduled');

    expect(await dueActions({ now: ahead(5000) }).tick()).toEqual({ publishesStarted: 1, generationsTimedOut: 0 });
    expect(await postStatus(post.id)).toBe('publishing');
    const [requested, ...more] = await publishRequests(post.id);
    expect(more).toEqual([]);
    expect(requested).toMatchObject({
      data: { trigger: 'schedule', attempt: 1 },
      metadata: { actor: { type: 'system', id: 'scheduler' }, workspaceId: ws.workspaceId, correlationId: post.id },
    });
  });

  it('publishes again after a retryable failure, once the retry is due (trigger retry)', async () => {
    const post = await scheduledPost(1000);
    const manager = dueActions({ now: ahead(5000) });
    await manager.tick();
    const failed = await api.http.post(postPath(post.id, 'publication')).set(ws.owner.auth).send({ status: 'failed', error: 'HTTP 503 from the platform', retryable: true });
    expect(failed.body).toMatchObject({ status: 'scheduled', scheduleTrigger: 'retry' });
    await api.projectionsCaughtUp();

    // the first retry waits a minute
    expect((await manager.tick()).publishesStarted).toBe(0);
    expect((await dueActions({ now: ahead(120_000) }).tick()).publishesStarted).toBe(1);
    expect(await postStatus(post.id)).toBe('publishing');
    expect((await publishRequests(post.id)).map((e) => e.data)).toEqual([
      expect.objectContaining({ trigger: 'schedule', attempt: 1 }),
      expect.objectContaining({ trigger: 'retry', attempt: 2 }),
    ]);
  });

  it('starts each due publish exactly once when instances tick at the same time', async () => {
    const posts = await Promise.all(Array.from({ length: 6 }, () => scheduledPost(1000)));
    await api.projectionsCaughtUp();
    const instances = [dueActions({ now: ahead(5000) }), dueActions({ now: ahead(5000) }), dueActions({ now: ahead(5000) })];
    const results = await Promise.all(instances.map((instance) => instance.tick()));
    expect(results.reduce((sum, r) => sum + r.publishesStarted, 0)).toBe(posts.length);
    for (const post of posts) expect(await publishRequests(post.id)).toHaveLength(1);
  });
});

describe('generation timeouts', () => {
  it('times out a generation with no result after the timeout; a late result is then refused', async () => {
    const id = await ws.request(ws.owner.auth);
    await api.projectionsCaughtUp();
    expect((await dueActions({ generationTimeoutMs: 1000 }).tick()).generationsTimedOut).toBe(0);
    expect(await dueActions({ generationTimeoutMs: 1000, now: ahead(2000) }).tick()).toEqual({ publishesStarted: 0, generationsTimedOut: 1 });

    const generation = await api.http.get(ws.path(id)).set(ws.owner.auth);
    expect(generation.body.status).toBe('timed_out');
    const event = (await api.store.readStream(`generation-${id}`)).at(-1)!;
    expect(event).toMatchObject({ type: 'GenerationTimedOut', metadata: { actor: { type: 'system', id: 'generation-timeout' }, workspaceId: ws.workspaceId } });
    const late = await callWebhook(api, { generationId: id, status: 'completed', output: { text: 'Sorry I am late' } });
    expect(late.status).toBe(409);
  });

  it('leaves a completed generation alone', async () => {
    const id = await ws.request(ws.owner.auth);
    await completeGeneration(api, id, { text: 'On time' });
    await api.projectionsCaughtUp();
    expect((await dueActions({ generationTimeoutMs: 1000, now: ahead(2000) }).tick()).generationsTimedOut).toBe(0);
    expect((await api.http.get(ws.path(id)).set(ws.owner.auth)).body.status).toBe('completed');
  });
});

describe('read models that lag behind', () => {
  it('skips rows whose aggregate moved on, quietly for a deleted post, logging the ones it cannot act on', async () => {
    const deleted = await scheduledPost(60_000);
    expect((await api.http.delete(postPath(deleted.id)).set(ws.owner.auth)).status).toBe(204);
    const draft = await ws.draft(ws.owner.auth);
    const completed = await ws.request(ws.owner.auth);
    await completeGeneration(api, completed, { text: 'Done' });
    await api.projectionsCaughtUp();
    const past = new Date(Date.now() - 60_000);
    const unknownPost = randomUUID();
    const unknownGeneration = randomUUID();
    await db
      .insertInto('rm_post_schedule')
      .values([
        { post_id: deleted.id, workspace_id: ws.workspaceId, due_at: past },
        { post_id: draft.id, workspace_id: ws.workspaceId, due_at: past },
        { post_id: unknownPost, workspace_id: null, due_at: past },
      ])
      .execute();
    await db
      .insertInto('rm_pending_generations')
      .values([
        { generation_id: completed, workspace_id: ws.workspaceId, requested_at: past },
        { generation_id: unknownGeneration, workspace_id: ws.workspaceId, requested_at: past },
      ])
      .execute();
    try {
      const { logger, messages } = capturingLogger();
      const result = await dueActions({ logger, generationTimeoutMs: 1000, batch: 50 }).tick();
      expect(result).toEqual({ publishesStarted: 0, generationsTimedOut: 0 });
      expect(messages()).toEqual(['could not start a due publish', 'could not time out a generation']);
      expect(await postStatus(draft.id)).toBe('draft');
    } finally {
      await db.deleteFrom('rm_post_schedule').where('post_id', 'in', [deleted.id, draft.id, unknownPost]).execute();
      await db.deleteFrom('rm_pending_generations').where('generation_id', 'in', [completed, unknownGeneration]).execute();
    }
  });
});

describe('leadership', () => {
  it('acts only in the instance holding the lock; stop() hands it over', async () => {
    const first = dueActions();
    const second = dueActions({ now: undefined }); // the real clock, DueActions' default
    expect(await first.tickIfLeader()).toEqual({ publishesStarted: 0, generationsTimedOut: 0 });
    expect(await second.tickIfLeader()).toBeUndefined();
    // the leader keeps its lock from tick to tick
    expect(await first.tickIfLeader()).toBeDefined();
    expect(await second.tickIfLeader()).toBeUndefined();
    await first.stop();
    expect(await second.tickIfLeader()).toEqual({ publishesStarted: 0, generationsTimedOut: 0 });
    expect(await first.tickIfLeader()).toBeUndefined();
  });
});

describe('start() and stop()', () => {
  it('ticks on the interval once started, and no more once stopped', async () => {
    const post = await scheduledPost(1000);
    const manager = dueActions({ now: ahead(5000) });
    const ticks = jest.spyOn(manager, 'tick');
    manager.start();
    manager.start(); // a second start changes nothing
    await until(async () => (await postStatus(post.id)) === 'publishing');
    await until(() => ticks.mock.calls.length >= 3);
    await manager.stop();
    const afterStop = ticks.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ticks.mock.calls.length).toBe(afterStop);
    expect(await publishRequests(post.id)).toHaveLength(1);
    // its lock is free again
    expect(await dueActions().tickIfLeader()).toBeDefined();
  });

  it('logs a failed tick and keeps ticking', async () => {
    const { logger, messages } = capturingLogger();
    const manager = dueActions({ logger });
    const ticks = jest.spyOn(manager, 'tick').mockRejectedValueOnce(new Error('read model unavailable'));
    manager.start();
    await until(() => ticks.mock.calls.length >= 2);
    await manager.stop();
    expect(messages()).toContain('process manager tick failed');
  });

  it('waits in stop() for a tick in flight, and schedules none after it', async () => {
    const manager = dueActions();
    let finish: () => void = () => undefined;
    const ticks = jest.spyOn(manager, 'tick').mockImplementation(
      () =>
        new Promise((resolve) => {
          finish = () => resolve({ publishesStarted: 0, generationsTimedOut: 0 });
        }),
    );
    manager.start();
    await until(() => ticks.mock.calls.length === 1);
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    finish();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ticks).toHaveBeenCalledTimes(1);
  });
});
