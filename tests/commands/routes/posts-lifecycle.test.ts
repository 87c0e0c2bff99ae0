import { MAX_PUBLISH_ATTEMPTS, publishRetryDelayMs } from '../../../src/domain/post';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';
import { failed, inOneDay, postsWorkspace, published, tickScheduler, type PostsWorkspace, type PostVerb } from './posts-support';

let api: TestApi;
let ws: PostsWorkspace;
let contributor: TestUser;
let editor: TestUser;
let reviewer: TestUser;

beforeAll(async () => {
  api = await startTestApi();
  ws = await postsWorkspace(api);
  contributor = await ws.member('contributor');
  editor = await ws.member('editor');
  reviewer = await ws.member('editor');
});
afterAll(async () => {
  await api.close();
});

const typesOf = async (postId: string) => (await api.store.readStream(`post-${postId}`)).map((e) => e.type);

describe('the lifecycle', () => {
  it('goes draft → pending approval → approved → scheduled → approved → scheduled → publishing → published', async () => {
    const post = await ws.draft(contributor.auth);
    const submitted = await ws.act(contributor.auth, post.id, 'submit');
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ status: 'pending_approval', approvalsRequired: 1, approvals: [], approved: false });
    const approved = await ws.act(editor.auth, post.id, 'approve');
    expect(approved.body).toMatchObject({ status: 'approved', approvals: [editor.userId], approved: true });
    const at = inOneDay();
    const scheduled = await ws.act(contributor.auth, post.id, 'schedule', { at: at.replace('Z', '+00:00') });
    expect(scheduled.body).toMatchObject({ status: 'scheduled', scheduledAt: at, scheduleTrigger: 'schedule' });
    const unscheduled = await ws.act(contributor.auth, post.id, 'unschedule');
    expect(unscheduled.body).toMatchObject({ status: 'approved', scheduledAt: null, scheduleTrigger: null });
    await ws.ok(contributor.auth, post.id, 'schedule', { at });
    const publishing = await ws.act(contributor.auth, post.id, 'publish');
    expect(publishing.body).toMatchObject({ status: 'publishing', attempts: 1, scheduledAt: null });
    const done = await ws.act(ws.owner.auth, post.id, 'publication', published);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'published', externalId: published.externalId, url: published.url, publishedAt: expect.any(String), lastError: null });
    expect(done.headers.etag).toBe('W/"7"');
    expect(await typesOf(post.id)).toEqual([
      'PostDrafted',
      'PostSubmitted',
      'PostApproved',
      'PostScheduled',
      'PostUnscheduled',
      'PostScheduled',
      'PostPublishRequested',
      'PostPublished',
    ]);
  });

  it('answers a redelivered report with 200 and appends nothing; a different one is 409', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    const first = await ws.act(ws.owner.auth, post.id, 'publication', published);
    const again = await ws.act(ws.owner.auth, post.id, 'publication', { ...published, externalId: ` ${published.externalId} ` });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['x-event-position']).toBe(first.headers['x-event-position']);
    const other = await ws.act(ws.owner.auth, post.id, 'publication', failed());
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('PostPublicationAlreadyRecorded');
    expect(await typesOf(post.id)).toEqual(['PostDrafted', 'PostPublishRequested', 'PostPublished']);
  });

  it('retries a retryable failure with a doubling backoff, and fails for good after the last attempt', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt++) {
      const reportedAt = api.assembly.deps.now().getTime();
      const res = await ws.act(ws.owner.auth, post.id, 'publication', failed(true));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ attempts: attempt, lastError: failed().error });
      if (attempt === MAX_PUBLISH_ATTEMPTS) {
        expect(res.body).toMatchObject({ status: 'failed', scheduledAt: null });
        break;
      }
      expect(res.body).toMatchObject({ status: 'scheduled', scheduleTrigger: 'retry' });
      const delay = Date.parse(res.body.scheduledAt) - reportedAt;
      expect(delay).toBeGreaterThanOrEqual(publishRetryDelayMs(attempt));
      expect(delay).toBeLessThan(publishRetryDelayMs(attempt) + 5_000);
      // the scheduler starts the retry once it is due
      await tickScheduler(api, post.id, res.body.scheduledAt);
    }
    const retried = await ws.act(ws.owner.auth, post.id, 'publish');
    expect(retried.body).toMatchObject({ status: 'publishing', attempts: 1, lastError: null });
  });

  it('fails at once on a failure that is not retryable', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    const res = await ws.act(ws.owner.auth, post.id, 'publication', failed(false));
    expect(res.body).toMatchObject({ status: 'failed', scheduledAt: null, lastError: failed().error, attempts: 1 });
  });

  it('sends a rejected post back to draft with the reason, cleared on the next submission', async () => {
    const post = await ws.draft(contributor.auth);
    await ws.ok(contributor.auth, post.id, 'submit');
    const rejected = await ws.act(editor.auth, post.id, 'reject', { reason: '  Off-brand tone ' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'draft', rejectionReason: 'Off-brand tone', approvals: [] });
    const edited = await ws.act(contributor.auth, post.id, 'edit', { content: 'On-brand tone' });
    expect(edited.body.rejectionReason).toBe('Off-brand tone');
    const resubmitted = await ws.act(contributor.auth, post.id, 'submit');
    expect(resubmitted.body).toMatchObject({ status: 'pending_approval', rejectionReason: null });
  });
});

