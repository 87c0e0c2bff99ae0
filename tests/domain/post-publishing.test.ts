import { InvalidExternalId } from '../../src/domain/account';
import { InvalidTimestamp } from '../../src/domain/errors';
import {
  InvalidPublicationError,
  InvalidPublicationUrl,
  MAX_PUBLISH_ATTEMPTS,
  type PostEvent,
  PostAlreadyPublished,
  postDecider,
  PostIsPublishing,
  PostNotApproved,
  PostNotPublishing,
  PostNotSchedulable,
  PostNotScheduled,
  PostPublicationAlreadyRecorded,
  publishRetryDelayMs,
  type RecordPublication,
  ScheduleInPast,
  ScheduleTooFar,
} from '../../src/domain/post';
import { expectEveryTypeEmitted, given } from './support/given';
import { drafted, history, LATER, NOW, publishFailed, published, publishRequested, retryScheduled, scheduled } from './support/post-fixtures';

const schedule = (at = LATER, approvalRequired = true) => ({ type: 'SchedulePost', by: 'carl', at, now: NOW, approvalRequired }) as const;
const publishNow = (approvalRequired = true) => ({ type: 'PublishPost', by: 'carl', now: NOW, approvalRequired }) as const;
const tick = (now: string) => ({ type: 'StartScheduledPublish', now }) as const;
const success: RecordPublication = { type: 'RecordPublication', status: 'published', externalId: 'ext-1', url: 'https://bsky.app/post/ext-1', now: NOW };
const failure = (retryable = true, error = 'HTTP 503'): RecordPublication => ({ type: 'RecordPublication', status: 'failed', error, retryable, now: NOW });
const inOneMinute = '2025-03-01T09:01:00.000Z';
/** A post whose first attempt failed and is waiting for its retry. */
const awaitingRetry: PostEvent[] = [...history.publishing, publishFailed(1), retryScheduled(inOneMinute)];

