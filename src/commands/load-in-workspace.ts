import type { Decider, DomainEvent } from '../domain/decider';
import type { CommandHandler, LoadedStream } from './command-handler';
import { ResourceNotFound } from './errors';

/** The states of an aggregate that exists: those that name their workspace. */
export type InWorkspace<State> = Extract<State, { workspaceId: string }>;

/**
 * Loads an aggregate of one workspace. One that does not exist, or belongs to another
 * workspace, is a 404 naming `what`: its existence elsewhere is not revealed.
 *
 * ```ts
 * const { state: account } = await loadInWorkspace(commands, `account-${id}`, accountDecider, workspaceId, 'The social account');
 * ```
 */
export async function loadInWorkspace<Command, Event extends DomainEvent, State>(
  commands: CommandHandler,
  streamId: string,
  decider: Decider<Command, Event, State>,
  workspaceId: string,
  what: string,
): Promise<LoadedStream<InWorkspace<State>>> {
  const { state, ...loaded } = await commands.load(streamId, decider);
  assertInWorkspace(state, workspaceId, what);
  return { ...loaded, state };
}

/**
 * Refuses, as a 404 naming `what`, a state that does not exist or belongs to another
 * workspace. Called from a command builder, it needs no read of its own.
 *
 * ```ts
 * command: (state) => { assertInWorkspace(state, workspaceId, 'The comment'); return { type: 'DeleteComment', … }; }
 * ```
 */
export function assertInWorkspace<State>(state: State, workspaceId: string, what: string): asserts state is InWorkspace<State> {
  if ((state as { workspaceId?: unknown }).workspaceId !== workspaceId) throw new ResourceNotFound(what);
}
