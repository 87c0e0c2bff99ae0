import { DomainError } from '../errors';

export class UserNotFound extends DomainError {
  constructor() {
    super('UserNotFound', 'no such user', 'notFound');
  }
}

export class UserAlreadyRegistered extends DomainError {
  constructor(userId: string) {
    super('UserAlreadyRegistered', `user ${userId} is already registered`);
  }
}

export class UserIsDeactivated extends DomainError {
  constructor() {
    super('UserIsDeactivated', 'the user is deactivated');
  }
}

export class UserIsErased extends DomainError {
  constructor() {
    super('UserIsErased', "the user's personal data was erased: the account cannot be used again");
  }
}

export class InvalidEmail extends DomainError {
  constructor() {
    super('InvalidEmail', 'email must be an email address of at most 254 characters', 'invalid', 'email');
  }
}

export class InvalidDisplayName extends DomainError {
  constructor() {
    super('InvalidDisplayName', 'displayName must have 1–100 characters', 'invalid', 'displayName');
  }
}

export class InvalidBio extends DomainError {
  constructor() {
    super('InvalidBio', 'bio must have at most 500 characters', 'invalid', 'bio');
  }
}

export class InvalidAvatarUrl extends DomainError {
  constructor() {
    super('InvalidAvatarUrl', 'avatarUrl must be an http(s) URL', 'invalid', 'avatarUrl');
  }
}

export class InvalidTimezone extends DomainError {
  constructor(timezone: string) {
    super('InvalidTimezone', `${JSON.stringify(timezone)} is not an IANA time zone`, 'invalid', 'timezone');
  }
}

export class InvalidLocale extends DomainError {
  constructor(locale: string) {
    super('InvalidLocale', `${JSON.stringify(locale)} is not a BCP 47 language tag`, 'invalid', 'locale');
  }
}

export class InvalidPlatformRole extends DomainError {
  constructor(role: string) {
    super('InvalidPlatformRole', `${JSON.stringify(role)} is not a platform role (admin, auditor, analyst)`, 'invalid', 'roles');
  }
}
