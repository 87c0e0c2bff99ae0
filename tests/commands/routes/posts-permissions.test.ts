import { can, type Action } from '../../../src/domain/permissions';
import { workspaceRoles, type WorkspaceRole } from '../../../src/domain/workspace/roles';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';
import { inOneDay, postsWorkspace, postVerbs, published, type PostsWorkspace, type PostVerb } from './posts-support';

let api: TestApi;
let ws: PostsWorkspace;
/** A member of every role; the owner is the workspace's. */
const members = {} as Record<WorkspaceRole, TestUser>;
/** Author and reviewer of the posts members act on when the post is not their own. */
let author: TestUser;
let reviewer: TestUser;

beforeAll(async () => {
  api = await startTestApi();
  ws = await postsWorkspace(api);
  members.owner = ws.owner;
  for (const role of workspaceRoles.filter((r) => r !== 'owner')) members[role] = await ws.member(role);
  author = await ws.member('admin');
  reviewer = await ws.member('editor');
});
afterAll(async () => {
  await api.close();
});

type Command = 'create' | PostVerb;
type Stage = 'draft' | 'pending_approval' | 'approved' | 'scheduled' | 'publishing';

/** Each command, the action it needs, the stage where it is legal, and its body. */
const commands: Record<Command, { action: Action; stage?: Stage; body?: () => object; success: number }> = {
  create: { action: 'post:create', success: 201 },
  edit: { action: 'post:edit', stage: 'draft', body: () => ({ content: 'Changed' }), success: 200 },
  submit: { action: 'post:submit', stage: 'draft', success: 200 },
  approve: { action: 'post:approve', stage: 'pending_approval', success: 200 },
  reject: { action: 'post:reject', stage: 'pending_approval', body: () => ({ reason: 'Not yet' }), success: 200 },
  schedule: { action: 'post:schedule', stage: 'approved', body: () => ({ at: inOneDay() }), success: 200 },
  unschedule: { action: 'post:schedule', stage: 'scheduled', success: 200 },
  publish: { action: 'post:publish', stage: 'approved', success: 200 },
  publication: { action: 'post:record-publication', stage: 'publishing', body: () => published, success: 200 },
  delete: { action: 'post:delete', stage: 'draft', success: 204 },
};

/** A post of `by` brought to `stage` (approved by the reviewer, so any author may schedule it). */
async function postAt(stage: Stage, by: TestUser): Promise<string> {
  const { id } = await ws.draft(by.auth);
  if (stage === 'draft') return id;
  await ws.ok(by.auth, id, 'submit');
  if (stage === 'pending_approval') return id;
  await ws.ok(reviewer.auth, id, 'approve');
  if (stage === 'scheduled') await ws.ok(by.auth, id, 'schedule', { at: inOneDay() });
  if (stage === 'publishing') await ws.ok(by.auth, id, 'publish');
  return id;
}

/** Brings a post of `postAuthor` to where `command` is legal; answers how to send the command then. */
async function prepare(command: Command, postAuthor: TestUser): Promise<(as: TestUser) => Promise<{ status: number }>> {
  const spec = commands[command];
  if (command === 'create') return async (as) => api.http.post(ws.path()).set(as.auth).send({ accountId: ws.accountId, content: 'Hello' });
  const id = await postAt(spec.stage!, postAuthor);
  return async (as) => ws.act(as.auth, id, command, spec.body?.());
}

const everyCommand = Object.keys(commands) as Command[];

describe("the permission matrix on another member's posts", () => {
  const cases = workspaceRoles.flatMap((role) => everyCommand.map((command) => [role, command] as const));
  it.each(cases)('%s: %s', async (role, command) => {
    const allowed = can(role, commands[command].action);
    const send = await prepare(command, author);
    const before = (await api.events()).length;
    const res = await send(members[role]);
    expect(res.status).toBe(allowed ? commands[command].success : 403);
    if (!allowed) expect((await api.events()).length).toBe(before);
  });
});

describe('the permission matrix on their own posts', () => {
  // an author never approves their own post; a viewer has none
  const authors = workspaceRoles.filter((role) => can(role, 'post:create'));
  const cases = authors.flatMap((role) => everyCommand.filter((c) => c !== 'create' && c !== 'approve').map((command) => [role, command] as const));
  it.each(cases)('%s: %s', async (role, command) => {
    const allowed = can(role, commands[command].action, { isOwnResource: true });
    const send = await prepare(command, members[role]);
    const res = await send(members[role]);
    expect(res.status).toBe(allowed ? commands[command].success : 403);
  });
});

it('refuses a viewer every command with 403 and appends nothing', async () => {
  const post = await postAt('draft', author);
  const viewer = members.viewer;
  const before = (await api.events()).length;
  expect((await api.http.post(ws.path()).set(viewer.auth).send({ accountId: ws.accountId, content: 'Hello' })).status).toBe(403);
  for (const verb of postVerbs) {
    const res = await ws.act(viewer.auth, post, verb, commands[verb].body?.());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('Forbidden');
  }
  expect((await api.events()).length).toBe(before);
});
