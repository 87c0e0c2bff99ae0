import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { problemFor } from './api-errors';

/** An RFC 9457 problem: the body of every error response. Extensions sit beside the standard fields. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Sends `status` as `application/problem+json`; `type` is `about:blank`, so `title` is the
 * status's standard phrase.
 *
 * ```ts
 * sendProblem(res, 404, 'No post 9d1c… in this workspace');
 * ```
 */
export function sendProblem(res: Response, status: number, detail: string, extensions: Record<string, unknown> = {}): void {
  const problem: Problem = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...extensions };
  res.status(status).type(PROBLEM_CONTENT_TYPE).json(problem);
}

/** The last route: nothing answered this method and path. */
export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, 404, `No resource at ${req.method} ${req.path.slice(0, 200)}`);
};

/** What a client may be told about an error raised on its behalf; stacks and internals never leave. */
interface HttpError {
  status?: unknown;
  expose?: unknown;
  type?: unknown;
  limit?: unknown;
  message?: unknown;
}

/**
 * Maps any error to a problem response. Client errors raised by express and its body parser
 * (they carry `status` and `expose`) keep their status with a safe detail; everything else is
 * a 500 with a generic detail, logged with its stack under the request's id.
 */
export const problemErrorHandler: ErrorRequestHandler = (error: HttpError, req, res, _next) => {
  if (res.headersSent) {
    req.log.error({ err: error }, 'request failed after its response started');
    res.destroy();
    return;
  }
  const known = problemFor(error);
  if (known) {
    if (known.status >= 500) req.log.warn({ status: known.status, detail: known.detail }, 'request could not be served');
    else req.log.info({ status: known.status, code: known.extensions.code, err: known.status === 401 ? error : undefined }, 'request refused');
    res.set(known.headers);
    sendProblem(res, known.status, known.detail, known.extensions);
    return;
  }
  const status = Number(error.status);
  if (status >= 400 && status < 500 && error.expose === true) {
    const detail = clientDetail(error);
    req.log.warn({ status, detail }, 'request rejected');
    sendProblem(res, status, detail);
    return;
  }
  req.log.error({ err: error }, 'request failed');
  sendProblem(res, 500, 'An unexpected error occurred. Quote the X-Request-Id response header when reporting it.');
};

function clientDetail(error: HttpError): string {
  switch (error.type) {
    case 'entity.parse.failed':
      return 'The request body is not valid JSON.';
    case 'entity.too.large':
      return `The request body is larger than the limit of ${String(error.limit)} bytes.`;
    default:
      return String(error.message);
  }
}
