import { z } from 'zod';
import { defineEvents, type EventsOf, fields } from '../event-schema';
import { apiKeyScopes } from './scopes';

/** The API key's events. They describe the key; its secret lives only in the credentials table. */
export const apiKeyEvents = defineEvents({
  ApiKeyCreated: {
    schemaVersion: 1,
    schema: z.strictObject({
      apiKeyId: fields.id,
      workspaceId: fields.id,
      name: z.string().min(1).max(100),
      scopes: z.array(z.enum(apiKeyScopes)).min(1),
      prefix: z.string().regex(/^[A-Za-z0-9_-]{4,32}$/),
      createdBy: fields.id,
    }),
  },
  ApiKeyRevoked: { schemaVersion: 1, schema: z.strictObject({}) },
});

export type ApiKeyEvent = EventsOf<typeof apiKeyEvents>;
