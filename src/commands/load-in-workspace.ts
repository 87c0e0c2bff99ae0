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
  if (!belongsTo(state, workspaceId)) throw new ResourceNotFound(what);
  return { ...loaded, state };
}

function belongsTo<State>(state: State, workspaceId: string): state is InWorkspace<State> {
  return (state as { workspaceId?: unknown }).workspaceId === workspaceId;
}
