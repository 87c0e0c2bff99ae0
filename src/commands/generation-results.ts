/**
 * The AI service's result for a generation, however it arrives: the signed webhook
 * (POST /v1/webhooks/ai) or the Kafka topic `postledger.ai.generation-results`. Both run
 * this one command path, so they accept and refuse the same results.
 */
import { generationDecider, type GenerationCommand, type GenerationEvent, type GenerationState } from '../domain/generation';
import { httpUrlSchema } from '../domain/values';
import type { EventMetadata } from '../eventstore/port';
import { z } from '../http/openapi';
import { text } from '../http/validation';
import type { CommandHandler, CommandResult } from './command-handler';
import { ResourceNotFound } from './errors';

// the domain checks what each kind must return, the exact lengths, and normalizes
export const generationOutputSchema = z
  .strictObject({
    text: text(1, 10_000).optional(),
    hashtags: z.array(text(1, 101)).min(1).max(30).optional().openapi({ description: 'With or without the leading #' }),
    imageUrl: httpUrlSchema.optional(),
  })
  .openapi({ description: 'text for caption and rewrite, hashtags for hashtags, imageUrl for image' });

export const generationErrorSchema = text(1, 2000);

/** A result as the AI service reports it, without the ids that say which generation it is for. */
export type GenerationResult = { status: 'completed'; output: z.output<typeof generationOutputSchema> } | { status: 'failed'; error: string };

export interface GenerationResultInput {
  generationId: string;
  result: GenerationResult;
  /** Given by senders that know it (Kafka messages): a generation of another workspace is then unknown. */
  workspaceId?: string;
  now: Date;
  /** The events' metadata, once the generation's workspace is known (events belong to it). */
  metadata: (workspaceId: string) => EventMetadata;
  /** See HandleOptions.idempotencyKey: for results that may be delivered twice. */
  idempotencyKey?: string;
}

/**
 * Completes or fails a generation. An unknown generation (or one of another workspace, when
 * `workspaceId` is given) is ResourceNotFound; the same result again appends nothing; another
 * result for a settled generation is GenerationAlreadySettled; an output that does not fit the
 * kind is InvalidGenerationOutput.
 *
 * ```ts
 * await recordGenerationResult(commands, { generationId, result: { status: 'completed', output: { text: 'Hi' } },
 *   now: new Date(), metadata: (workspaceId) => ({ actor: { type: 'system', id: 'ai-webhook' }, workspaceId }) });
 * ```
 */
export async function recordGenerationResult(commands: CommandHandler, input: GenerationResultInput): Promise<CommandResult<GenerationState, GenerationEvent>> {
  const streamId = `generation-${input.generationId.toLowerCase()}`;
  // the events belong to the generation's workspace, which never changes
  const { state } = await commands.load(streamId, generationDecider);
  if (state.status === 'none' || (input.workspaceId !== undefined && state.workspaceId !== input.workspaceId.toLowerCase())) {
    throw new ResourceNotFound('The generation');
  }
  const { result } = input;
  const command: GenerationCommand =
    result.status === 'completed' ? { type: 'CompleteGeneration', output: result.output, now: input.now.toISOString() } : { type: 'FailGeneration', error: result.error };
  return commands.handle({
    streamId,
    decider: generationDecider,
    command,
    metadata: input.metadata(state.workspaceId),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  });
}