describe('editing after approval', () => {
  async function approvedPostOf(author: TestUser) {
    const post = await ws.draft(author.auth);
    await ws.ok(author.auth, post.id, 'submit');
    await ws.ok(reviewer.auth, post.id, 'approve');
    return post;
  }

  it("sends a contributor's approved post back for approval when the policy requires it", async () => {
    const post = await approvedPostOf(contributor);
    const res = await ws.act(contributor.auth, post.id, 'edit', { content: 'A late change' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'pending_approval', approvals: [], approved: false, content: 'A late change' });
    expect((await typesOf(post.id)).slice(-2)).toEqual(['PostEdited', 'PostReturnedForApproval']);
  });

  it("drops the schedule of a contributor's scheduled post that is edited", async () => {
    const post = await approvedPostOf(contributor);
    await ws.ok(contributor.auth, post.id, 'schedule', { at: inOneDay() });
    const res = await ws.act(contributor.auth, post.id, 'edit', { tags: ['late'] });
    expect(res.body).toMatchObject({ status: 'pending_approval', scheduledAt: null });
  });

  it('keeps an editor’s post approved: the policy does not require approval of editors', async () => {
    const post = await approvedPostOf(editor);
    const res = await ws.act(editor.auth, post.id, 'edit', { content: 'A late change' });
    expect(res.body).toMatchObject({ status: 'approved', approved: true });
  });
});

