import { AuthError } from '../auth/errors';
import { ConcurrencyConflict, PreconditionFailed } from '../commands/command-handler';
import { PermissionDenied, ResourceNotFound } from '../commands/errors';
import { DomainError } from '../domain/errors';
import { InvalidInput, WrongExpectedRevision } from '../eventstore/errors';

/** One field at fault in a request. */
export interface FieldError {
  /** Where the field is: `body`, `query`, `params` or `headers`. */
  in: 'body' | 'query' | 'params' | 'headers';
  /** Dotted path within it, e.g. `snapshots.3.metrics.likes`. */
  field: string;
  message: string;
}

/** Well-formed JSON that fails validation: 422 with every field at fault. */
export class ValidationFailed extends Error {
  constructor(readonly errors: readonly FieldError[]) {
    super(errors.map((e) => `${e.in}.${e.field}: ${e.message}`).join('; '));
    this.name = 'ValidationFailed';
  }
}

/** An HTTP outcome raised from route code: 401, 403, 404, 409, 422 or 503 with a safe detail. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly code?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const unauthenticated = (detail = 'Missing or invalid credentials.') =>
  new HttpError(401, detail, 'Unauthenticated', { 'WWW-Authenticate': 'Bearer realm="postledger", ApiKey realm="postledger"' });

export interface ProblemParts {
  status: number;
  detail: string;
  extensions: Record<string, unknown>;
  headers: Record<string, string>;
}

const DOMAIN_STATUS = { conflict: 409, invalid: 422, notFound: 404, forbidden: 403 } as const;
const AUTH_STATUS = { unauthenticated: 401, conflict: 409, invalid: 422 } as const;

/**
 * The one place that maps the errors of the layers below to HTTP statuses; `undefined` for
 * an error nobody expected (the caller answers 500 without details).
 */
export function problemFor(error: unknown): ProblemParts | undefined {
  if (error instanceof ValidationFailed) {
    return { status: 422, detail: 'The request failed validation.', extensions: { errors: error.errors }, headers: {} };
  }
  if (error instanceof HttpError) {
    return { status: error.status, detail: error.message, extensions: error.code ? { code: error.code } : {}, headers: error.headers };
  }
  if (error instanceof ResourceNotFound) return { status: 404, detail: error.message, extensions: { code: 'NotFound' }, headers: {} };
  if (error instanceof PermissionDenied) return { status: 403, detail: error.message, extensions: { code: 'Forbidden' }, headers: {} };
  if (error instanceof DomainError) {
    const extensions: Record<string, unknown> = { code: error.code };
    if (error.kind === 'invalid' && error.field) extensions.errors = [{ in: 'body', field: error.field, message: error.message }];
    return { status: DOMAIN_STATUS[error.kind], detail: error.message, extensions, headers: {} };
  }
  if (error instanceof AuthError) {
    const status = AUTH_STATUS[error.kind];
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer realm="postledger"' } : {};
    // which check failed stays in the logs: the client learns only that the credential is not valid
    return { status, detail: error.message, extensions: { code: error.code }, headers };
  }
  if (error instanceof PreconditionFailed) {
    return { status: 412, detail: 'The resource changed since the revision in If-Match.', extensions: { code: 'PreconditionFailed', currentRevision: error.actual?.toString() ?? null }, headers: {} };
  }
  if (error instanceof ConcurrencyConflict || error instanceof WrongExpectedRevision) {
    return { status: 409, detail: 'The resource was changed by another request at the same time; retry.', extensions: { code: 'ConcurrencyConflict' }, headers: {} };
  }
  if (error instanceof InvalidInput) {
    return { status: 422, detail: error.message, extensions: { errors: [{ in: 'body', field: error.field, message: error.message }] }, headers: {} };
  }
  return undefined;
}
