import { z } from 'zod';
import { socialPlatforms } from '../account/platforms';
import { defineEvents, type EventsOf, fields } from '../event-schema';
import { generationKinds } from './output';

const error = z.string().min(1).max(2000);

/** The content generation's events; GenerationRequested is what the AI service consumes. */
export const generationEvents = defineEvents({
  GenerationRequested: {
    schemaVersion: 1,
    schema: z.strictObject({
      generationId: fields.id,
      workspaceId: fields.id,
      kind: z.enum(generationKinds),
      prompt: z.string().min(1).max(4000),
      postId: fields.id.optional(),
      platform: z.enum(socialPlatforms).optional(),
      requestedBy: fields.id,
      requestedAt: fields.instant,
    }),
  },
  GenerationCompleted: {
    schemaVersion: 1,
    schema: z.strictObject({
      output: z.strictObject({
        text: z.string().min(1).max(10_000).optional(),
        hashtags: z.array(z.string().min(1).max(100)).min(1).max(30).optional(),
        imageUrl: fields.httpUrl.optional(),
      }),
      completedAt: fields.instant,
    }),
  },
  GenerationFailed: { schemaVersion: 1, schema: z.strictObject({ error }) },
  GenerationTimedOut: { schemaVersion: 1, schema: z.strictObject({ timedOutAt: fields.instant }) },
  GenerationApplied: { schemaVersion: 1, schema: z.strictObject({ postId: fields.id }) },
});

export type GenerationEvent = EventsOf<typeof generationEvents>;
