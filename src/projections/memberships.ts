import type { Pool } from 'pg';
import type { RecordedEvent } from '../eventstore/port';
import type { Projection } from './projection';

/** Who belongs to which workspace with which role: what `GET /v1/me` lists. */
export const membershipsProjection: Projection = {
  name: 'memberships',
  filter: { categories: ['workspace'], types: ['WorkspaceCreated', 'MemberAdded', 'MemberRoleChanged', 'MemberRemoved'] },
  migrations: [
    {
      id: '3001_rm_memberships',
      sql: `
        create table rm_workspace_names (workspace_id uuid primary key, name text not null);
        create table rm_memberships (
          user_id uuid not null, workspace_id uuid not null, role text not null,
          primary key (user_id, workspace_id)
        );`,
    },
  ],
  async apply(trx, events) {
    for (const event of events) {
      const workspaceId = workspaceIdOf(event);
      const data = event.data as { name?: string; userId?: string; role?: string; to?: string };
      switch (event.type) {
        case 'WorkspaceCreated':
          await trx.insertInto('rm_workspace_names').values({ workspace_id: workspaceId, name: data.name! }).onConflict((oc) => oc.column('workspace_id').doUpdateSet({ name: data.name! })).execute();
          break;
        case 'MemberAdded':
          await trx
            .insertInto('rm_memberships')
            .values({ user_id: data.userId!, workspace_id: workspaceId, role: data.role! })
            .onConflict((oc) => oc.columns(['user_id', 'workspace_id']).doUpdateSet({ role: data.role! }))
            .execute();
          break;
        case 'MemberRoleChanged':
          await trx.updateTable('rm_memberships').set({ role: data.to! }).where('user_id', '=', data.userId!).where('workspace_id', '=', workspaceId).execute();
          break;
        case 'MemberRemoved':
          await trx.deleteFrom('rm_memberships').where('user_id', '=', data.userId!).where('workspace_id', '=', workspaceId).execute();
          break;
      }
    }
  },
};

function workspaceIdOf(event: RecordedEvent): string {
  return event.streamId.slice('workspace-'.length);
}

/**
 * The workspaces a user belongs to, by name (eventually consistent: from the memberships
 * read model; permission checks never use it).
 *
 * ```ts
 * const workspaces = await userWorkspaces(pool, userId); // [{ id, name, role }]
 * ```
 */
export async function userWorkspaces(pool: Pool, userId: string): Promise<{ id: string; name: string; role: string }[]> {
  const { rows } = await pool.query<{ id: string; name: string; role: string }>(
    `select m.workspace_id as id, coalesce(w.name, '') as name, m.role
       from rm_memberships m left join rm_workspace_names w using (workspace_id)
      where m.user_id = $1 order by w.name, m.workspace_id`,
    [userId],
  );
  return rows;
}
