import { DomainError } from '../errors';

export class WorkspaceNotFound extends DomainError {
  constructor() {
    super('WorkspaceNotFound', 'no such workspace', 'notFound');
  }
}

export class WorkspaceAlreadyExists extends DomainError {
  constructor(workspaceId: string) {
    super('WorkspaceAlreadyExists', `workspace ${workspaceId} already exists`);
  }
}

export class InvalidWorkspaceName extends DomainError {
  constructor() {
    super('InvalidWorkspaceName', 'name must have 1–100 characters', 'invalid', 'name');
  }
}

export class InvalidRole extends DomainError {
  constructor(role: string, field = 'role') {
    super('InvalidRole', `${JSON.stringify(role)} is not a workspace role (owner, admin, editor, contributor, viewer)`, 'invalid', field);
  }
}

export class InvalidApprovalsRequired extends DomainError {
  constructor(value: number) {
    super('InvalidApprovalsRequired', `approvalsRequired must be a whole number from 1 to 10, not ${value}`, 'invalid', 'approvalsRequired');
  }
}

export class MemberAlreadyExists extends DomainError {
  constructor(userId: string) {
    super('MemberAlreadyExists', `user ${userId} is already a member`);
  }
}

export class MemberNotFound extends DomainError {
  constructor(userId: string) {
    super('MemberNotFound', `user ${userId} is not a member`, 'notFound');
  }
}

/** A workspace always keeps at least one owner. */
export class LastOwnerCannotLeave extends DomainError {
  constructor() {
    super('LastOwnerCannotLeave', 'the last owner cannot leave or be demoted; make another member owner first');
  }
}

export class OnlyOwnerManagesOwners extends DomainError {
  constructor() {
    super('OnlyOwnerManagesOwners', 'only an owner may grant or take the owner role', 'forbidden');
  }
}
