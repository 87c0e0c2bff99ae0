import type { Decider } from '../decider';
import { hasLength, toReason } from '../values';
import type { AccountCommand, ConnectAccount } from './commands';
import { AccountAlreadyConnected, AccountIsDisconnected, AccountNotFound, AccountReconnectMismatch, InvalidExternalId, InvalidHandle, InvalidPlatform } from './errors';
import type { AccountEvent } from './events';
import { isSocialPlatform, type SocialPlatform } from './platforms';

export interface SocialAccount {
  status: 'connected' | 'needs_reconnect' | 'disconnected';
  accountId: string;
  workspaceId: string;
  platform: SocialPlatform;
  handle: string;
  externalId: string;
  /** Why the platform refused us, while `needs_reconnect`. */
  reconnectReason?: string;
}

export type AccountState = { status: 'none' } | SocialAccount;

function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  if (command.type === 'ConnectAccount') return connect(command, state);
  if (state.status === 'none') throw new AccountNotFound();
  switch (command.type) {
    case 'DisconnectAccount':
      return state.status === 'disconnected' ? [] : [{ type: 'AccountDisconnected', data: {} }];
    case 'MarkNeedsReconnect':
      if (state.status === 'disconnected') throw new AccountIsDisconnected();
      if (state.status === 'needs_reconnect') return [];
      return [{ type: 'AccountNeedsReconnect', data: { reason: toReason(command.reason) } }];
  }
}

function connect(command: ConnectAccount, state: AccountState): AccountEvent[] {
  if (!isSocialPlatform(command.platform)) throw new InvalidPlatform(command.platform);
  if (!hasLength(command.handle, 1, 100)) throw new InvalidHandle();
  if (!hasLength(command.externalId, 1, 200)) throw new InvalidExternalId();
  const handle = command.handle.trim();
  const externalId = command.externalId.trim();
  switch (state.status) {
    case 'none': {
      const { accountId, workspaceId, platform, by } = command;
      return [{ type: 'AccountConnected', data: { accountId, workspaceId, platform, handle, externalId, connectedBy: by } }];
    }
    case 'connected':
      throw new AccountAlreadyConnected(state.accountId);
    case 'disconnected':
      throw new AccountIsDisconnected();
    case 'needs_reconnect':
      if (command.workspaceId !== state.workspaceId) throw new AccountReconnectMismatch('workspaceId');
      if (command.platform !== state.platform) throw new AccountReconnectMismatch('platform');
      if (externalId !== state.externalId) throw new AccountReconnectMismatch('externalId');
      return [{ type: 'AccountReconnected', data: { handle } }];
  }
}

function evolve(state: AccountState, event: AccountEvent): AccountState {
  if (event.type === 'AccountConnected') {
    const { accountId, workspaceId, platform, handle, externalId } = event.data;
    return { status: 'connected', accountId, workspaceId, platform, handle, externalId };
  }
  if (state.status === 'none') return state;
  const { reconnectReason: _cleared, ...account } = state;
  switch (event.type) {
    case 'AccountReconnected':
      return { ...account, status: 'connected', handle: event.data.handle };
    case 'AccountNeedsReconnect':
      return { ...account, status: 'needs_reconnect', reconnectReason: event.data.reason };
    case 'AccountDisconnected':
      return { ...account, status: 'disconnected' };
  }
}

/**
 * The social account aggregate: a workspace's link to one platform account.
 *
 * ```ts
 * accountDecider.decide({ type: 'MarkNeedsReconnect', reason: 'token expired' }, state);
 * ```
 */
export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
