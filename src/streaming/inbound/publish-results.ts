import { recordPublicationReport } from '../../commands/publication-reports';
import { topics } from '../bus';
import { DEFAULT_GROUP_PREFIX, type InboundTopic, type InboundTopicDeps } from './inbound-consumer';
import { publishResultMessage } from './messages';

/**
 * `postledger.publish-results` → the publication outcome of a post: the command the HTTP
 * publication callback runs, for the attempt the report names, recorded as the system actor
 * `publish-results`.
 *
 * ```ts
 * await consumeInbound(publishResults({ commands, now: () => new Date() }), deps);
 * ```
 */
export function publishResults(deps: InboundTopicDeps): InboundTopic<typeof publishResultMessage> {
  return {
    topic: topics.publishResults,
    groupId: `${deps.groupPrefix ?? DEFAULT_GROUP_PREFIX}.publish-results`,
    actor: { type: 'system', id: 'publish-results' },
    schema: publishResultMessage,
    notFound: 'unknown-post',
    async process(payload, context) {
      const { postId, workspaceId, attempt, ...outcome } = payload;
      await recordPublicationReport(deps.commands, {
        workspaceId,
        postId,
        attempt,
        outcome,
        now: deps.now(),
        metadata: context.metadata(workspaceId.toLowerCase()),
        idempotencyKey: context.idempotencyKey,
      });
    },
  };
}
