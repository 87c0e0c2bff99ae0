import type { Request } from 'express';
import { z } from 'zod';
import { ResourceNotFound } from '../commands/errors';
import { ValidationFailed, type FieldError } from './api-errors';

type Location = FieldError['in'];

/**
 * Parses one part of a request with a zod schema; every problem becomes a field error of a
 * 422 `ValidationFailed`. Body schemas are strict objects, so unknown fields are refused.
 *
 * ```ts
 * const body = parse(createPostBody, req.body, 'body');
 * ```
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, location: Location): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationFailed(
    result.error.issues.map((issue) => ({
      in: location,
      field: issue.path.length > 0 ? issue.path.map(String).join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(root)',
      message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    })),
  );
}

/** A body that must be a JSON object (not an array, not absent). */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parse(schema, req.body ?? {}, 'body');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A path id: anything that is not a UUID cannot name a resource, so it is a 404. */
export function pathId(req: Request, name: string, what: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || !UUID.test(value)) throw new ResourceNotFound(what);
  return value.toLowerCase();
}

export const uuid = () => z.uuid();
/** A trimmed string of min..max characters. */
export const text = (min: number, max: number) => z.string().trim().min(min).max(max);
/** ISO 8601 time with an offset. */
export const isoTime = () => z.iso.datetime({ offset: true });
