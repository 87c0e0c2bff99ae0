import { z } from 'zod';
import { defineEvents, type EventsOf, fields, type Upcaster } from '../event-schema';
import { normalizeTag } from './content';

const content = z.string().min(1).max(10_000);
const media = z.array(fields.httpUrl).max(10);
const tags = z.array(z.string().min(1).max(50)).max(30);
const approvalsRequired = z.int().min(1).max(10);

/** v1 stored tags as one comma-separated string (`"launch, q3"`); v2 stores a list. */
const postDraftedV1ToV2: Upcaster = ({ tags: v1Tags, ...data }) => ({
  ...data,
  tags: typeof v1Tags === 'string' ? [...new Set(v1Tags.split(',').map(normalizeTag).filter((tag) => tag !== ''))] : v1Tags,
});

/** The post's events. Creation carries the ids; later events rely on the stream id. */
export const postEvents = defineEvents({
  PostDrafted: {
    schemaVersion: 2,
    schema: z.strictObject({
      postId: fields.id,
      workspaceId: fields.id,
      accountId: fields.id,
      authorId: fields.id,
      content,
      media,
      tags,
    }),
    upcasters: { 1: postDraftedV1ToV2 },
  },
  /** Only the fields that changed. */
  PostEdited: {
    schemaVersion: 1,
    schema: z.strictObject({ changes: z.strictObject({ content: content.optional(), media: media.optional(), tags: tags.optional() }) }),
  },
  PostSubmitted: { schemaVersion: 1, schema: z.strictObject({ approvalsRequired }) },
  /** `approvals` counts this one; the post is approved once it reaches `approvalsRequired`. */
  PostApproved: { schemaVersion: 1, schema: z.strictObject({ by: fields.id, approvals: z.int().min(1), approvalsRequired }) },
  PostRejected: { schemaVersion: 1, schema: z.strictObject({ by: fields.id, reason: fields.reason }) },
  /** An edit by a member who needs approval undid the approval; any schedule was dropped. */
  PostReturnedForApproval: {
    schemaVersion: 1,
    schema: z.strictObject({ reason: z.literal('edited'), approvalsRequired, previouslyScheduledAt: fields.instant.optional() }),
  },
  PostScheduled: { schemaVersion: 1, schema: z.strictObject({ at: fields.instant }) },
  PostUnscheduled: { schemaVersion: 1, schema: z.strictObject({}) },
  /** What a publisher needs to publish: the attempt and the content as it stands. */
  PostPublishRequested: {
    schemaVersion: 1,
    schema: z.strictObject({
      attempt: z.int().min(1),
      requestedAt: fields.instant,
      trigger: z.enum(['manual', 'schedule', 'retry']),
      accountId: fields.id,
      content,
      media,
    }),
  },
  PostPublished: { schemaVersion: 1, schema: z.strictObject({ externalId: z.string().min(1).max(200), url: fields.httpUrl, publishedAt: fields.instant }) },
  PostPublishFailed: { schemaVersion: 1, schema: z.strictObject({ error: z.string().min(1).max(2000), retryable: z.boolean(), attempt: z.int().min(1) }) },
  PostPublishRetryScheduled: { schemaVersion: 1, schema: z.strictObject({ at: fields.instant }) },
  PostDeleted: { schemaVersion: 1, schema: z.strictObject({}) },
});

export type PostEvent = EventsOf<typeof postEvents>;
