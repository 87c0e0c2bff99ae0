import { DomainError } from '../errors';

export class ApiKeyNotFound extends DomainError {
  constructor() {
    super('ApiKeyNotFound', 'no such API key', 'notFound');
  }
}

export class ApiKeyAlreadyExists extends DomainError {
  constructor(apiKeyId: string) {
    super('ApiKeyAlreadyExists', `API key ${apiKeyId} already exists`);
  }
}

export class ApiKeyAlreadyRevoked extends DomainError {
  constructor() {
    super('ApiKeyAlreadyRevoked', 'the API key is already revoked');
  }
}

export class InvalidApiKeyName extends DomainError {
  constructor() {
    super('InvalidApiKeyName', 'name must have 1–100 characters', 'invalid', 'name');
  }
}

export class InvalidApiKeyScopes extends DomainError {
  constructor(detail: string) {
    super('InvalidApiKeyScopes', `scopes ${detail}`, 'invalid', 'scopes');
  }
}

export class InvalidApiKeyPrefix extends DomainError {
  constructor() {
    super('InvalidApiKeyPrefix', 'prefix must be 4–32 characters of letters, digits, _ and -', 'invalid', 'prefix');
  }
}
