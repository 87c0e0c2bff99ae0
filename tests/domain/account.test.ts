import {
  AccountAlreadyConnected,
  accountDecider,
  type AccountEvent,
  accountEvents,
  AccountIsDisconnected,
  AccountNotFound,
  AccountReconnectMismatch,
  type ConnectAccount,
  InvalidExternalId,
  InvalidHandle,
  InvalidPlatform,
  type SocialPlatform,
} from '../../src/domain/account';
import { InvalidReason } from '../../src/domain/errors';
import { expectEveryTypeEmitted, given } from './support/given';

const connect: ConnectAccount = {
  type: 'ConnectAccount',
  accountId: 'acc-1',
  workspaceId: 'ws-1',
  platform: 'bluesky',
  handle: ' @acme.bsky.social ',
  externalId: 'did:plc:acme',
  by: 'olga',
};
const connected: AccountEvent = {
  type: 'AccountConnected',
  data: { accountId: 'acc-1', workspaceId: 'ws-1', platform: 'bluesky', handle: '@acme.bsky.social', externalId: 'did:plc:acme', connectedBy: 'olga' },
};
const needsReconnect: AccountEvent = { type: 'AccountNeedsReconnect', data: { reason: 'token expired' } };
const disconnected: AccountEvent = { type: 'AccountDisconnected', data: {} };

describe('social account', () => {
  describe('connecting', () => {
    it('connects an account', () => {
      const state = given(accountDecider).when(connect).then([connected]);
      expect(state.status).toBe('connected');
    });

    it.each([
      ['an unknown platform', { platform: 'myspace' as SocialPlatform }, InvalidPlatform, 'platform'],
      ['a blank handle', { handle: ' ' }, InvalidHandle, 'handle'],
      ['a handle over 100 characters', { handle: 'h'.repeat(101) }, InvalidHandle, 'handle'],
      ['a blank external id', { externalId: '' }, InvalidExternalId, 'externalId'],
    ])('refuses %s', (_case, change, error, field) => {
      given(accountDecider)
        .when({ ...connect, ...change })
        .thenThrows(error, { kind: 'invalid', field });
    });

    it('refuses to connect a connected account again', () => {
      given(accountDecider, [connected]).when(connect).thenThrows(AccountAlreadyConnected, { kind: 'conflict' });
    });

    it('refuses to connect a disconnected account: a new connection gets a new id', () => {
      given(accountDecider, [connected, disconnected]).when(connect).thenThrows(AccountIsDisconnected, { kind: 'conflict' });
    });
  });

  describe('reconnecting', () => {
    it('reconnects an account that needs it, keeping a renamed handle', () => {
      const state = given(accountDecider, [connected, needsReconnect])
        .when({ ...connect, handle: '@acme.example' })
        .then([{ type: 'AccountReconnected', data: { handle: '@acme.example' } }]);
      expect(state).toMatchObject({ status: 'connected', handle: '@acme.example', externalId: 'did:plc:acme' });
      expect(state).not.toHaveProperty('reconnectReason');
    });

    it.each([
      ['workspace', { workspaceId: 'ws-2' }],
      ['platform', { platform: 'x' as const }],
      ['external account', { externalId: 'did:plc:other' }],
    ])('refuses to reconnect another %s', (_case, change) => {
      given(accountDecider, [connected, needsReconnect])
        .when({ ...connect, ...change })
        .thenThrows(AccountReconnectMismatch, { kind: 'conflict' });
    });
  });

  describe('needing a reconnection', () => {
    it('marks a connected account with the reason', () => {
      const state = given(accountDecider, [connected]).when({ type: 'MarkNeedsReconnect', reason: ' token expired ' }).then([needsReconnect]);
      expect(state).toMatchObject({ status: 'needs_reconnect', reconnectReason: 'token expired' });
    });

    it('is idempotent', () => {
      given(accountDecider, [connected, needsReconnect]).when({ type: 'MarkNeedsReconnect', reason: 'again' }).then([]);
    });

    it('refuses a blank reason', () => {
      given(accountDecider, [connected]).when({ type: 'MarkNeedsReconnect', reason: '' }).thenThrows(InvalidReason, { field: 'reason' });
    });

    it('refuses a disconnected account', () => {
      given(accountDecider, [connected, disconnected]).when({ type: 'MarkNeedsReconnect', reason: 'x' }).thenThrows(AccountIsDisconnected);
    });
  });

  describe('disconnecting', () => {
    it('disconnects a connected account or one that needs reconnecting', () => {
      given(accountDecider, [connected]).when({ type: 'DisconnectAccount', by: 'olga' }).then([disconnected]);
      const state = given(accountDecider, [connected, needsReconnect]).when({ type: 'DisconnectAccount', by: 'olga' }).then([disconnected]);
      expect(state).not.toHaveProperty('reconnectReason');
    });

    it('is a no-op on a disconnected account', () => {
      given(accountDecider, [connected, disconnected]).when({ type: 'DisconnectAccount', by: 'olga' }).then([]);
    });

    it('answers AccountNotFound on a missing account', () => {
      given(accountDecider).when({ type: 'DisconnectAccount', by: 'olga' }).thenThrows(AccountNotFound, { kind: 'notFound' });
    });
  });

  it('ignores events before the connection when folding', () => {
    expect(accountDecider.evolve({ status: 'none' }, disconnected)).toEqual({ status: 'none' });
  });

  it('emits every account event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(accountEvents));
  });
});
