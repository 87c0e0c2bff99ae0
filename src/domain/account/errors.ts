import { DomainError } from '../errors';

export class AccountNotFound extends DomainError {
  constructor() {
    super('AccountNotFound', 'no such social account', 'notFound');
  }
}

export class AccountAlreadyConnected extends DomainError {
  constructor(accountId: string) {
    super('AccountAlreadyConnected', `account ${accountId} is already connected`);
  }
}

/** A disconnected account is final: connecting again makes a new account id. */
export class AccountIsDisconnected extends DomainError {
  constructor() {
    super('AccountIsDisconnected', 'the account is disconnected');
  }
}

/** Reconnecting must bring back the same platform account into the same workspace. */
export class AccountReconnectMismatch extends DomainError {
  constructor(field: 'workspaceId' | 'platform' | 'externalId') {
    super('AccountReconnectMismatch', `reconnecting must keep the account's ${field}`);
  }
}

export class InvalidPlatform extends DomainError {
  constructor(platform: string) {
    super('InvalidPlatform', `${JSON.stringify(platform)} is not a supported platform`, 'invalid', 'platform');
  }
}

export class InvalidHandle extends DomainError {
  constructor() {
    super('InvalidHandle', 'handle must have 1–100 characters', 'invalid', 'handle');
  }
}

export class InvalidExternalId extends DomainError {
  constructor(field = 'externalId') {
    super('InvalidExternalId', `${field} must have 1–200 characters`, 'invalid', field);
  }
}
