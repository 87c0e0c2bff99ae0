import { sql, type Kysely, type Selectable } from 'kysely';
import { platformRoles } from '../domain/user/platform-roles';
import { z } from '../http/openapi';
import type { ReadModels } from '../projections/read-models';
import { pageOf, type PageKey } from './pagination';

/** A user as platform admins see them. */
export const adminUserView = z
  .object({
    id: z.uuid(),
    email: z.string().nullable().openapi({ description: "null once the user's personal data is erased" }),
    displayName: z.string().nullable().openapi({ description: "null once the user's personal data is erased" }),
    platformRoles: z.array(z.enum(platformRoles)),
    status: z.enum(['active', 'deactivated']),
    erased: z.boolean().openapi({ description: 'the personal data was erased (DELETE /v1/me or the admin command)' }),
    registeredAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('AdminUser');
export type AdminUser = z.infer<typeof adminUserView>;

export interface UserFilters {
  /** Part of the email or display name, case-insensitive. */
  q?: string;
  role?: (typeof platformRoles)[number];
  status?: 'active' | 'deactivated';
}

const COLUMNS = ['user_id', 'email', 'display_name', 'platform_roles', 'status', 'erased', 'registered_at', 'updated_at'] as const;

/**
 * A page of the platform's users, newest registration first, by (registered_at, user_id) keys.
 *
 * ```ts
 * const { items, nextCursor } = await listUsers(db, { role: 'admin' }, { limit: 50 });
 * ```
 */
export async function listUsers(db: Kysely<ReadModels>, filters: UserFilters, page: { limit: number; after?: PageKey }): Promise<{ items: AdminUser[]; nextCursor: string | null }> {
  let query = db.selectFrom('rm_users').select(COLUMNS);
  if (filters.q !== undefined) {
    const pattern = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('display_name', 'ilike', pattern)]));
  }
  if (filters.role) query = query.where(sql<boolean>`platform_roles @> array[${filters.role}]::text[]`);
  if (filters.status) query = query.where('status', '=', filters.status);
  const after = page.after;
  if (after) query = query.where((eb) => eb(eb.refTuple('registered_at', 'user_id'), '<', eb.tuple(after.at, after.id)));
  const rows = await query.orderBy('registered_at', 'desc').orderBy('user_id', 'desc').limit(page.limit + 1).execute();
  const { rows: pageRows, nextCursor } = pageOf(rows, page.limit, (r) => ({ at: r.registered_at, id: r.user_id }));
  return { items: pageRows.map(toView), nextCursor };
}

/** One user, or undefined when the read model has none with that id. */
export async function findUser(db: Kysely<ReadModels>, userId: string): Promise<AdminUser | undefined> {
  const row = await db.selectFrom('rm_users').select(COLUMNS).where('user_id', '=', userId).executeTakeFirst();
  return row && toView(row);
}

function toView(r: Selectable<Pick<ReadModels['rm_users'], (typeof COLUMNS)[number]>>): AdminUser {
  return {
    id: r.user_id,
    email: r.email,
    displayName: r.display_name,
    platformRoles: r.platform_roles as AdminUser['platformRoles'],
    status: r.status,
    erased: r.erased,
    registeredAt: r.registered_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
