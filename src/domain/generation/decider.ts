import { InvalidPlatform } from '../account/errors';
import { isSocialPlatform } from '../account/platforms';
import type { Decider } from '../decider';
import type { EventData } from '../event-schema';
import { hasLength, toInstant } from '../values';
import type { GenerationCommand, RequestGeneration } from './commands';
import {
  GenerationAlreadyRequested,
  GenerationAlreadySettled,
  GenerationNotCompleted,
  GenerationNotFound,
  InvalidGenerationError,
  InvalidGenerationKind,
  InvalidPrompt,
} from './errors';
import type { GenerationEvent } from './events';
import { type GenerationOutput, generationKinds, isSameOutput, toGenerationOutput } from './output';

export type GenerationStatus = 'requested' | 'completed' | 'failed' | 'timed_out';

export interface Generation extends EventData<GenerationEvent, 'GenerationRequested'> {
  status: GenerationStatus;
  output?: GenerationOutput;
  error?: string;
  /** Posts the output went into, oldest first. */
  appliedTo: string[];
}

export type GenerationState = { status: 'none' } | Generation;

function decide(command: GenerationCommand, state: GenerationState): GenerationEvent[] {
  if (command.type === 'RequestGeneration') return request(command, state);
  if (state.status === 'none') throw new GenerationNotFound();
  switch (command.type) {
    case 'CompleteGeneration': {
      const output = toGenerationOutput(state.kind, command.output);
      const completedAt = toInstant(command.now, 'now').iso;
      if (state.status === 'completed' && state.output && isSameOutput(state.output, output)) return [];
      if (state.status !== 'requested') throw new GenerationAlreadySettled(state.status);
      return [{ type: 'GenerationCompleted', data: { output, completedAt } }];
    }
    case 'FailGeneration': {
      if (!hasLength(command.error, 1, 2000)) throw new InvalidGenerationError();
      const error = command.error.trim();
      if (state.status === 'failed' && state.error === error) return [];
      if (state.status !== 'requested') throw new GenerationAlreadySettled(state.status);
      return [{ type: 'GenerationFailed', data: { error } }];
    }
    case 'TimeOutGeneration': {
      const timedOutAt = toInstant(command.now, 'now').iso;
      return state.status === 'requested' ? [{ type: 'GenerationTimedOut', data: { timedOutAt } }] : [];
    }
    case 'ApplyGeneration':
      if (state.status !== 'completed') throw new GenerationNotCompleted(state.status);
      return [{ type: 'GenerationApplied', data: { postId: command.postId } }];
  }
}

function request(command: RequestGeneration, state: GenerationState): GenerationEvent[] {
  if (state.status !== 'none') throw new GenerationAlreadyRequested(state.generationId);
  if (!generationKinds.includes(command.kind)) throw new InvalidGenerationKind(command.kind);
  if (!hasLength(command.prompt, 1, 4000)) throw new InvalidPrompt();
  if (command.platform !== undefined && !isSocialPlatform(command.platform)) throw new InvalidPlatform(command.platform);
  const requestedAt = toInstant(command.now, 'now').iso;
  const { generationId, workspaceId, kind, postId, platform } = command;
  const data: EventData<GenerationEvent, 'GenerationRequested'> = { generationId, workspaceId, kind, prompt: command.prompt.trim(), requestedBy: command.by, requestedAt };
  if (postId !== undefined) data.postId = postId;
  if (platform !== undefined) data.platform = platform;
  return [{ type: 'GenerationRequested', data }];
}

function evolve(state: GenerationState, event: GenerationEvent): GenerationState {
  if (event.type === 'GenerationRequested') return { ...event.data, status: 'requested', appliedTo: [] };
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'GenerationCompleted':
      return { ...state, status: 'completed', output: event.data.output };
    case 'GenerationFailed':
      return { ...state, status: 'failed', error: event.data.error };
    case 'GenerationTimedOut':
      return { ...state, status: 'timed_out' };
    case 'GenerationApplied':
      return { ...state, appliedTo: [...state.appliedTo, event.data.postId] };
  }
}

/**
 * What applying a completed generation changes in a post, as fields of an EditPost: text
 * replaces the content, hashtags are appended to it, an image is appended to the media.
 * Empty when there is no output.
 *
 * ```ts
 * const patch = generationOutputAsContent(generation, post); // { content: 'Hello\n\n#launch #q3' }
 * postDecider.decide({ type: 'EditPost', by, approvalRequired, ...patch }, post);
 * ```
 */
export function generationOutputAsContent(
  state: GenerationState,
  post: { content: string; media: readonly string[] },
): { content?: string; media?: string[] } {
  const output = state.status === 'completed' ? state.output : undefined;
  const patch: { content?: string; media?: string[] } = {};
  if (output?.text !== undefined || output?.hashtags !== undefined) {
    const text = output.text ?? post.content;
    const hashtags = (output.hashtags ?? []).map((tag) => `#${tag}`).join(' ');
    patch.content = hashtags === '' ? text : `${text}\n\n${hashtags}`;
  }
  if (output?.imageUrl !== undefined) patch.media = [...post.media, output.imageUrl];
  return patch;
}

/**
 * The content generation aggregate: a request to the AI service and its one outcome.
 *
 * ```ts
 * generationDecider.decide({ type: 'CompleteGeneration', output: { text: 'Big news!' }, now }, state);
 * ```
 */
export const generationDecider: Decider<GenerationCommand, GenerationEvent, GenerationState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
