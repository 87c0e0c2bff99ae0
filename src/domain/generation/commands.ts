import type { SocialPlatform } from '../account/platforms';
import type { GenerationKind, GenerationOutput } from './output';

/** Commands of the content generation aggregate (stream `generation-<generationId>`). */
export type GenerationCommand = RequestGeneration | CompleteGeneration | FailGeneration | TimeOutGeneration | ApplyGeneration;

export interface RequestGeneration {
  type: 'RequestGeneration';
  generationId: string;
  workspaceId: string;
  kind: GenerationKind;
  /** 1–4000 characters. */
  prompt: string;
  /** The post it is meant for, if any. */
  postId?: string;
  platform?: SocialPlatform;
  by: string;
  now: string;
}

/** The AI service's result; `output` must hold what the kind produces (text, hashtags or imageUrl). */
export interface CompleteGeneration {
  type: 'CompleteGeneration';
  output: GenerationOutput;
  now: string;
}

export interface FailGeneration {
  type: 'FailGeneration';
  /** 1–2000 characters. */
  error: string;
}

/** Sent by the timeout process manager; does nothing unless the generation is still requested. */
export interface TimeOutGeneration {
  type: 'TimeOutGeneration';
  now: string;
}

/** Records that the output went into a post (the handler edits the post with `generationOutputAsContent`). */
export interface ApplyGeneration {
  type: 'ApplyGeneration';
  postId: string;
  by: string;
}
