/**
 * A broken domain rule. `code` is stable (clients may switch on it); the HTTP layer maps
 * `kind` to a status in one place: conflict → 409, invalid → 422, notFound → 404,
 * forbidden → 403.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: 'conflict' | 'invalid' | 'notFound' | 'forbidden' = 'conflict',
    /** The request field at fault, for `invalid`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** A time that is not an ISO 8601 instant with a time zone (`2025-03-01T09:30:00Z`). */
export class InvalidTimestamp extends DomainError {
  constructor(field: string, value: unknown) {
    super('InvalidTimestamp', `${field} must be an ISO 8601 time with an offset, not ${JSON.stringify(value)}`, 'invalid', field);
  }
}

/** The actor's workspace role does not allow the action (see permissions.ts). */
export class ActionNotPermitted extends DomainError {
  constructor(role: string, action: string) {
    super('ActionNotPermitted', `a ${role} may not ${action}`, 'forbidden');
  }
}

/**
 * An event that does not match the catalogue: unknown type, unsupported version or bad
 * data. Not a DomainError: it means a bug or a damaged log (HTTP 500), never a bad request.
 */
export class EventSchemaError extends Error {
  constructor(
    readonly code: 'UnknownEventType' | 'UnsupportedSchemaVersion' | 'InvalidEventData',
    message: string,
    /** Each problem as `path: message`, for InvalidEventData. */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = code;
  }
}

export class UnknownEventType extends EventSchemaError {
  constructor(type: string) {
    super('UnknownEventType', `no event type ${JSON.stringify(type)} in the catalogue`);
  }
}

export class UnsupportedSchemaVersion extends EventSchemaError {
  constructor(type: string, version: number, current: number) {
    super('UnsupportedSchemaVersion', `${type} v${version} cannot be read: the current version is ${current} and no upcaster covers v${version}`);
  }
}

export class InvalidEventData extends EventSchemaError {
  constructor(type: string, version: number, issues: readonly string[]) {
    super('InvalidEventData', `${type} v${version} data is invalid: ${issues.join('; ')}`, issues);
  }
}

/** A free-text reason (rejection, deactivation, reconnection) must have 1–1000 characters. */
export class InvalidReason extends DomainError {
  constructor(field: string) {
    super('InvalidReason', `${field} must have 1–1000 characters`, 'invalid', field);
  }
}
