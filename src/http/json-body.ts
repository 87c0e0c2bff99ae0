import express, { type RequestHandler } from 'express';
import { sendProblem } from './problem';

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Bodies are JSON: any other body is refused with 415 before it is read; a JSON body is
 * parsed into `req.body` (malformed → 400, over `limitBytes` → 413, via the error handler).
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
  return [refuseOtherBodies, express.json({ limit: limitBytes, type: JSON_TYPES })];
}
