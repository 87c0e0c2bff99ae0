import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import type { ZodType } from 'zod';
import type { PostCommand } from '../../domain/post/commands';
import type { Action } from '../../domain/permissions';
import { z } from '../../http/openapi';
import { isoTime, text } from '../../http/validation';
import { publicationOutcomeFields, recordPublicationCommand } from '../publication-reports';
import { commandHeaders, handlePostCommand, type PostActor, postPathIds, postView, sendPost } from './posts';
import type { RouteGroup } from '.';

/** These commands take no fields; a body may be omitted, and one with fields is refused. */
const noFields = z.strictObject({}).openapi({ description: 'No fields; the body may be omitted' });
const rejectBody = z.strictObject({ reason: text(1, 1000) }).openapi('RejectPostRequest');
const scheduleBody = z.strictObject({ at: isoTime().openapi({ description: 'After now, at most two years ahead', example: '2025-03-01T09:30:00+01:00' }) }).openapi('SchedulePostRequest');
const publicationBody = z
  .discriminatedUnion('status', [
    z.strictObject(publicationOutcomeFields.published),
    z.strictObject(publicationOutcomeFields.failed),
  ])
  .openapi('PublicationReport');

const postPath = '/v1/workspaces/{workspaceId}/posts/{postId}';

interface Transition<Body extends ZodType> {
  /** The last path segment: `/…/posts/{postId}/<name>`. */
  name: string;
  summary: string;
  /** What the 200 answer's post is now. */
  outcome: string;
  action: Action;
  body: Body;
  command: (actor: PostActor, body: z.output<Body>, now: string) => PostCommand;
}

/** One POST route that runs one post command and answers with the post. */
function transition<Body extends ZodType>(api: ApiRouter, deps: ApiDeps, spec: Transition<Body>): void {
  api.route({
    method: 'post',
    path: `${postPath}/${spec.name}`,
    summary: spec.summary,
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: spec.body,
    responses: { 200: { description: spec.outcome, schema: postView, headers: commandHeaders } },
    async handler({ req, res, body }) {
      const now = deps.now().toISOString();
      sendPost(req, res, 200, await handlePostCommand(deps, req, spec.action, (actor) => spec.command(actor, body, now)));
    },
  });
}

/** Submit, approve, reject, schedule, unschedule, publish now, and the publisher's report. */
export const postLifecycleRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  transition(api, deps, {
    name: 'submit',
    summary: 'Submit a draft for approval; the workspace policy sets how many approvals it needs',
    outcome: 'The post, pending approval',
    action: 'post:submit',
    body: noFields,
    command: (actor) => ({ type: 'SubmitPost', by: actor.id, approvalsRequired: actor.approvalsRequired }),
  });
  transition(api, deps, {
    name: 'approve',
    summary: 'Approve a post pending approval; not by its author, once per member',
    outcome: 'The post, approved once it has its approvals',
    action: 'post:approve',
    body: noFields,
    command: (actor) => ({ type: 'ApprovePost', by: actor.id, byRole: actor.role }),
  });
  transition(api, deps, {
    name: 'reject',
    summary: 'Reject a post pending approval; it goes back to draft with the reason',
    outcome: 'The post, a draft again',
    action: 'post:reject',
    body: rejectBody,
    command: (actor, body) => ({ type: 'RejectPost', by: actor.id, reason: body.reason }),
  });
  transition(api, deps, {
    name: 'schedule',
    summary: 'Schedule (or reschedule) a post; it must be approved where the policy says so',
    outcome: 'The post, scheduled',
    action: 'post:schedule',
    body: scheduleBody,
    command: (actor, body, now) => ({ type: 'SchedulePost', by: actor.id, at: body.at, now, approvalRequired: actor.approvalRequired }),
  });
  transition(api, deps, {
    name: 'unschedule',
    summary: 'Take a scheduled post off the schedule; it returns to approved or draft',
    outcome: 'The post, no longer scheduled',
    action: 'post:schedule',
    body: noFields,
    command: (actor) => ({ type: 'UnschedulePost', by: actor.id }),
  });
  transition(api, deps, {
    name: 'publish',
    summary: 'Publish now (also the manual retry of a failed post); it must be approved where the policy says so',
    outcome: 'The post, publishing',
    action: 'post:publish',
    body: noFields,
    command: (actor, _body, now) => ({ type: 'PublishPost', by: actor.id, now, approvalRequired: actor.approvalRequired }),
  });
  transition(api, deps, {
    name: 'publication',
    summary: "A publisher's report on the attempt in progress; a redelivered report changes nothing",
    outcome: 'The post, published, failed, or scheduled for a retry',
    action: 'post:record-publication',
    body: publicationBody,
    command: (_actor, body, now) => recordPublicationCommand(body, now),
  });
};
