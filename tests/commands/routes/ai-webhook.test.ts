import { randomUUID } from 'node:crypto';
import { verifyWebhookSignature, webhookSignature } from '../../../src/http/webhook-signature';
import { startTestApi, WEBHOOK_SECRET, type TestApi } from '../../support/api';
import { callWebhook, generationsWorkspace, sign, type GenerationsWorkspace } from './generations-support';

let api: TestApi;
let ws: GenerationsWorkspace;

beforeAll(async () => {
  api = await startTestApi();
  ws = await generationsWorkspace(api);
});
afterAll(async () => {
  await api.close();
});

const eventCount = async () => (await api.events()).length;
const now = () => api.assembly.deps.now();
const completed = (generationId: string, text = 'Big news: the planner is live.') => ({ generationId, status: 'completed', output: { text } });

/** Expects a 401 problem for the signature, and nothing appended. */
async function expectRefused(send: () => PromiseLike<{ status: number; headers: Record<string, string>; body: { code?: string } }>): Promise<void> {
  const before = await eventCount();
  const res = await send();
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body.code).toBe('InvalidSignature');
  expect(await eventCount()).toBe(before);
}

describe('POST /v1/webhooks/ai', () => {
  it('records a completed generation signed with the secret (204), shown by GET, as the AI service in the workspace', async () => {
    const id = await ws.request(ws.owner.auth);
    const res = await callWebhook(api, completed(id));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const generation = await api.http.get(ws.path(id)).set(ws.owner.auth);
    expect(generation.body).toMatchObject({ status: 'completed', output: { text: 'Big news: the planner is live.' } });
    const event = (await api.store.readStream(`generation-${id}`)).at(-1)!;
    expect(event).toMatchObject({ type: 'GenerationCompleted', metadata: { actor: { type: 'system', id: 'ai-webhook' }, workspaceId: ws.workspaceId } });
  });

  it('records a failure with its error', async () => {
    const id = await ws.request(ws.owner.auth);
    expect((await callWebhook(api, { generationId: id, status: 'failed', error: 'content policy' })).status).toBe(204);
    const generation = await api.http.get(ws.path(id)).set(ws.owner.auth);
    expect(generation.body).toMatchObject({ status: 'failed', output: null, error: 'content policy', completedAt: null });
  });

  it('answers a redelivery of the same result with 204 and appends nothing; a different result is 409', async () => {
    const id = await ws.request(ws.owner.auth);
    const body = JSON.stringify(completed(id));
    const signature = sign(body, now());
    expect((await callWebhook(api, body, signature)).status).toBe(204);
    const before = await eventCount();
    const again = await callWebhook(api, body, signature);
    expect(again.status).toBe(204);
    expect(await eventCount()).toBe(before);
    const different = await callWebhook(api, completed(id, 'Another caption'));
    expect(different.status).toBe(409);
    expect(different.body.code).toBe('GenerationAlreadySettled');
    const failed = await callWebhook(api, { generationId: id, status: 'failed', error: 'late failure' });
    expect(failed.status).toBe(409);
    expect(await eventCount()).toBe(before);
  });

  it('refuses a body that differs from the signed bytes (401)', async () => {
    const id = await ws.request(ws.owner.auth);
    const signed = JSON.stringify(completed(id));
    const tampered = JSON.stringify(completed(id, 'Buy cheap watches'));
    await expectRefused(() => callWebhook(api, tampered, sign(signed, now())));
    // even the same JSON with other whitespace: the signature is over the raw bytes
    await expectRefused(() => callWebhook(api, JSON.stringify(completed(id), null, 2), sign(signed, now())));
  });

  it('refuses a signature made with another secret (401)', async () => {
    const id = await ws.request(ws.owner.auth);
    const body = JSON.stringify(completed(id));
    await expectRefused(() => callWebhook(api, body, sign(body, now(), 'some-other-secret-of-at-least-32-characters')));
  });

  it('refuses a timestamp more than 300 s away, either way, and accepts one just inside', async () => {
    const id = await ws.request(ws.owner.auth);
    const body = JSON.stringify(completed(id));
    await expectRefused(() => callWebhook(api, body, sign(body, new Date(now().getTime() - 301_000))));
    await expectRefused(() => callWebhook(api, body, sign(body, new Date(now().getTime() + 302_000))));
    const res = await callWebhook(api, body, sign(body, new Date(now().getTime() - 290_000)));
    expect(res.status).toBe(204);
  });

  it('refuses a missing header (401)', async () => {
    const id = await ws.request(ws.owner.auth);
    await expectRefused(() => callWebhook(api, completed(id), null));
    await expectRefused(() => callWebhook(api, completed(id), '  '));
  });

  it.each([
    ['only a digest', (_t: number, v1: string) => `v1=${v1}`],
    ['only a time', (t: number) => `t=${t}`],
    ['a time that is not a number', (_t: number, v1: string) => `t=soon,v1=${v1}`],
    ['two times', (t: number, v1: string) => `t=${t},t=${t},v1=${v1}`],
    ['a digest that is not hex', (t: number) => `t=${t},v1=${'z'.repeat(64)}`],
    ['a short digest', (t: number, v1: string) => `t=${t},v1=${v1.slice(2)}`],
    ['a part without a value', (t: number, v1: string) => `t=${t},v1=${v1},v2`],
    ['a part with two values', (t: number, v1: string) => `t=${t}=1,v1=${v1}`],
    ['the Stripe spelling', (t: number, v1: string) => `t=${t},sha256=${v1}`],
  ])('refuses a malformed header: %s (401)', async (_case, header) => {
    const id = await ws.request(ws.owner.auth);
    const body = JSON.stringify(completed(id));
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(sign(body, now()))!;
    await expectRefused(() => callWebhook(api, body, header(Number(t), v1!)));
  });

  it('accepts spaces after commas, unknown schemes, and several digests of which one matches (secret rotation)', async () => {
    const id = await ws.request(ws.owner.auth);
    const body = JSON.stringify(completed(id));
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(sign(body, now()))!;
    const [, , old] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(sign(body, now(), 'the-previous-secret-of-at-least-32-characters'))!;
    const res = await callWebhook(api, body, `t=${t}, v1=${old}, v0=legacy, v1=${v1}`);
    expect(res.status).toBe(204);
  });

  it('signs exactly as API.md documents: webhookSignature matches the written-out formula', () => {
    const body = '{"generationId":"0b7e…","status":"failed","error":"x"}';
    const at = new Date('2025-03-01T09:30:00Z');
    expect(webhookSignature(WEBHOOK_SECRET, body, at)).toBe(sign(body, at));
    expect(webhookSignature(WEBHOOK_SECRET, Buffer.from(body), at)).toBe(sign(body, at));
  });

  it('tells why a signature is refused, for the log', () => {
    const body = Buffer.from('{"status":"failed"}');
    const at = new Date('2025-03-01T09:30:00Z');
    const header = webhookSignature(WEBHOOK_SECRET, body, at);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, header, body, at)).toBeUndefined();
    expect(verifyWebhookSignature(WEBHOOK_SECRET, undefined, body, at)).toBe('missing');
    expect(verifyWebhookSignature(WEBHOOK_SECRET, 'v1=abc', body, at)).toBe('malformed');
    expect(verifyWebhookSignature(WEBHOOK_SECRET, header, body, new Date(at.getTime() + 300_000))).toBeUndefined();
    expect(verifyWebhookSignature(WEBHOOK_SECRET, header, body, new Date(at.getTime() + 301_000))).toBe('stale');
    expect(verifyWebhookSignature(WEBHOOK_SECRET, header, Buffer.from('{"status":"completed"}'), at)).toBe('mismatch');
  });

  it('answers malformed JSON with a good signature with 400', async () => {
    const before = await eventCount();
    const res = await callWebhook(api, '{"generationId": ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await eventCount()).toBe(before);
  });

  it('answers a signed request without a body with 422, and without a signature with 401', async () => {
    const empty = await api.http.post('/v1/webhooks/ai').set('X-Signature', sign('', now()));
    expect(empty.status).toBe(422);
    await expectRefused(() => api.http.post('/v1/webhooks/ai'));
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await api.http.post('/v1/webhooks/ai').set('Content-Type', 'text/plain').set('X-Signature', sign('hello', now())).send('hello');
    expect(res.status).toBe(415);
  });

  it('answers an unknown generation with 404', async () => {
    const res = await callWebhook(api, completed(randomUUID()));
    expect(res.status).toBe(404);
  });

  it.each([
    ['an unknown status', (id: string) => ({ generationId: id, status: 'done' }), 'status'],
    ['a completion without output', (id: string) => ({ generationId: id, status: 'completed' }), 'output'],
    ['a failure without error', (id: string) => ({ generationId: id, status: 'failed' }), 'error'],
    ['a generationId that is not a UUID', () => ({ generationId: 'g-1', status: 'failed', error: 'x' }), 'generationId'],
    ['an unknown field', (id: string) => ({ ...completed(id), model: 'gpt' }), 'model'],
    ['an image URL that is not http(s)', (id: string) => ({ generationId: id, status: 'completed', output: { imageUrl: 'ftp://cdn/x.png' } }), 'output.imageUrl'],
    ['output the kind does not produce', (id: string) => ({ generationId: id, status: 'completed', output: { hashtags: ['launch'] } }), 'output.text'],
  ])('refuses %s with 422 naming the field and appends nothing', async (_case, body, field) => {
    const id = await ws.request(ws.owner.auth);
    const before = await eventCount();
    const res = await callWebhook(api, body(id));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
    expect(await eventCount()).toBe(before);
  });

  it("follows the API's clock for the timestamp window", async () => {
    const id = await ws.request(ws.owner.auth);
    const body = JSON.stringify(completed(id));
    const signature = sign(body, new Date());
    api.clock.offsetMs = 600_000;
    try {
      await expectRefused(() => callWebhook(api, body, signature));
    } finally {
      api.clock.offsetMs = 0;
    }
  });
});

describe('the webhook rate limit', () => {
  let limited: TestApi;
  beforeAll(async () => {
    limited = await startTestApi({ rateLimits: { webhook: 2 } });
  });
  afterAll(async () => {
    await limited.close();
  });

  it("counts the webhook on its own limiter: the third call in the window is 429, before the signature is looked at", async () => {
    const body = completed(randomUUID());
    expect((await callWebhook(limited, body)).status).toBe(404);
    expect((await callWebhook(limited, body, null)).status).toBe(401);
    const third = await callWebhook(limited, body);
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBeDefined();
    expect(third.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
