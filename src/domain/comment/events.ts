import { z } from 'zod';
import { defineEvents, type EventsOf, fields } from '../event-schema';

const body = z.string().min(1).max(5000);

/** The comment's events. */
export const commentEvents = defineEvents({
  CommentAdded: {
    schemaVersion: 1,
    schema: z.strictObject({
      commentId: fields.id,
      postId: fields.id,
      workspaceId: fields.id,
      authorId: fields.id,
      body,
      parentId: fields.id.optional(),
    }),
  },
  CommentEdited: { schemaVersion: 1, schema: z.strictObject({ body }) },
  /** `byModerator`: removed by someone other than its author. */
  CommentDeleted: { schemaVersion: 1, schema: z.strictObject({ byModerator: z.boolean() }) },
});

export type CommentEvent = EventsOf<typeof commentEvents>;
