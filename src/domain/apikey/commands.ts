import type { ApiKeyScope } from './scopes';

/** Commands of the API key aggregate (stream `apikey-<apiKeyId>`). The secret never reaches the domain. */
export type ApiKeyCommand = CreateApiKey | RevokeApiKey;

export interface CreateApiKey {
  type: 'CreateApiKey';
  apiKeyId: string;
  workspaceId: string;
  /** 1–100 characters; trimmed. */
  name: string;
  /** A non-empty set of scopes. */
  scopes: ApiKeyScope[];
  /** The visible start of the key (e.g. `pl_live_3f9a`), 4–32 characters of `[A-Za-z0-9_-]`; not secret. */
  prefix: string;
  by: string;
}

export interface RevokeApiKey {
  type: 'RevokeApiKey';
  by: string;
}
