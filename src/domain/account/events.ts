import { z } from 'zod';
import { defineEvents, type EventsOf, fields } from '../event-schema';
import { socialPlatforms } from './platforms';

const handle = z.string().min(1).max(100);

/** The social account's events. A handle names a brand's account, not a person of ours: it is not `personal`. */
export const accountEvents = defineEvents({
  AccountConnected: {
    schemaVersion: 1,
    schema: z.strictObject({
      accountId: fields.id,
      workspaceId: fields.id,
      platform: z.enum(socialPlatforms),
      handle,
      externalId: z.string().min(1).max(200),
      connectedBy: fields.id,
    }),
  },
  AccountReconnected: { schemaVersion: 1, schema: z.strictObject({ handle }) },
  AccountNeedsReconnect: { schemaVersion: 1, schema: z.strictObject({ reason: fields.reason }) },
  AccountDisconnected: { schemaVersion: 1, schema: z.strictObject({}) },
});

export type AccountEvent = EventsOf<typeof accountEvents>;
