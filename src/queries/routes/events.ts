import { assertMayRead, recordRead } from '../../audit/access';
import { exportNdjson } from '../../audit/ndjson';
import type { RouteGroup } from '../../commands/routes';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';

const list = (item: RegExp, what: string) =>
  z
    .string()
    .max(2000)
    .refine((v) => v.split(',').every((entry) => item.test(entry.trim())), { message: `must be a comma-separated list of ${what}` })
    .transform((v) => [...new Set(v.split(',').map((entry) => entry.trim()))]);

const replayQuery = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,19}$/, 'must be a log position (digits)')
    .optional()
    .openapi({ description: 'Events after this position (exclusive); default: from the start' }),
  types: list(/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/, 'event types').optional().openapi({ description: 'Comma-separated event types' }),
  categories: list(/^[a-z][a-z0-9]{0,39}$/, 'stream categories').optional().openapi({ description: 'Comma-separated stream categories' }),
});

/** `GET /v1/events`: the log as NDJSON for replays (platform role analyst, or an API key with `events:read`). */
export const eventRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'get',
    path: '/v1/events',
    summary: 'The log from a position as NDJSON (one envelope a line), streamed with backpressure in constant memory',
    tag: 'replay',
    auth: 'any',
    reads: [],
    query: replayQuery,
    responses: { 200: { description: 'application/x-ndjson: one event envelope (as in /v1/audit/events, without link) per line, oldest first' } },
    async handler({ req, res, query, principal }) {
      assertMayRead(principal, 'events');
      await recordRead(deps.store, req, 'GET /v1/events', { after: query.after, types: query.types?.join(','), categories: query.categories?.join(',') });
      res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      const filter = { ...(query.types ? { types: query.types } : {}), ...(query.categories ? { categories: query.categories } : {}) };
      try {
        await exportNdjson(deps.store, res, { after: query.after === undefined ? undefined : BigInt(query.after), filter });
      } catch (error) {
        // the status is sent: all that is left is to end the stream short, so the client sees it broke
        deps.logger.error({ err: error }, 'NDJSON export failed midway');
        res.destroy();
        return;
      }
      res.end();
    },
  });
};
