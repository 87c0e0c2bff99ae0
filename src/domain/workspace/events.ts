import { z } from 'zod';
import { defineEvents, type EventsOf, fields } from '../event-schema';
import { workspaceRoles } from './roles';

const role = z.enum(workspaceRoles);
const approvalPolicy = {
  requireApprovalFor: z.array(role),
  approvalsRequired: z.int().min(1).max(10),
};

/** The workspace's events. */
export const workspaceEvents = defineEvents({
  WorkspaceCreated: {
    schemaVersion: 1,
    schema: z.strictObject({
      workspaceId: fields.id,
      name: z.string().min(1).max(100),
      ownerId: fields.id,
      approvalPolicy: z.strictObject(approvalPolicy),
    }),
  },
  MemberAdded: { schemaVersion: 1, schema: z.strictObject({ userId: fields.id, role }) },
  MemberRoleChanged: { schemaVersion: 1, schema: z.strictObject({ userId: fields.id, from: role, to: role }) },
  MemberRemoved: { schemaVersion: 1, schema: z.strictObject({ userId: fields.id }) },
  ApprovalPolicySet: { schemaVersion: 1, schema: z.strictObject(approvalPolicy) },
});

export type WorkspaceEvent = EventsOf<typeof workspaceEvents>;
