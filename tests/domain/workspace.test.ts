import { ActionNotPermitted } from '../../src/domain/errors';
import {
  InvalidApprovalsRequired,
  InvalidRole,
  InvalidWorkspaceName,
  LastOwnerCannotLeave,
  MemberAlreadyExists,
  MemberNotFound,
  OnlyOwnerManagesOwners,
  requiresApproval,
  roleOf,
  WorkspaceAlreadyExists,
  workspaceDecider,
  type WorkspaceEvent,
  workspaceEvents,
  WorkspaceNotFound,
  type WorkspaceRole,
} from '../../src/domain/workspace';
import { expectEveryTypeEmitted, given, stateAfter } from './support/given';

const created: WorkspaceEvent = {
  type: 'WorkspaceCreated',
  data: { workspaceId: 'ws-1', name: 'Acme', ownerId: 'olga', approvalPolicy: { requireApprovalFor: ['contributor'], approvalsRequired: 1 } },
};
const member = (userId: string, role: WorkspaceRole): WorkspaceEvent => ({ type: 'MemberAdded', data: { userId, role } });
/** olga owns, adam administers, eddie edits, carl contributes. */
const team = [created, member('olga', 'owner'), member('adam', 'admin'), member('eddie', 'editor'), member('carl', 'contributor')];
const byOwner = { by: 'olga', byRole: 'owner' } as const;
const byAdmin = { by: 'adam', byRole: 'admin' } as const;

