import { recordGenerationResult } from '../../commands/generation-results';
import { topics } from '../bus';
import { DEFAULT_GROUP_PREFIX, type InboundTopic, type InboundTopicDeps } from './inbound-consumer';
import { generationResultMessage } from './messages';

/**
 * `postledger.ai.generation-results` → complete or fail the generation: the command the AI
 * webhook runs, recorded as the system actor `ai-results`.
 *
 * ```ts
 * await consumeInbound(generationResults({ commands, now: () => new Date() }), deps);
 * ```
 */
export function generationResults(deps: InboundTopicDeps): InboundTopic<typeof generationResultMessage> {
  return {
    topic: topics.generationResults,
    groupId: `${deps.groupPrefix ?? DEFAULT_GROUP_PREFIX}.generation-results`,
    actor: { type: 'system', id: 'ai-results' },
    schema: generationResultMessage,
    notFound: 'unknown-generation',
    async process(payload, context) {
      const { generationId, workspaceId, ...result } = payload;
      await recordGenerationResult(deps.commands, {
        generationId,
        workspaceId,
        result,
        now: deps.now(),
        metadata: context.metadata,
        idempotencyKey: context.idempotencyKey,
      });
    },
  };
}
