import { httpUrlSchema } from '../../domain/values';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { isoTime, text } from '../../http/validation';
import { commandHeaders, handlePostCommand, postPathIds, postView, sendPost } from './posts';
import type { RouteGroup } from '.';

/** These commands take no fields; a body may be omitted, and one with fields is refused. */
const noFields = z.strictObject({}).openapi({ description: 'No fields; the body may be omitted' });
const rejectBody = z.strictObject({ reason: text(1, 1000) }).openapi('RejectPostRequest');
const scheduleBody = z.strictObject({ at: isoTime().openapi({ description: 'After now, at most two years ahead', example: '2025-03-01T09:30:00+01:00' }) }).openapi('SchedulePostRequest');
const publicationBody = z
  .discriminatedUnion('status', [
    z.strictObject({ status: z.literal('published'), externalId: text(1, 200), url: httpUrlSchema }),
    z.strictObject({ status: z.literal('failed'), error: text(1, 2000), retryable: z.boolean() }),
  ])
  .openapi('PublicationReport');

const postPath = '/v1/workspaces/{workspaceId}/posts/{postId}';
const answer = (description: string) => ({ 200: { description, schema: postView, headers: commandHeaders } });

/** Submit, approve, reject, schedule, unschedule, publish now, and the publisher's report. */
export const postLifecycleRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: `${postPath}/submit`,
    summary: 'Submit a draft for approval; the workspace policy sets how many approvals it needs',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: noFields,
    responses: answer('The post, pending approval'),
    async handler({ req, res }) {
      const result = await handlePostCommand(deps, req, 'post:submit', (actor) => ({ type: 'SubmitPost', by: actor.id, approvalsRequired: actor.approvalsRequired }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'post',
    path: `${postPath}/approve`,
    summary: 'Approve a post pending approval; not by its author, once per member',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: noFields,
    responses: answer('The post, approved once it has its approvals'),
    async handler({ req, res }) {
      const result = await handlePostCommand(deps, req, 'post:approve', (actor) => ({ type: 'ApprovePost', by: actor.id, byRole: actor.role }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'post',
    path: `${postPath}/reject`,
    summary: 'Reject a post pending approval; it goes back to draft with the reason',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: rejectBody,
    responses: answer('The post, a draft again'),
    async handler({ req, res, body }) {
      const result = await handlePostCommand(deps, req, 'post:reject', (actor) => ({ type: 'RejectPost', by: actor.id, reason: body.reason }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'post',
    path: `${postPath}/schedule`,
    summary: 'Schedule (or reschedule) a post; it must be approved where the policy says so',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: scheduleBody,
    responses: answer('The post, scheduled'),
    async handler({ req, res, body }) {
      const now = deps.now().toISOString();
      const result = await handlePostCommand(deps, req, 'post:schedule', (actor) => ({ type: 'SchedulePost', by: actor.id, at: body.at, now, approvalRequired: actor.approvalRequired }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'post',
    path: `${postPath}/unschedule`,
    summary: 'Take a scheduled post off the schedule; it returns to approved or draft',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: noFields,
    responses: answer('The post, no longer scheduled'),
    async handler({ req, res }) {
      const result = await handlePostCommand(deps, req, 'post:schedule', (actor) => ({ type: 'UnschedulePost', by: actor.id }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'post',
    path: `${postPath}/publish`,
    summary: 'Publish now (also the manual retry of a failed post); it must be approved where the policy says so',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: noFields,
    responses: answer('The post, publishing'),
    async handler({ req, res }) {
      const now = deps.now().toISOString();
      const result = await handlePostCommand(deps, req, 'post:publish', (actor) => ({ type: 'PublishPost', by: actor.id, now, approvalRequired: actor.approvalRequired }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'post',
    path: `${postPath}/publication`,
    summary: "A publisher's report on the attempt in progress; a redelivered report changes nothing",
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: publicationBody,
    responses: answer('The post, published, failed, or scheduled for a retry'),
    async handler({ req, res, body }) {
      const now = deps.now().toISOString();
      const result = await handlePostCommand(deps, req, 'post:record-publication', () => ({ type: 'RecordPublication', now, ...body }));
      sendPost(req, res, 200, result);
    },
  });
};
