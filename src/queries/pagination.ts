import { ValidationFailed } from '../http/api-errors';
import { z } from '../http/openapi';

/** `?limit=`: 1–200, default 50. */
export const limitParam = z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Items per page, 1–200 (default 50)' });

/** `?cursor=`: the `nextCursor` of the previous page, as given. */
export const cursorParam = z.string().min(1).max(512).optional().openapi({ description: 'The nextCursor of the previous page' });

/** Where a page ends in a list ordered by a time then an id: the next page starts after it. */
export interface PageKey {
  at: Date;
  id: string;
}

const encodedKey = z.strictObject({ at: z.iso.datetime(), id: z.uuid() });

/**
 * An opaque cursor for the page after `key`: base64url JSON, so clients cannot come to
 * depend on what is inside.
 *
 * ```ts
 * const nextCursor = encodeCursor({ at: last.created_at, id: last.post_id });
 * ```
 */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify({ at: key.at.toISOString(), id: key.id })).toString('base64url');
}

/**
 * The key inside a cursor; one that `encodeCursor` did not make is a 422 on `cursor`.
 *
 * ```ts
 * const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
 * ```
 */
export function decodeCursor(cursor: string): PageKey {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = encodedKey.safeParse(decoded);
  if (!parsed.success) throw new ValidationFailed([{ in: 'query', field: 'cursor', message: 'is not a cursor this list returned' }]);
  return { at: new Date(parsed.data.at), id: parsed.data.id };
}

/**
 * One page of rows read with `limit + 1`: the extra row only tells that there is more.
 *
 * ```ts
 * const { rows, nextKey } = pageOf(await query.limit(limit + 1).execute(), limit, (r) => ({ at: r.created_at, id: r.post_id }));
 * ```
 */
export function pageOf<Row>(rows: Row[], limit: number, keyOf: (row: Row) => PageKey): { rows: Row[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(keyOf(page.at(-1)!)) };
}

/** `?from=&to=`: ISO times with an offset; `from` after `to` is a 422 on `from`. */
export function timeRange(from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
  const range = { from: from === undefined ? undefined : new Date(from), to: to === undefined ? undefined : new Date(to) };
  if (range.from && range.to && range.from > range.to) throw new ValidationFailed([{ in: 'query', field: 'from', message: 'must not be after to' }]);
  return range;
}
