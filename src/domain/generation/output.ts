import { hasLength, isHttpUrl } from '../values';
import { InvalidGenerationOutput } from './errors';

export const generationKinds = ['caption', 'hashtags', 'rewrite', 'image'] as const;
export type GenerationKind = (typeof generationKinds)[number];

/** What the AI service returns: text for captions and rewrites, hashtags, or an image URL. */
export interface GenerationOutput {
  text?: string;
  /** Without the leading `#`. */
  hashtags?: string[];
  imageUrl?: string;
}

const REQUIRED: Record<GenerationKind, keyof GenerationOutput> = { caption: 'text', rewrite: 'text', hashtags: 'hashtags', image: 'imageUrl' };

/**
 * Checks an output against what its kind produces and normalizes it (trimmed text, hashtags
 * without `#`); throws InvalidGenerationOutput naming the field (`output.text`…).
 *
 * ```ts
 * toGenerationOutput('hashtags', { hashtags: ['#Launch'] }); // { hashtags: ['Launch'] }
 * ```
 */
export function toGenerationOutput(kind: GenerationKind, output: GenerationOutput): GenerationOutput {
  const required = REQUIRED[kind];
  if (output[required] === undefined) throw new InvalidGenerationOutput(`output.${required}`, `a ${kind} generation returns ${required}`);
  const normalized: GenerationOutput = {};
  if (output.text !== undefined) {
    if (!hasLength(output.text, 1, 10_000)) throw new InvalidGenerationOutput('output.text', 'text must have 1–10000 characters');
    normalized.text = output.text.trim();
  }
  if (output.hashtags !== undefined) {
    const hashtags = output.hashtags.map((tag) => tag.trim().replace(/^#/, '').trim());
    if (hashtags.length < 1 || hashtags.length > 30 || !hashtags.every((tag) => hasLength(tag, 1, 100))) {
      throw new InvalidGenerationOutput('output.hashtags', 'hashtags must be 1–30 tags of 1–100 characters');
    }
    normalized.hashtags = hashtags;
  }
  if (output.imageUrl !== undefined) {
    if (!isHttpUrl(output.imageUrl.trim())) throw new InvalidGenerationOutput('output.imageUrl', 'imageUrl must be an http(s) URL');
    normalized.imageUrl = output.imageUrl.trim();
  }
  return normalized;
}

/**
 * Whether two normalized outputs are the same result (a redelivery).
 *
 * ```ts
 * isSameOutput({ text: 'Hi' }, { text: 'Hi' }); // true
 * ```
 */
export function isSameOutput(a: GenerationOutput, b: GenerationOutput): boolean {
  // Field by field: stored JSON (PostgreSQL jsonb) does not keep key order.
  const fingerprint = ({ text, hashtags, imageUrl }: GenerationOutput) => JSON.stringify([text, hashtags, imageUrl]);
  return fingerprint(a) === fingerprint(b);
}
