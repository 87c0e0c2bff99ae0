import type { RouteGroup } from '../../commands/routes';
import { platformAdmin } from '../../commands/routes/admin';
import { ResourceNotFound } from '../../commands/errors';
import { platformRoles } from '../../domain/user/platform-roles';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { pathId } from '../../http/validation';
import { readModelDb } from '../../projections/read-models';
import { cursorParam, decodeCursor, limitParam } from '../pagination';
import { adminUserView, findUser, listUsers } from '../users';

const listQuery = z.object({
  q: z.string().trim().min(1).max(200).optional().openapi({ description: 'Part of the email or display name, case-insensitive' }),
  role: z.enum(platformRoles).optional(),
  status: z.enum(['active', 'deactivated']).optional(),
  limit: limitParam,
  cursor: cursorParam,
});

/** GET /v1/admin/users and /v1/admin/users/{userId}: the platform's users, for platform admins (users read model). */
export const adminUserQueryRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  const db = readModelDb(deps.pool);

  api.route({
    method: 'get',
    path: '/v1/admin/users',
    reads: ['users'],
    summary: 'The platform’s users, newest first, filtered by text, platform role and status',
    tag: 'admin',
    auth: 'user',
    query: listQuery,
    responses: { 200: { description: 'A page of users', schema: z.object({ items: z.array(adminUserView), nextCursor: z.string().nullable() }).openapi('AdminUserPage') } },
    async handler({ res, query, principal }) {
      platformAdmin(principal);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      res.setHeader('Cache-Control', 'no-store');
      res.json(await listUsers(db, { q: query.q, role: query.role, status: query.status }, { limit: query.limit, after }));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/admin/users/{userId}',
    reads: ['users'],
    summary: 'One user of the platform',
    tag: 'admin',
    auth: 'user',
    responses: { 200: { description: 'The user', schema: adminUserView } },
    async handler({ req, res, principal }) {
      platformAdmin(principal);
      const user = await findUser(db, pathId(req, 'userId', 'The user'));
      if (!user) throw new ResourceNotFound('The user');
      res.setHeader('Cache-Control', 'no-store');
      res.json(user);
    },
  });
};
