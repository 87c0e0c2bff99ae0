import express, { type RequestHandler } from 'express';
import { sendProblem } from './problem';

/** The media types read as JSON; any other body is refused with 415. */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Routes that parse their own body in their route's `before`: a larger limit (see
 * `routeJsonBody`), so the global parser's limit does not refuse them first, or the raw bytes
 * kept for a signature check (see `signedJsonBody` in webhook-signature.ts).
 */
const OWN_BODY_ROUTES: readonly RegExp[] = [/^\/v1\/workspaces\/[^/]+\/engagement\/?$/i, /^\/v1\/webhooks\/ai\/?$/i];

/**
 * Bodies are JSON: any other body is refused with 415 before it is read; a JSON body is
 * parsed into `req.body` (malformed → 400, over `limitBytes` → 413, via the error handler),
 * except on the routes that parse their own.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const refuseOtherBodies: RequestHandler = (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(JSON_TYPES)) {
      sendProblem(res, 415, 'Request bodies must be JSON (Content-Type: application/json).');
      return;
    }
    next();
  };
  const parse = routeJsonBody(limitBytes);
  const parseUnlessOwn: RequestHandler = (req, res, next) => (OWN_BODY_ROUTES.some((route) => route.test(req.path)) ? next() : parse(req, res, next));
  return [refuseOtherBodies, parseUnlessOwn];
}

/**
 * A JSON body parser with a limit of its own, for a route listed in `OWN_BODY_ROUTES`.
 *
 * ```ts
 * api.route({ …, before: [routeJsonBody(5 * 1024 * 1024)], … });
 * ```
 */
export function routeJsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes, type: JSON_TYPES });
}
