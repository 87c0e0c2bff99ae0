import type { RequestHandler } from 'express';
import { principalId } from '../auth/principal';
import { requestFingerprint, type IdempotencyKeys } from '../commands/idempotency';
import { HttpError, ValidationFailed } from './api-errors';
import './principal';

const KEY = /^[\x21-\x7e]{1,255}$/;
/** Response headers a replay repeats. */
const REPLAYED_HEADERS = ['etag', 'x-event-position', 'location', 'content-type'];

/**
 * `Idempotency-Key` on a POST: the first request with a key runs and its response (any
 * status below 500) is stored; the same key and body replay it with `Idempotency-Replayed:
 * true` and append nothing; the same key with another body is 422; a retry that arrives
 * while the first is still running waits for it (bounded, then 409).
 */
export function idempotencyMiddleware(keys: IdempotencyKeys): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!KEY.test(key)) throw new ValidationFailed([{ in: 'headers', field: 'Idempotency-Key', message: 'must be 1–255 visible ASCII characters' }]);
    const owner = principalId(req.principal);
    const fingerprint = requestFingerprint(req.method, req.baseUrl + req.path, req.body);
    const claim = await keys.claim(owner, key, fingerprint);
    switch (claim.kind) {
      case 'mismatch':
        throw new HttpError(422, 'This Idempotency-Key was used with another request body.', 'IdempotencyKeyReused');
      case 'in-progress':
        throw new HttpError(409, 'A request with this Idempotency-Key is still being processed; retry later.', 'IdempotencyKeyInProgress');
      case 'replay':
        res.status(claim.response.status).set(claim.response.headers).set('Idempotency-Replayed', 'true');
        if (claim.response.body === null) res.end();
        else res.json(claim.response.body);
        return;
      case 'first':
        break;
    }
    let body: unknown = null;
    const json = res.json.bind(res);
    res.json = (value: unknown) => {
      body = value;
      return json(value);
    };
    res.once('finish', () => {
      const outcome =
        res.statusCode < 500
          ? keys.complete(owner, key, {
              status: res.statusCode,
              headers: Object.fromEntries(REPLAYED_HEADERS.flatMap((h) => (res.getHeader(h) === undefined ? [] : [[h, String(res.getHeader(h))]]))),
              body,
            })
          : keys.release(owner, key);
      outcome.catch((error: unknown) => req.log.error({ err: error }, 'could not record the Idempotency-Key outcome'));
    });
    next();
  };
}
