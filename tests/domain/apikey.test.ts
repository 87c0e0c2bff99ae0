import {
  ApiKeyAlreadyExists,
  ApiKeyAlreadyRevoked,
  apiKeyDecider,
  type ApiKeyEvent,
  apiKeyEvents,
  ApiKeyNotFound,
  type ApiKeyScope,
  type CreateApiKey,
  InvalidApiKeyName,
  InvalidApiKeyPrefix,
  InvalidApiKeyScopes,
} from '../../src/domain/apikey';
import { expectEveryTypeEmitted, given } from './support/given';

const create: CreateApiKey = {
  type: 'CreateApiKey',
  apiKeyId: 'key-1',
  workspaceId: 'ws-1',
  name: ' Publisher ',
  scopes: ['posts:publish', 'analytics:read', 'posts:publish'],
  prefix: 'pl_3f9a',
  by: 'olga',
};
const created: ApiKeyEvent = {
  type: 'ApiKeyCreated',
  data: { apiKeyId: 'key-1', workspaceId: 'ws-1', name: 'Publisher', scopes: ['posts:publish', 'analytics:read'], prefix: 'pl_3f9a', createdBy: 'olga' },
};
const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: {} };

describe('API key', () => {
  it('creates a key with its scopes as a set in canonical order', () => {
    const state = given(apiKeyDecider).when(create).then([created]);
    expect(state).toMatchObject({ status: 'active', scopes: ['posts:publish', 'analytics:read'] });
  });

  it.each([
    ['a blank name', { name: '' }, InvalidApiKeyName, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, InvalidApiKeyName, 'name'],
    ['no scopes', { scopes: [] }, InvalidApiKeyScopes, 'scopes'],
    ['an unknown scope', { scopes: ['posts:write', 'root'] as ApiKeyScope[] }, InvalidApiKeyScopes, 'scopes'],
    ['a short prefix', { prefix: 'pl' }, InvalidApiKeyPrefix, 'prefix'],
    ['a prefix with odd characters', { prefix: 'pl 3f9a!' }, InvalidApiKeyPrefix, 'prefix'],
  ])('refuses %s', (_case, change, error, field) => {
    given(apiKeyDecider)
      .when({ ...create, ...change })
      .thenThrows(error, { kind: 'invalid', field });
  });

  it('refuses an existing key', () => {
    given(apiKeyDecider, [created]).when(create).thenThrows(ApiKeyAlreadyExists, { kind: 'conflict' });
  });

  it('revokes a key, once', () => {
    const state = given(apiKeyDecider, [created]).when({ type: 'RevokeApiKey', by: 'olga' }).then([revoked]);
    expect(state.status).toBe('revoked');
    given(apiKeyDecider, [created, revoked]).when({ type: 'RevokeApiKey', by: 'olga' }).thenThrows(ApiKeyAlreadyRevoked, { kind: 'conflict' });
  });

  it('answers ApiKeyNotFound on a missing key', () => {
    given(apiKeyDecider).when({ type: 'RevokeApiKey', by: 'olga' }).thenThrows(ApiKeyNotFound, { kind: 'notFound' });
  });

  it('ignores events before the key when folding', () => {
    expect(apiKeyDecider.evolve({ status: 'none' }, revoked)).toEqual({ status: 'none' });
  });

  it('emits every API key event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(apiKeyEvents));
  });
});