describe('post publishing', () => {
  describe('scheduling', () => {
    it('schedules an approved post, storing the time in UTC', () => {
      const state = given(postDecider, history.approved).when(schedule('2025-03-02T10:00:00+01:00')).then([scheduled(LATER)]);
      expect(state).toMatchObject({ status: 'scheduled', schedule: { at: LATER, trigger: 'schedule' } });
    });

    it('reschedules, and does nothing for the same time', () => {
      given(postDecider, history.scheduled).when(schedule('2025-03-03T09:00:00Z')).then([scheduled('2025-03-03T09:00:00.000Z')]);
      given(postDecider, history.scheduled).when(schedule(LATER)).then([]);
    });

    it('replaces a pending retry with the chosen time', () => {
      given(postDecider, awaitingRetry).when(schedule(inOneMinute)).then([scheduled(inOneMinute)]);
    });

    it('schedules a draft straight away when the member needs no approval', () => {
      given(postDecider, history.draft).when(schedule(LATER, false)).then([scheduled()]);
      given(postDecider, history.scheduledUnapproved).when(schedule('2025-03-03T09:00:00.000Z', false)).then([scheduled('2025-03-03T09:00:00.000Z')]);
    });

    it('needs an approved post when the member needs approval', () => {
      given(postDecider, history.draft).when(schedule()).thenThrows(PostNotApproved, { kind: 'conflict' });
      given(postDecider, history.scheduledUnapproved).when(schedule('2025-03-03T09:00:00Z')).thenThrows(PostNotApproved);
    });

    it('refuses a post awaiting approval whoever asks', () => {
      given(postDecider, history.pendingApproval).when(schedule(LATER, false)).thenThrows(PostNotApproved);
    });

    it.each([
      ['publishing', history.publishing, PostIsPublishing],
      ['published', history.published, PostNotSchedulable],
      ['failed', history.failed, PostNotSchedulable],
    ])('refuses a %s post', (_status, events, error) => {
      given(postDecider, events).when(schedule(LATER, false)).thenThrows(error, { kind: 'conflict' });
    });

    it('refuses a time that is not after now', () => {
      given(postDecider, history.approved).when(schedule(NOW)).thenThrows(ScheduleInPast, { kind: 'invalid', field: 'at' });
      given(postDecider, history.approved).when(schedule('2025-02-28T09:00:00Z')).thenThrows(ScheduleInPast);
    });

    it('accepts up to two years ahead and no further', () => {
      given(postDecider, history.approved).when(schedule('2027-03-01T09:00:00Z')).then([scheduled('2027-03-01T09:00:00.000Z')]);
      given(postDecider, history.approved).when(schedule('2027-03-01T09:00:00.001Z')).thenThrows(ScheduleTooFar, { kind: 'invalid', field: 'at' });
    });

    it('refuses a malformed time, naming the field', () => {
      given(postDecider, history.approved).when(schedule('tomorrow')).thenThrows(InvalidTimestamp, { kind: 'invalid', field: 'at' });
      given(postDecider, history.approved).when(schedule('2025-03-02')).thenThrows(InvalidTimestamp, { field: 'at' });
      given(postDecider, history.approved)
        .when({ ...schedule(), now: '2025-13-01T00:00:00Z' })
        .thenThrows(InvalidTimestamp, { field: 'now' });
    });
  });

  describe('unscheduling', () => {
    it('returns an approved post to approved', () => {
      const state = given(postDecider, history.scheduled).when({ type: 'UnschedulePost', by: 'carl' }).then([{ type: 'PostUnscheduled', data: {} }]);
      expect(state.status).toBe('approved');
      expect(state).not.toHaveProperty('schedule');
    });

    it('returns a post scheduled without approval to draft', () => {
      const state = given(postDecider, history.scheduledUnapproved).when({ type: 'UnschedulePost', by: 'carl' }).then([{ type: 'PostUnscheduled', data: {} }]);
      expect(state.status).toBe('draft');
    });

    it('refuses a post that is not scheduled', () => {
      given(postDecider, history.approved).when({ type: 'UnschedulePost', by: 'carl' }).thenThrows(PostNotScheduled, { kind: 'conflict' });
    });
  });

  describe('publishing now', () => {
    it('requests publication of an approved or scheduled post with its content', () => {
      const state = given(postDecider, history.approved).when(publishNow()).then([publishRequested(1, 'manual')]);
      expect(state).toMatchObject({ status: 'publishing', attempt: 1 });
      const fromSchedule = given(postDecider, history.scheduled).when(publishNow()).then([publishRequested(1, 'manual')]);
      expect(fromSchedule).not.toHaveProperty('schedule');
    });

    it('publishes a draft when the member needs no approval, and not otherwise', () => {
      given(postDecider, history.draft).when(publishNow(false)).then([publishRequested()]);
      given(postDecider, history.draft).when(publishNow()).thenThrows(PostNotApproved);
      given(postDecider, history.pendingApproval).when(publishNow(false)).thenThrows(PostNotApproved);
    });

    it('retries a failed post by hand, starting a new round of attempts', () => {
      const state = given(postDecider, history.failed).when(publishNow()).then([publishRequested(1, 'manual')]);
      expect(state).not.toHaveProperty('lastOutcome');
    });

    it('refuses a post being published or already published', () => {
      given(postDecider, history.publishing).when(publishNow()).thenThrows(PostIsPublishing);
      given(postDecider, history.published).when(publishNow()).thenThrows(PostAlreadyPublished, { kind: 'conflict' });
    });
  });

  describe('the scheduler', () => {
    it('starts a due post', () => {
      given(postDecider, history.scheduled).when(tick(LATER)).then([publishRequested(1, 'schedule', LATER)]);
      given(postDecider, history.scheduled).when(tick('2025-03-02T10:00:00Z')).then([publishRequested(1, 'schedule', '2025-03-02T10:00:00.000Z')]);
    });

    it('does nothing before the time or for a post that is not scheduled', () => {
      given(postDecider, history.scheduled).when(tick(NOW)).then([]);
      given(postDecider, history.publishing).when(tick(LATER)).then([]);
      given(postDecider, history.approved).when(tick(LATER)).then([]);
    });

    it('starts a due retry as the next attempt', () => {
      given(postDecider, awaitingRetry).when(tick(inOneMinute)).then([publishRequested(2, 'retry', inOneMinute)]);
    });

    it('refuses a malformed now', () => {
      given(postDecider, history.scheduled).when(tick('now')).thenThrows(InvalidTimestamp, { field: 'now' });
    });
  });

  describe('recording the outcome', () => {
    it('records a publication', () => {
      const state = given(postDecider, history.publishing).when(success).then([published]);
      expect(state).toMatchObject({ status: 'published', lastOutcome: { status: 'published', externalId: 'ext-1' } });
    });

    it('schedules a retry after a retryable failure', () => {
      const state = given(postDecider, history.publishing).when(failure()).then([publishFailed(1), retryScheduled(inOneMinute)]);
      expect(state).toMatchObject({ status: 'scheduled', schedule: { at: inOneMinute, trigger: 'retry' } });
    });

    it('backs off exponentially: 1, 2, 4, 8 minutes', () => {
      expect([1, 2, 3, 4].map(publishRetryDelayMs)).toEqual([60_000, 120_000, 240_000, 480_000]);
      expect(publishRetryDelayMs(0)).toBe(60_000);
      const third = [...history.approved, publishRequested(3, 'retry')];
      given(postDecider, third).when(failure()).then([publishFailed(3), retryScheduled('2025-03-01T09:04:00.000Z')]);
    });

    it(`gives up after ${MAX_PUBLISH_ATTEMPTS} attempts`, () => {
      const state = given(postDecider, [...history.approved, publishRequested(MAX_PUBLISH_ATTEMPTS, 'retry')]).when(failure()).then([publishFailed(5)]);
      expect(state.status).toBe('failed');
    });

    it('fails at once when the failure is not retryable', () => {
      given(postDecider, history.publishing).when(failure(false)).then([publishFailed(1, false)]);
    });

    it('ignores a redelivered report', () => {
      given(postDecider, history.published).when(success).then([]);
      given(postDecider, history.failed).when(failure(false)).then([]);
      given(postDecider, awaitingRetry).when(failure()).then([]);
    });

    it.each([
      ['another external id on a published post', history.published, { ...success, externalId: 'ext-2' }],
      ['a failure on a published post', history.published, failure()],
      ['a publication on a failed post', history.failed, success],
      ['another error on a failed post', history.failed, failure(false, 'HTTP 400')],
      ['another retryability on a failed post', history.failed, failure(true)],
    ])('refuses %s', (_case, events, report) => {
      given(postDecider, events).when(report).thenThrows(PostPublicationAlreadyRecorded, { kind: 'conflict' });
    });

    it('refuses a report when nothing was published', () => {
      given(postDecider, history.approved).when(success).thenThrows(PostNotPublishing, { kind: 'conflict' });
    });

    it.each([
      ['a blank external id', { ...success, externalId: ' ' }, InvalidExternalId, 'externalId'],
      ['a URL that is not http(s)', { ...success, url: 'bsky://post/1' }, InvalidPublicationUrl, 'url'],
      ['a blank error', failure(true, ''), InvalidPublicationError, 'error'],
      ['a malformed now', { ...success, now: 'yesterday' }, InvalidTimestamp, 'now'],
    ])('refuses %s', (_case, report, error, field) => {
      given(postDecider, history.publishing).when(report).thenThrows(error, { kind: 'invalid', field });
    });

    it('publishes the content as it stands', () => {
      const edited: PostEvent = { type: 'PostEdited', data: { changes: { content: 'Launch week!', media: ['https://cdn.example.com/a.png'] } } };
      given(postDecider, [drafted, edited])
        .when(publishNow(false))
        .then([{ type: 'PostPublishRequested', data: { ...publishRequested().data, content: 'Launch week!', media: ['https://cdn.example.com/a.png'] } }]);
    });
  });

  it('emits every publishing event type in some test', () => {
    expectEveryTypeEmitted(['PostScheduled', 'PostUnscheduled', 'PostPublishRequested', 'PostPublished', 'PostPublishFailed', 'PostPublishRetryScheduled']);
  });
});
