import { startTestApi, type TestApi } from '../../support/api';
import { postsWorkspace, postVerbs, published, type PostsWorkspace, type PostVerb } from './posts-support';

let api: TestApi;
let ws: PostsWorkspace;
/** A draft of the owner's: every command's validation is reached on it. */
let postId: string;

beforeAll(async () => {
  api = await startTestApi();
  ws = await postsWorkspace(api);
  postId = (await ws.draft(ws.owner.auth)).id;
});
afterAll(async () => {
  await api.close();
});

/** Every 4xx below must leave the log as it was. */
let eventsBefore: number;
beforeEach(async () => {
  eventsBefore = (await api.events()).length;
});
afterEach(async () => {
  expect((await api.events()).length).toBe(eventsBefore);
});

const long = (n: number) => 'x'.repeat(n);
const inYears = (years: number) => new Date(Date.now() + years * 365.25 * 86_400_000).toISOString();
const validAccount = () => ws.accountId;

type Route = 'create' | PostVerb;

function send(route: Route, body: unknown, id = postId) {
  if (route === 'create') return api.http.post(ws.path()).set(ws.owner.auth).send(body as object);
  return ws.act(ws.owner.auth, id, route, body as object);
}

describe('malformed JSON is 400 on every route', () => {
  it.each<Route>(['create', ...postVerbs])('%s', async (route) => {
    const res = await send(route, undefined).set('Content-Type', 'application/json').send('{"content": "unterminated');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('a body that is not JSON is 415', () => {
  it.each<Route>(['create', 'edit', 'reject', 'publication'])('%s', async (route) => {
    const res = await send(route, undefined).set('Content-Type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
  });
});

describe('a non-UUID id is 404 on every route', () => {
  it.each<PostVerb>(postVerbs)('%s', async (verb) => {
    expect((await send(verb, {}, 'post-1')).status).toBe(404);
    const method = verb === 'edit' ? 'patch' : verb === 'delete' ? 'delete' : 'post';
    const inBadWorkspace = await api.http[method](ws.path(postId, verb).replace(ws.workspaceId, 'ws-1')).set(ws.owner.auth);
    expect(inBadWorkspace.status).toBe(404);
    expect(inBadWorkspace.body.code).toBe('NotFound');
  });
});

describe('invalid fields are 422 naming each field', () => {
  const cases: [Route, () => unknown, string][] = [
    ['create', () => ({}), 'accountId'],
    ['create', () => ({ accountId: validAccount() }), 'content'],
    ['create', () => ({ accountId: 'acc-1', content: 'x' }), 'accountId'],
    ['create', () => ({ accountId: validAccount(), content: 5 }), 'content'],
    ['create', () => ({ accountId: validAccount(), content: '   ' }), 'content'],
    ['create', () => ({ accountId: validAccount(), content: long(10_001) }), 'content'],
    ['create', () => ({ accountId: validAccount(), content: 'x', media: 'https://cdn.example.com/a.png' }), 'media'],
    ['create', () => ({ accountId: validAccount(), content: 'x', media: ['javascript:alert(1)'] }), 'media.0'],
    ['create', () => ({ accountId: validAccount(), content: 'x', media: Array.from({ length: 11 }, (_, i) => `https://cdn.example.com/${i}.png`) }), 'media'],
    ['create', () => ({ accountId: validAccount(), content: 'x', tags: 'launch' }), 'tags'],
    ['create', () => ({ accountId: validAccount(), content: 'x', tags: [long(101)] }), 'tags.0'],
    ['create', () => ({ accountId: validAccount(), content: 'x', tags: ['#'] }), 'tags[0]'],
    ['create', () => ({ accountId: validAccount(), content: 'x', tags: Array.from({ length: 31 }, (_, i) => `tag${i}`) }), 'tags'],
    ['create', () => ({ accountId: validAccount(), content: 'x', authorId: 'me' }), 'authorId'],
    ['create', () => [validAccount()], '(root)'],
    ['edit', () => ({ content: 5 }), 'content'],
    ['edit', () => ({ content: long(10_001) }), 'content'],
    ['edit', () => ({ content: null }), 'content'],
    ['edit', () => ({ media: ['ftp://cdn.example.com/a.png'] }), 'media.0'],
    ['edit', () => ({ tags: [long(51)] }), 'tags[0]'],
    ['edit', () => ({ status: 'published' }), 'status'],
    ['submit', () => ({ approvalsRequired: 0 }), 'approvalsRequired'],
    ['approve', () => ({ by: 'someone' }), 'by'],
    ['unschedule', () => ({ now: true }), 'now'],
    ['publish', () => ({ at: 'now' }), 'at'],
    ['reject', () => ({}), 'reason'],
    ['reject', () => ({ reason: '  ' }), 'reason'],
    ['reject', () => ({ reason: long(1001) }), 'reason'],
    ['reject', () => ({ reason: 5 }), 'reason'],
    ['reject', () => ({ reason: 'no', by: 'me' }), 'by'],
    ['schedule', () => ({}), 'at'],
    ['schedule', () => ({ at: 'tomorrow' }), 'at'],
    ['schedule', () => ({ at: '2030-01-01T09:00:00' }), 'at'],
    ['schedule', () => ({ at: 1_900_000_000_000 }), 'at'],
    ['schedule', () => ({ at: '2020-01-01T09:00:00Z' }), 'at'],
    ['schedule', () => ({ at: inYears(3) }), 'at'],
    ['schedule', () => ({ at: inYears(1), approvalRequired: false }), 'approvalRequired'],
    ['publication', () => ({}), 'status'],
    ['publication', () => ({ status: 'done' }), 'status'],
    ['publication', () => ({ status: 'published', externalId: 'x-1' }), 'url'],
    ['publication', () => ({ status: 'published', externalId: 'x-1', url: 'ftp://x.com/1' }), 'url'],
    ['publication', () => ({ status: 'published', externalId: long(201), url: published.url }), 'externalId'],
    ['publication', () => ({ status: 'published', externalId: '', url: published.url }), 'externalId'],
    ['publication', () => ({ ...published, error: 'both' }), 'error'],
    ['publication', () => ({ status: 'failed', error: 'HTTP 500' }), 'retryable'],
    ['publication', () => ({ status: 'failed', error: 'HTTP 500', retryable: 'yes' }), 'retryable'],
    ['publication', () => ({ status: 'failed', error: long(2001), retryable: false }), 'error'],
  ];
  it.each(cases)('%s %j', async (route, body, field) => {
    const res = await send(route, body());
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});

it('refuses a malformed Idempotency-Key on a command with 422', async () => {
  const res = await send('submit', undefined).set('Idempotency-Key', 'spaces are not allowed');
  expect(res.status).toBe(422);
});
