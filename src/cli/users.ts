import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Credentials } from '../auth/credentials';
import { CommandHandler } from '../commands/command-handler';
import { domainEventCodec } from '../commands/event-codec';
import { userDecider, type User, type UserState } from '../domain/user/decider';
import { UserNotFound } from '../domain/user/errors';
import type { PlatformRole } from '../domain/user/platform-roles';
import type { Actor, EventStore } from '../eventstore/port';
import { describeError } from '../platform/health';
import type { HostProcess } from '../serve';
import { openLogAccess, runCommand } from './command';
import type { RoleAction } from './args';

/** Who the log records for a change made from the command line. */
export const CLI_ACTOR: Actor = { type: 'system', id: 'cli' };

export interface RoleChange {
  action: RoleAction;
  email: string;
  role: PlatformRole;
}

export interface RoleChangeOutcome {
  userId: string;
  /** The user's platform roles after the change. */
  roles: PlatformRole[];
  /** False when the user already had (or already lacked) the role: nothing was appended. */
  changed: boolean;
}

/** No registered user has this email. */
export class UnknownUserEmail extends Error {
  constructor(readonly email: string) {
    super(`no user has the email "${email}"`);
    this.name = 'UnknownUserEmail';
  }
}

/**
 * Grants or revokes one platform role of the user with `email`, appending SetPlatformRoles
 * as the system actor `cli`. The first platform admin is made this way. Throws
 * `UnknownUserEmail`.
 *
 * ```ts
 * const { roles } = await changePlatformRole(store, pool, { action: 'grant-role', email: 'ann@example.com', role: 'admin' });
 * ```
 */
export async function changePlatformRole(store: EventStore, pool: Pool, change: RoleChange): Promise<RoleChangeOutcome> {
  const credential = await new Credentials(pool).findByEmail(change.email);
  if (!credential) throw new UnknownUserEmail(change.email);
  try {
    const result = await new CommandHandler(store, domainEventCodec).handle({
      streamId: `user-${credential.userId}`,
      decider: userDecider,
      command: (state) => ({ type: 'SetPlatformRoles' as const, roles: rolesAfter(state, change) }),
      metadata: { actor: CLI_ACTOR, correlationId: randomUUID() },
    });
    return { userId: credential.userId, roles: [...(result.state as User).platformRoles], changed: result.events.length > 0 };
  } catch (error) {
    // a credential whose registration never reached the log is no user
    if (error instanceof UserNotFound) throw new UnknownUserEmail(change.email);
    throw error;
  }
}

function rolesAfter(state: UserState, { action, role }: RoleChange): PlatformRole[] {
  const current = state.status === 'unregistered' ? [] : state.platformRoles;
  return action === 'grant-role' ? [...current, role] : current.filter((r) => r !== role);
}

/**
 * `postledger users grant-role|revoke-role <email> <role>`: prints the user's roles after the
 * change and exits 0; an unknown email exits 2, any other failure 1. Logs go to stderr.
 */
export async function runUsersCommand(host: HostProcess, change: RoleChange): Promise<void> {
  await runCommand(
    host,
    `users ${change.action}`,
    async (context) => {
      const { store, pool } = await openLogAccess(context);
      const outcome = await changePlatformRole(store, pool, change);
      host.stdout.write(`${describeOutcome(change, outcome)}; platform roles now: ${outcome.roles.join(', ') || '(none)'}\n`);
      return 0;
    },
    (error) =>
      error instanceof UnknownUserEmail
        ? { code: 2, line: `postledger: ${error.message}` }
        : { code: 1, line: `postledger users ${change.action} failed: ${describeError(error)}` },
  );
}

function describeOutcome({ action, email, role }: RoleChange, { changed }: RoleChangeOutcome): string {
  if (action === 'grant-role') return changed ? `granted ${role} to ${email}` : `${email} already had ${role}`;
  return changed ? `revoked ${role} from ${email}` : `${email} did not have ${role}`;
}