describe('workspace', () => {
  describe('creating', () => {
    it('creates the workspace with the default policy and its owner as first member', () => {
      const state = given(workspaceDecider)
        .when({ type: 'CreateWorkspace', workspaceId: 'ws-1', name: '  Acme ', ownerId: 'olga' })
        .then([created, member('olga', 'owner')]);
      expect(roleOf(state, 'olga')).toBe('owner');
    });

    it.each([
      ['blank', ' '],
      ['over 100 characters', 'x'.repeat(101)],
    ])('refuses a name %s', (_case, name) => {
      given(workspaceDecider).when({ type: 'CreateWorkspace', workspaceId: 'ws-1', name, ownerId: 'olga' }).thenThrows(InvalidWorkspaceName, { kind: 'invalid', field: 'name' });
    });

    it('refuses to create it twice', () => {
      given(workspaceDecider, team).when({ type: 'CreateWorkspace', workspaceId: 'ws-1', name: 'Acme', ownerId: 'olga' }).thenThrows(WorkspaceAlreadyExists, { kind: 'conflict' });
    });

    it('answers WorkspaceNotFound to other commands on a missing workspace', () => {
      given(workspaceDecider).when({ type: 'AddMember', userId: 'x', role: 'viewer', ...byOwner }).thenThrows(WorkspaceNotFound, { kind: 'notFound' });
    });
  });

  describe('adding members', () => {
    it('adds a member', () => {
      given(workspaceDecider, team).when({ type: 'AddMember', userId: 'vera', role: 'viewer', ...byAdmin }).then([member('vera', 'viewer')]);
    });

    it('refuses an existing member', () => {
      given(workspaceDecider, team).when({ type: 'AddMember', userId: 'eddie', role: 'viewer', ...byAdmin }).thenThrows(MemberAlreadyExists, { kind: 'conflict' });
    });

    it('refuses an unknown role', () => {
      given(workspaceDecider, team)
        .when({ type: 'AddMember', userId: 'vera', role: 'king' as WorkspaceRole, ...byOwner })
        .thenThrows(InvalidRole, { kind: 'invalid', field: 'role' });
    });

    it('refuses a member without workspace:manage', () => {
      given(workspaceDecider, team).when({ type: 'AddMember', userId: 'vera', role: 'viewer', by: 'eddie', byRole: 'editor' }).thenThrows(ActionNotPermitted, { kind: 'forbidden' });
    });

    it('lets only an owner add an owner', () => {
      given(workspaceDecider, team).when({ type: 'AddMember', userId: 'otto', role: 'owner', ...byAdmin }).thenThrows(OnlyOwnerManagesOwners, { kind: 'forbidden' });
      given(workspaceDecider, team).when({ type: 'AddMember', userId: 'otto', role: 'owner', ...byOwner }).then([member('otto', 'owner')]);
    });
  });

  describe('changing roles', () => {
    it('changes a role, naming both', () => {
      const state = given(workspaceDecider, team)
        .when({ type: 'ChangeMemberRole', userId: 'carl', role: 'editor', ...byAdmin })
        .then([{ type: 'MemberRoleChanged', data: { userId: 'carl', from: 'contributor', to: 'editor' } }]);
      expect(roleOf(state, 'carl')).toBe('editor');
    });

    it('emits nothing for the same role', () => {
      given(workspaceDecider, team).when({ type: 'ChangeMemberRole', userId: 'carl', role: 'contributor', ...byAdmin }).then([]);
    });

    it('refuses an unknown member', () => {
      given(workspaceDecider, team).when({ type: 'ChangeMemberRole', userId: 'nobody', role: 'viewer', ...byAdmin }).thenThrows(MemberNotFound, { kind: 'notFound' });
    });

    it('refuses an unknown role and a member without workspace:manage', () => {
      given(workspaceDecider, team).when({ type: 'ChangeMemberRole', userId: 'carl', role: 'boss' as WorkspaceRole, ...byOwner }).thenThrows(InvalidRole);
      given(workspaceDecider, team).when({ type: 'ChangeMemberRole', userId: 'carl', role: 'viewer', by: 'carl', byRole: 'contributor' }).thenThrows(ActionNotPermitted);
    });

    it('lets only an owner grant or take the owner role', () => {
      given(workspaceDecider, team).when({ type: 'ChangeMemberRole', userId: 'eddie', role: 'owner', ...byAdmin }).thenThrows(OnlyOwnerManagesOwners, { kind: 'forbidden' });
      given(workspaceDecider, [...team, member('otto', 'owner')])
        .when({ type: 'ChangeMemberRole', userId: 'otto', role: 'admin', ...byAdmin })
        .thenThrows(OnlyOwnerManagesOwners);
      given(workspaceDecider, team)
        .when({ type: 'ChangeMemberRole', userId: 'eddie', role: 'owner', ...byOwner })
        .then([{ type: 'MemberRoleChanged', data: { userId: 'eddie', from: 'editor', to: 'owner' } }]);
    });

    it('refuses to demote the last owner', () => {
      given(workspaceDecider, team).when({ type: 'ChangeMemberRole', userId: 'olga', role: 'admin', ...byOwner }).thenThrows(LastOwnerCannotLeave, { kind: 'conflict' });
    });

    it('demotes an owner while another remains', () => {
      given(workspaceDecider, [...team, member('otto', 'owner')])
        .when({ type: 'ChangeMemberRole', userId: 'olga', role: 'admin', ...byOwner })
        .then([{ type: 'MemberRoleChanged', data: { userId: 'olga', from: 'owner', to: 'admin' } }]);
    });
  });

  describe('removing members', () => {
    it('removes a member', () => {
      const state = given(workspaceDecider, team).when({ type: 'RemoveMember', userId: 'carl', ...byAdmin }).then([{ type: 'MemberRemoved', data: { userId: 'carl' } }]);
      expect(roleOf(state, 'carl')).toBeUndefined();
    });

    it('lets any member leave', () => {
      given(workspaceDecider, team).when({ type: 'RemoveMember', userId: 'carl', by: 'carl', byRole: 'contributor' }).then([{ type: 'MemberRemoved', data: { userId: 'carl' } }]);
    });

    it('refuses to remove someone else without workspace:manage', () => {
      given(workspaceDecider, team).when({ type: 'RemoveMember', userId: 'carl', by: 'eddie', byRole: 'editor' }).thenThrows(ActionNotPermitted);
    });

    it('refuses an unknown member', () => {
      given(workspaceDecider, team).when({ type: 'RemoveMember', userId: 'nobody', ...byOwner }).thenThrows(MemberNotFound, { kind: 'notFound' });
    });

    it('never removes the last owner, even when they leave', () => {
      given(workspaceDecider, team).when({ type: 'RemoveMember', userId: 'olga', ...byOwner }).thenThrows(LastOwnerCannotLeave);
    });

    it('lets only an owner remove another owner; an owner may leave while another remains', () => {
      const twoOwners = [...team, member('otto', 'owner')];
      given(workspaceDecider, twoOwners).when({ type: 'RemoveMember', userId: 'otto', ...byAdmin }).thenThrows(OnlyOwnerManagesOwners);
      given(workspaceDecider, twoOwners).when({ type: 'RemoveMember', userId: 'otto', ...byOwner }).then([{ type: 'MemberRemoved', data: { userId: 'otto' } }]);
      given(workspaceDecider, twoOwners).when({ type: 'RemoveMember', userId: 'olga', ...byOwner }).then([{ type: 'MemberRemoved', data: { userId: 'olga' } }]);
    });
  });

  describe('approval policy', () => {
    it('sets the policy with roles in canonical order', () => {
      const state = given(workspaceDecider, team)
        .when({ type: 'SetApprovalPolicy', requireApprovalFor: ['editor', 'contributor', 'editor'], approvalsRequired: 2, ...byAdmin })
        .then([{ type: 'ApprovalPolicySet', data: { requireApprovalFor: ['editor', 'contributor'], approvalsRequired: 2 } }]);
      expect(requiresApproval(state, 'editor')).toBe(true);
      expect(requiresApproval(state, 'admin')).toBe(false);
    });

    it('emits nothing for the same policy', () => {
      given(workspaceDecider, team).when({ type: 'SetApprovalPolicy', requireApprovalFor: ['contributor'], approvalsRequired: 1, ...byAdmin }).then([]);
      given(workspaceDecider, team)
        .when({ type: 'SetApprovalPolicy', requireApprovalFor: ['contributor'], approvalsRequired: 3, ...byAdmin })
        .then([{ type: 'ApprovalPolicySet', data: { requireApprovalFor: ['contributor'], approvalsRequired: 3 } }]);
    });

    it.each([0, 11, 1.5])('refuses %p approvals', (approvalsRequired) => {
      given(workspaceDecider, team)
        .when({ type: 'SetApprovalPolicy', requireApprovalFor: [], approvalsRequired, ...byOwner })
        .thenThrows(InvalidApprovalsRequired, { kind: 'invalid', field: 'approvalsRequired' });
    });

    it('refuses an unknown role and a member without workspace:manage', () => {
      given(workspaceDecider, team)
        .when({ type: 'SetApprovalPolicy', requireApprovalFor: ['intern' as WorkspaceRole], approvalsRequired: 1, ...byOwner })
        .thenThrows(InvalidRole, { field: 'requireApprovalFor' });
      given(workspaceDecider, team)
        .when({ type: 'SetApprovalPolicy', requireApprovalFor: [], approvalsRequired: 1, by: 'eddie', byRole: 'editor' })
        .thenThrows(ActionNotPermitted);
    });
  });

  describe('helpers', () => {
    it('knows no roles and the default policy before the workspace exists', () => {
      const none = workspaceDecider.initialState();
      expect(roleOf(none, 'olga')).toBeUndefined();
      expect(requiresApproval(none, 'contributor')).toBe(true);
      expect(requiresApproval(none, 'editor')).toBe(false);
    });

    it('does not mistake object properties for members', () => {
      expect(roleOf(stateAfter(workspaceDecider, team), 'constructor')).toBeUndefined();
    });

    it('ignores events before creation when folding', () => {
      expect(workspaceDecider.evolve({ status: 'none' }, member('olga', 'owner'))).toEqual({ status: 'none' });
    });
  });

  it('emits every workspace event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(workspaceEvents));
  });
});
