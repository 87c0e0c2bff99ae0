import { inCanonicalOrder } from '../values';
import { InvalidApprovalsRequired, InvalidRole } from './errors';
import { isWorkspaceRole, type WorkspaceRole, workspaceRoles } from './roles';

/** Which roles need an approved post to schedule or publish it, and how many approvers. */
export interface ApprovalPolicy {
  requireApprovalFor: WorkspaceRole[];
  approvalsRequired: number;
}

/** A new workspace's policy: contributors' posts need one approval. */
export const defaultApprovalPolicy: ApprovalPolicy = { requireApprovalFor: ['contributor'], approvalsRequired: 1 };

/**
 * Checks an approvals count: a whole number from 1 to 10; throws InvalidApprovalsRequired.
 *
 * ```ts
 * toApprovalsRequired(2); // 2
 * ```
 */
export function toApprovalsRequired(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 10) throw new InvalidApprovalsRequired(value);
  return value;
}

/**
 * A policy with its roles checked, deduplicated and in canonical order.
 *
 * ```ts
 * toApprovalPolicy({ requireApprovalFor: ['viewer', 'contributor'], approvalsRequired: 1 });
 * // { requireApprovalFor: ['contributor', 'viewer'], approvalsRequired: 1 }
 * ```
 */
export function toApprovalPolicy(policy: ApprovalPolicy): ApprovalPolicy {
  const unknown = policy.requireApprovalFor.find((role) => !isWorkspaceRole(role));
  if (unknown !== undefined) throw new InvalidRole(unknown, 'requireApprovalFor');
  return {
    requireApprovalFor: inCanonicalOrder(policy.requireApprovalFor, workspaceRoles),
    approvalsRequired: toApprovalsRequired(policy.approvalsRequired),
  };
}
