export * from './commands';
export { MAX_CONTENT_LENGTH, MAX_MEDIA, MAX_TAGS, normalizeTag } from './content';
export * from './decider';
export * from './errors';
export * from './events';
export { MAX_PUBLISH_ATTEMPTS, publishRetryDelayMs } from './publication';
export type { LastOutcome, Post, PostState, PostStatus } from './state';