describe('illegal transitions are 409 with the domain code and append nothing', () => {
  type Status = 'draft' | 'pending_approval' | 'approved' | 'publishing' | 'published';
  /** An editor's post (editors need no approval), brought to `status`. */
  async function postIn(status: Status): Promise<string> {
    const { id } = await ws.draft(editor.auth);
    if (status === 'pending_approval' || status === 'approved') await ws.ok(editor.auth, id, 'submit');
    if (status === 'approved') await ws.ok(reviewer.auth, id, 'approve');
    if (status === 'publishing' || status === 'published') await ws.ok(editor.auth, id, 'publish');
    if (status === 'published') await ws.ok(ws.owner.auth, id, 'publication', published);
    return id;
  }
  const reject = { reason: 'No' };
  const schedule = () => ({ at: inOneDay() });
  const cases: [Status, PostVerb, (() => object) | undefined, string][] = [
    ['draft', 'approve', undefined, 'PostNotPendingApproval'],
    ['draft', 'reject', () => reject, 'PostNotPendingApproval'],
    ['draft', 'unschedule', undefined, 'PostNotScheduled'],
    ['draft', 'publication', () => published, 'PostNotPublishing'],
    ['pending_approval', 'submit', undefined, 'PostNotDraft'],
    ['pending_approval', 'schedule', schedule, 'PostNotApproved'],
    ['pending_approval', 'publish', undefined, 'PostNotApproved'],
    ['approved', 'submit', undefined, 'PostNotDraft'],
    ['approved', 'approve', undefined, 'PostNotPendingApproval'],
    ['approved', 'reject', () => reject, 'PostNotPendingApproval'],
    ['publishing', 'edit', () => ({ content: 'Too late' }), 'PostNotEditable'],
    ['publishing', 'schedule', schedule, 'PostIsPublishing'],
    ['publishing', 'publish', undefined, 'PostIsPublishing'],
    ['publishing', 'unschedule', undefined, 'PostNotScheduled'],
    ['publishing', 'delete', undefined, 'PostIsPublishing'],
    ['published', 'edit', () => ({ content: 'Too late' }), 'PostNotEditable'],
    ['published', 'submit', undefined, 'PostNotDraft'],
    ['published', 'schedule', schedule, 'PostNotSchedulable'],
    ['published', 'publish', undefined, 'PostAlreadyPublished'],
  ];
  it.each(cases)('%s: %s → %s', async (status, verb, body, code) => {
    const id = await postIn(status);
    const before = (await api.events()).length;
    // the owner may do everything, so only the post's status stands in the way
    const res = await ws.act(ws.owner.auth, id, verb, body?.());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe(code);
    expect((await api.events()).length).toBe(before);
  });

  it("refuses to schedule or publish a contributor's unapproved draft (PostNotApproved)", async () => {
    const post = await ws.draft(contributor.auth);
    for (const [verb, body] of [['schedule', { at: inOneDay() }], ['publish', undefined]] as const) {
      const res = await ws.act(contributor.auth, post.id, verb, body);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('PostNotApproved');
    }
  });
});

describe('approvals', () => {
  it('refuses the author approving their own post with 403', async () => {
    const post = await ws.draft(editor.auth);
    await ws.ok(editor.auth, post.id, 'submit');
    const res = await ws.act(editor.auth, post.id, 'approve');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('PostAuthorCannotApprove');
  });

  it('needs as many approvers as the policy says, and refuses a second approval by the same member', async () => {
    const strict = await postsWorkspace(api);
    await strict.policy(['contributor'], 2);
    const [author, first, second] = [await strict.member('contributor'), await strict.member('editor'), await strict.member('admin')];
    const post = await strict.draft(author.auth);
    expect((await strict.act(author.auth, post.id, 'submit')).body.approvalsRequired).toBe(2);
    const once = await strict.act(first.auth, post.id, 'approve');
    expect(once.body).toMatchObject({ status: 'pending_approval', approvals: [first.userId], approved: false });
    const twice = await strict.act(first.auth, post.id, 'approve');
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('PostAlreadyApprovedByMember');
    const done = await strict.act(second.auth, post.id, 'approve');
    expect(done.body).toMatchObject({ status: 'approved', approvals: [first.userId, second.userId], approved: true });
  });

  it('lets concurrent approvals without If-Match all succeed, retrying on conflict', async () => {
    const busy = await postsWorkspace(api);
    await busy.policy(['contributor'], 4);
    const author = await busy.member('contributor');
    const approvers = [busy.owner, await busy.member('admin'), await busy.member('editor'), await busy.member('editor')];
    const post = await busy.draft(author.auth);
    await busy.ok(author.auth, post.id, 'submit');
    const answers = await Promise.all(approvers.map((approver) => busy.act(approver.auth, post.id, 'approve')));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    const approvals = (await api.store.readStream(`post-${post.id}`)).filter((e) => e.type === 'PostApproved').map((e) => e.data as { by: string; approvals: number });
    expect(approvals.map((a) => a.approvals)).toEqual([1, 2, 3, 4]);
    expect(approvals.map((a) => a.by).sort()).toEqual(approvers.map((a) => a.userId).sort());
    expect(answers.filter((res) => res.body.status === 'approved')).toHaveLength(1);
  });
});
