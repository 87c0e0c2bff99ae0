import { actorIdOf } from '../../auth/principal';
import { randomUUID } from 'node:crypto';
import { workspaceDecider, type Workspace } from '../../domain/workspace/decider';
import { workspaceRoles, type WorkspaceRole } from '../../domain/workspace/roles';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId } from '../../http/validation';
import { ResourceNotFound } from '../errors';
import { accessWorkspace } from '../workspace-access';
import type { RouteGroup } from '.';

const role = z.enum(workspaceRoles);
export const workspaceView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    members: z.array(z.object({ userId: z.uuid(), role })),
    approvalPolicy: z.object({ requireApprovalFor: z.array(role), approvalsRequired: z.number().int() }),
  })
  .openapi('Workspace');
const memberView = z.object({ userId: z.uuid(), role }).openapi('Member');

/** The workspace as commands return it. */
export function workspaceBody(workspace: Workspace): z.infer<typeof workspaceView> {
  return {
    id: workspace.workspaceId,
    name: workspace.name,
    members: Object.entries(workspace.members).map(([userId, r]) => ({ userId, role: r })),
    approvalPolicy: { requireApprovalFor: [...workspace.policy.requireApprovalFor], approvalsRequired: workspace.policy.approvalsRequired },
  };
}

/** POST /v1/workspaces, members and the approval policy. */
export const workspaceRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces',
    summary: 'Create a workspace; the caller becomes its owner',
    tag: 'workspaces',
    auth: 'user',
    body: z.strictObject({ name: z.string().trim().min(1).max(100) }),
    responses: { 201: { description: 'Created', schema: workspaceView } },
    async handler({ req, res, body, principal }) {
      if (principal.kind !== 'user') return;
      const workspaceId = randomUUID();
      const result = await deps.commands.handle({
        streamId: `workspace-${workspaceId}`,
        newStream: true,
        decider: workspaceDecider,
        command: { type: 'CreateWorkspace', workspaceId, name: body.name, ownerId: principal.userId },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 201, workspaceBody(result.state as Workspace), result, `/v1/workspaces/${workspaceId}`);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/members',
    summary: 'Add a registered user to the workspace by email',
    tag: 'workspaces',
    auth: 'user',
    body: z.strictObject({ email: z.string().trim().max(254).email(), role }),
    responses: { 201: { description: 'Added', schema: memberView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const access = await accessWorkspace(deps.commands, principal, workspaceId, 'workspace:manage');
      const credential = await deps.credentials.findByEmail(body.email);
      if (!credential) throw new ResourceNotFound('A user with this email');
      const result = await deps.commands.handle({
        streamId: `workspace-${workspaceId}`,
        decider: workspaceDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'AddMember', userId: credential.userId, role: body.role, by: actorIdOf(principal), byRole: access.role! },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 201, { userId: credential.userId, role: body.role }, result, `/v1/workspaces/${workspaceId}/members/${credential.userId}`);
    },
  });

  api.route({
    method: 'patch',
    path: '/v1/workspaces/{workspaceId}/members/{userId}',
    summary: "Change a member's role",
    tag: 'workspaces',
    auth: 'user',
    body: z.strictObject({ role }),
    responses: { 200: { description: 'Changed', schema: memberView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const userId = pathId(req, 'userId', 'The member');
      const access = await accessWorkspace(deps.commands, principal, workspaceId, 'workspace:manage');
      const result = await deps.commands.handle({
        streamId: `workspace-${workspaceId}`,
        decider: workspaceDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'ChangeMemberRole', userId, role: body.role, by: actorIdOf(principal), byRole: access.role! },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 200, { userId, role: body.role }, result);
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/workspaces/{workspaceId}/members/{userId}',
    summary: 'Remove a member (or leave); the last owner cannot leave',
    tag: 'workspaces',
    auth: 'user',
    responses: { 204: { description: 'Removed' } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const userId = pathId(req, 'userId', 'The member');
      // leaving needs only membership; removing someone else is checked by the decider
      const access = await accessWorkspace(deps.commands, principal, workspaceId, 'workspace:read');
      const result = await deps.commands.handle({
        streamId: `workspace-${workspaceId}`,
        decider: workspaceDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'RemoveMember', userId, by: actorIdOf(principal), byRole: access.role! },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 204, undefined, result);
    },
  });

  api.route({
    method: 'put',
    path: '/v1/workspaces/{workspaceId}/approval-policy',
    summary: 'Set which roles need approval and how many approvals',
    tag: 'workspaces',
    auth: 'user',
    body: z.strictObject({ requireApprovalFor: z.array(role).max(5), approvalsRequired: z.number().int().min(1).max(10) }),
    responses: { 200: { description: 'The workspace with its policy', schema: workspaceView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const access = await accessWorkspace(deps.commands, principal, workspaceId, 'workspace:manage');
      const result = await deps.commands.handle({
        streamId: `workspace-${workspaceId}`,
        decider: workspaceDecider,
        expectedRevision: ifMatch(req),
        command: { type: 'SetApprovalPolicy', requireApprovalFor: body.requireApprovalFor as WorkspaceRole[], approvalsRequired: body.approvalsRequired, by: actorIdOf(principal), byRole: access.role! },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 200, workspaceBody(result.state as Workspace), result);
    },
  });
};
