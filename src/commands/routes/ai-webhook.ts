import type { Actor } from '../../eventstore/port';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, signedJsonBody } from '../../http/webhook-signature';
import { generationErrorSchema, generationOutputSchema, recordGenerationResult } from '../generation-results';
import type { RouteGroup } from '.';

/** Who the AI service's results are recorded as. */
const AI_SERVICE: Actor = { type: 'system', id: 'ai-webhook' };
/** Generous for the largest result (10 000 characters of text, 30 hashtags), even fully escaped. */
const BODY_LIMIT_BYTES = 256 * 1024;

const resultBody = z
  .discriminatedUnion('status', [
    z.strictObject({ generationId: z.uuid(), status: z.literal('completed'), output: generationOutputSchema }),
    z.strictObject({ generationId: z.uuid(), status: z.literal('failed'), error: generationErrorSchema }),
  ])
  .openapi('AiGenerationResult');

/** POST /v1/webhooks/ai: the AI service reports a generation's result, signed with the webhook secret. */
export const aiWebhookRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/webhooks/ai',
    summary:
      `The AI service reports a generation's result. Signed: ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> ` +
      `with the webhook secret; a missing, bad or stale (over ${SIGNATURE_TOLERANCE_SECONDS} s) signature is 401. A redelivered result changes nothing; a different one for a settled generation is 409.`,
    tag: 'generations',
    auth: 'none',
    rateLimit: 'webhook',
    body: resultBody,
    before: signedJsonBody({ secret: deps.webhookSecret, now: () => deps.now(), limitBytes: BODY_LIMIT_BYTES }),
    responses: { 204: { description: 'Recorded, or already recorded' } },
    async handler({ req, res, body }) {
      const { generationId, ...result } = body;
      const outcome = await recordGenerationResult(deps.commands, {
        generationId,
        result,
        now: deps.now(),
        metadata: (workspaceId) => eventMetadata(req, { workspaceId, actor: AI_SERVICE }),
      });
      sendCommandResult(req, res, 204, undefined, outcome);
    },
  });
};
