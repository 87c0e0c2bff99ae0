/**
 * The payloads the AI service and the publisher workers send on Postledger's inbound topics
 * (README "Kafka for the AI team and publisher workers"). Each names its aggregate and the
 * workspace it belongs to: a result for another workspace's generation or post is refused as
 * unknown. Unknown fields are ignored, so a sender may add its own (tolerant reader).
 */
import { generationErrorSchema, generationOutputSchema } from '../../commands/generation-results';
import { publicationOutcomeFields } from '../../commands/publication-reports';
import { z } from '../../http/openapi';

const ids = { workspaceId: z.uuid() };

/**
 * `postledger.ai.generation-results`, key = generationId.
 *
 * ```json
 * { "generationId": "…", "workspaceId": "…", "status": "completed", "output": { "text": "Big news!" } }
 * { "generationId": "…", "workspaceId": "…", "status": "failed", "error": "content policy" }
 * ```
 */
export const generationResultMessage = z.discriminatedUnion('status', [
  z.object({ generationId: z.uuid(), ...ids, status: z.literal('completed'), output: generationOutputSchema }),
  z.object({ generationId: z.uuid(), ...ids, status: z.literal('failed'), error: generationErrorSchema }),
]);
export type GenerationResultMessage = z.output<typeof generationResultMessage>;

/** The attempt the report is for: `data.attempt` of the PostPublishRequested it answers. */
const attempt = z.int().min(1);

/**
 * `postledger.publish-results`, key = postId.
 *
 * ```json
 * { "postId": "…", "workspaceId": "…", "attempt": 1, "status": "published", "externalId": "1789", "url": "https://x.com/acme/status/1789" }
 * { "postId": "…", "workspaceId": "…", "attempt": 1, "status": "failed", "error": "HTTP 503", "retryable": true }
 * ```
 */
export const publishResultMessage = z.discriminatedUnion('status', [
  z.object({ postId: z.uuid(), ...ids, attempt, ...publicationOutcomeFields.published }),
  z.object({ postId: z.uuid(), ...ids, attempt, ...publicationOutcomeFields.failed }),
]);
export type PublishResultMessage = z.output<typeof publishResultMessage>;
