import { z } from 'zod';
import { defineEvents, type EventsOf, fields, personalGroup } from '../event-schema';
import { platformRoles } from './platform-roles';

const displayNameSchema = z.string().min(1).max(100);
const bioSchema = z.string().min(1).max(500);

/**
 * The user's events. Personal data sits only under `personal`, so it can be encrypted per
 * person (the person is the user of the stream); it reads as `{ erased: true }` once erased.
 */
export const userEvents = defineEvents({
  UserRegistered: {
    schemaVersion: 1,
    schema: z.strictObject({
      userId: fields.id,
      personal: personalGroup(z.strictObject({ email: z.email().max(254), displayName: displayNameSchema })),
    }),
  },
  UserProfileUpdated: {
    schemaVersion: 1,
    schema: z.strictObject({
      personal: personalGroup(
        z.strictObject({
          displayName: displayNameSchema.optional(),
          bio: bioSchema.nullable().optional(),
          avatarUrl: fields.httpUrl.nullable().optional(),
        }),
      ).optional(),
      timezone: z.string().min(1).max(64).optional(),
      locale: z.string().min(2).max(35).optional(),
    }),
  },
  UserPasswordChanged: { schemaVersion: 1, schema: z.strictObject({}) },
  UserPasswordReset: { schemaVersion: 1, schema: z.strictObject({}) },
  UserPlatformRolesSet: { schemaVersion: 1, schema: z.strictObject({ roles: z.array(z.enum(platformRoles)) }) },
  UserDeactivated: { schemaVersion: 1, schema: z.strictObject({ reason: fields.reason.optional() }) },
  UserReactivated: { schemaVersion: 1, schema: z.strictObject({}) },
  /**
   * The person's key was destroyed: every personal group of this stream reads as erased from
   * now on. Carries no personal data; downstream consumers must drop what they kept of the user.
   */
  UserErased: { schemaVersion: 1, schema: z.strictObject({}) },
});

export type UserEvent = EventsOf<typeof userEvents>;
