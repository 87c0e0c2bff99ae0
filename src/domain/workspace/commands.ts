import type { WorkspaceRole } from './roles';

/** Commands of the workspace aggregate (stream `workspace-<workspaceId>`). */
export type WorkspaceCommand = CreateWorkspace | AddMember | ChangeMemberRole | RemoveMember | SetApprovalPolicy;

/** The actor and their role in this workspace, as the handler found them. */
interface ByMember {
  by: string;
  byRole: WorkspaceRole;
}

export interface CreateWorkspace {
  type: 'CreateWorkspace';
  workspaceId: string;
  /** 1–100 characters once trimmed. */
  name: string;
  ownerId: string;
}

export interface AddMember extends ByMember {
  type: 'AddMember';
  userId: string;
  role: WorkspaceRole;
}

export interface ChangeMemberRole extends ByMember {
  type: 'ChangeMemberRole';
  userId: string;
  role: WorkspaceRole;
}

/** A member may always remove themselves (leave); removing someone else needs `workspace:manage`. */
export interface RemoveMember extends ByMember {
  type: 'RemoveMember';
  userId: string;
}

export interface SetApprovalPolicy extends ByMember {
  type: 'SetApprovalPolicy';
  /** Members with these roles need an approved post to schedule or publish it. */
  requireApprovalFor: WorkspaceRole[];
  /** 1–10 distinct approvers. */
  approvalsRequired: number;
}
