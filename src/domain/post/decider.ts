import type { Decider } from '../decider';
import type { PostCommand } from './commands';
import { decide } from './decide';
import type { PostEvent } from './events';
import { evolve, type PostState } from './state';

/**
 * The post aggregate: draft → approval → schedule → publish, with retries.
 *
 * ```ts
 * const state = fold(postDecider, history);
 * postDecider.decide({ type: 'ApprovePost', by: reviewerId, byRole: 'editor' }, state); // [PostApproved]
 * ```
 */
export const postDecider: Decider<PostCommand, PostEvent, PostState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
