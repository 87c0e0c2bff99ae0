import type { Decider } from '../decider';
import { hasLength, inCanonicalOrder } from '../values';
import type { ApiKeyCommand, CreateApiKey } from './commands';
import { ApiKeyAlreadyExists, ApiKeyAlreadyRevoked, ApiKeyNotFound, InvalidApiKeyName, InvalidApiKeyPrefix, InvalidApiKeyScopes } from './errors';
import type { ApiKeyEvent } from './events';
import { type ApiKeyScope, apiKeyScopes, isApiKeyScope } from './scopes';

export interface ApiKey {
  status: 'active' | 'revoked';
  apiKeyId: string;
  workspaceId: string;
  name: string;
  scopes: ApiKeyScope[];
  prefix: string;
  createdBy: string;
}

export type ApiKeyState = { status: 'none' } | ApiKey;

const PREFIX = /^[A-Za-z0-9_-]{4,32}$/;

function decide(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  if (command.type === 'CreateApiKey') return create(command, state);
  if (state.status === 'none') throw new ApiKeyNotFound();
  if (state.status === 'revoked') throw new ApiKeyAlreadyRevoked();
  return [{ type: 'ApiKeyRevoked', data: {} }];
}

function create(command: CreateApiKey, state: ApiKeyState): ApiKeyEvent[] {
  if (state.status !== 'none') throw new ApiKeyAlreadyExists(state.apiKeyId);
  if (!hasLength(command.name, 1, 100)) throw new InvalidApiKeyName();
  if (command.scopes.length === 0) throw new InvalidApiKeyScopes('must name at least one scope');
  const unknown = command.scopes.find((scope) => !isApiKeyScope(scope));
  if (unknown !== undefined) throw new InvalidApiKeyScopes(`has an unknown scope ${JSON.stringify(unknown)}`);
  if (!PREFIX.test(command.prefix)) throw new InvalidApiKeyPrefix();
  const { apiKeyId, workspaceId, prefix, by } = command;
  const scopes = inCanonicalOrder(command.scopes, apiKeyScopes);
  return [{ type: 'ApiKeyCreated', data: { apiKeyId, workspaceId, name: command.name.trim(), scopes, prefix, createdBy: by } }];
}

function evolve(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  if (event.type === 'ApiKeyCreated') return { ...event.data, status: 'active' };
  return state.status === 'none' ? state : { ...state, status: 'revoked' };
}

/**
 * The API key aggregate: a named, scoped key of a workspace, until revoked.
 *
 * ```ts
 * apiKeyDecider.decide({ type: 'RevokeApiKey', by: userId }, state); // [ApiKeyRevoked]
 * ```
 */
export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeyState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
