import type { Decider } from '../decider';
import { assertCan } from '../permissions';
import { hasLength, sameItems } from '../values';
import type { ChangeMemberRole, RemoveMember, WorkspaceCommand } from './commands';
import {
  InvalidRole,
  InvalidWorkspaceName,
  LastOwnerCannotLeave,
  MemberAlreadyExists,
  MemberNotFound,
  OnlyOwnerManagesOwners,
  WorkspaceAlreadyExists,
  WorkspaceNotFound,
} from './errors';
import type { WorkspaceEvent } from './events';
import { type ApprovalPolicy, defaultApprovalPolicy, toApprovalPolicy } from './policy';
import { isWorkspaceRole, type WorkspaceRole } from './roles';

export interface Workspace {
  status: 'active';
  workspaceId: string;
  name: string;
  /** Role by user id. Read it through `roleOf`. */
  members: Readonly<Record<string, WorkspaceRole>>;
  policy: ApprovalPolicy;
}

export type WorkspaceState = { status: 'none' } | Workspace;

/**
 * A member's role, or undefined when the user is not a member.
 *
 * ```ts
 * roleOf(workspace, userId) === 'owner';
 * ```
 */
export function roleOf(state: WorkspaceState, userId: string): WorkspaceRole | undefined {
  return state.status === 'active' && Object.hasOwn(state.members, userId) ? state.members[userId] : undefined;
}

/**
 * Whether a member with `role` needs an approved post to schedule or publish it. The post
 * commands take the answer as `approvalRequired`; pass the acting member's role.
 *
 * ```ts
 * requiresApproval(workspace, 'contributor'); // true under the default policy
 * ```
 */
export function requiresApproval(state: WorkspaceState, role: WorkspaceRole): boolean {
  const policy = state.status === 'active' ? state.policy : defaultApprovalPolicy;
  return policy.requireApprovalFor.includes(role);
}

function decide(command: WorkspaceCommand, state: WorkspaceState): WorkspaceEvent[] {
  if (command.type === 'CreateWorkspace') {
    if (state.status !== 'none') throw new WorkspaceAlreadyExists(state.workspaceId);
    if (!hasLength(command.name, 1, 100)) throw new InvalidWorkspaceName();
    const { workspaceId, ownerId } = command;
    return [
      { type: 'WorkspaceCreated', data: { workspaceId, name: command.name.trim(), ownerId, approvalPolicy: defaultApprovalPolicy } },
      { type: 'MemberAdded', data: { userId: ownerId, role: 'owner' } },
    ];
  }
  if (state.status === 'none') throw new WorkspaceNotFound();
  switch (command.type) {
    case 'AddMember': {
      assertRole(command.role);
      assertCan(command.byRole, 'workspace:manage');
      if (roleOf(state, command.userId) !== undefined) throw new MemberAlreadyExists(command.userId);
      if (command.role === 'owner') assertOwner(command.byRole);
      return [{ type: 'MemberAdded', data: { userId: command.userId, role: command.role } }];
    }
    case 'ChangeMemberRole':
      return changeMemberRole(command, state);
    case 'RemoveMember':
      return removeMember(command, state);
    case 'SetApprovalPolicy': {
      assertCan(command.byRole, 'workspace:manage');
      const policy = toApprovalPolicy(command);
      const unchanged =
        policy.approvalsRequired === state.policy.approvalsRequired && sameItems(policy.requireApprovalFor, state.policy.requireApprovalFor);
      return unchanged ? [] : [{ type: 'ApprovalPolicySet', data: policy }];
    }
  }
}

function changeMemberRole(command: ChangeMemberRole, state: Workspace): WorkspaceEvent[] {
  assertRole(command.role);
  assertCan(command.byRole, 'workspace:manage');
  const from = memberRole(state, command.userId);
  if (from === command.role) return [];
  if (from === 'owner' || command.role === 'owner') assertOwner(command.byRole);
  if (from === 'owner') assertNotLastOwner(state);
  return [{ type: 'MemberRoleChanged', data: { userId: command.userId, from, to: command.role } }];
}

function removeMember(command: RemoveMember, state: Workspace): WorkspaceEvent[] {
  const leaving = command.by === command.userId;
  if (!leaving) assertCan(command.byRole, 'workspace:manage');
  const role = memberRole(state, command.userId);
  if (role === 'owner') {
    if (!leaving) assertOwner(command.byRole);
    assertNotLastOwner(state);
  }
  return [{ type: 'MemberRemoved', data: { userId: command.userId } }];
}

function assertRole(role: string): void {
  if (!isWorkspaceRole(role)) throw new InvalidRole(role);
}

function assertOwner(byRole: WorkspaceRole): void {
  if (byRole !== 'owner') throw new OnlyOwnerManagesOwners();
}

function memberRole(state: Workspace, userId: string): WorkspaceRole {
  const role = roleOf(state, userId);
  if (role === undefined) throw new MemberNotFound(userId);
  return role;
}

function assertNotLastOwner(state: Workspace): void {
  if (Object.values(state.members).filter((role) => role === 'owner').length <= 1) throw new LastOwnerCannotLeave();
}

function evolve(state: WorkspaceState, event: WorkspaceEvent): WorkspaceState {
  if (event.type === 'WorkspaceCreated') {
    const { workspaceId, name, approvalPolicy } = event.data;
    return { status: 'active', workspaceId, name, members: {}, policy: approvalPolicy };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'MemberAdded':
      return { ...state, members: { ...state.members, [event.data.userId]: event.data.role } };
    case 'MemberRoleChanged':
      return { ...state, members: { ...state.members, [event.data.userId]: event.data.to } };
    case 'MemberRemoved': {
      const members = { ...state.members };
      delete members[event.data.userId];
      return { ...state, members };
    }
    case 'ApprovalPolicySet':
      return { ...state, policy: event.data };
  }
}

/**
 * The workspace aggregate: members, their roles and the approval policy.
 *
 * ```ts
 * const events = workspaceDecider.decide(
 *   { type: 'ChangeMemberRole', userId, role: 'editor', by: me, byRole: roleOf(state, me)! },
 *   state,
 * );
 * ```
 */
export const workspaceDecider: Decider<WorkspaceCommand, WorkspaceEvent, WorkspaceState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
