import { userDecider, type User, type UserState } from '../domain/user/decider';
import type { EventMetadata } from '../eventstore/port';
import type { ApiDeps } from '../http/api-deps';
import type { CommandResult } from './command-handler';

export interface EraseUserOptions {
  userId: string;
  metadata: EventMetadata;
  /** From `If-Match`. */
  expectedRevision?: bigint;
}

/**
 * Erases a person: records `UserErased` (after `UserDeactivated` when they were active), then
 * destroys their key, so every personal group of theirs in the log reads as erased; frees
 * their email (the credential row goes, so they cannot sign in and the address may be
 * registered again), ends their sessions and forgets stored responses that named them.
 * Their API keys stop working as with any deactivation. Idempotent: a second call appends
 * nothing and repeats the clean-up, so a half-done erasure completes on retry.
 *
 * ```ts
 * await eraseUser(deps, { userId, metadata: eventMetadata(req) }); // UserNotFound for an unknown user
 * ```
 */
export async function eraseUser(
  deps: Pick<ApiDeps, 'commands' | 'personKeys' | 'credentials' | 'refreshTokens' | 'idempotency'>,
  { userId, metadata, expectedRevision }: EraseUserOptions,
): Promise<CommandResult<UserState, unknown>> {
  // recorded first: should a later step fail, the log says what was asked and a retry finishes it
  const result = await deps.commands.handle({
    streamId: `user-${userId}`,
    decider: userDecider,
    expectedRevision,
    command: { type: 'EraseUser' },
    metadata,
  });
  await deps.personKeys.destroy(userId);
  await deps.credentials.release(userId);
  await deps.refreshTokens.revokeAllForUser(userId);
  await deps.idempotency.forgetUser(userId);
  return result;
}

/** The user after an erasure, as the admin route answers it. */
export function erasedUserBody(userId: string, state: UserState): { id: string; status: User['status']; erased: boolean } {
  const user = state as User;
  return { id: userId, status: user.status, erased: user.erased };
}
