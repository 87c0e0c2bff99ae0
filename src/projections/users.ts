import { parseEvent } from '../domain/catalogue';
import { userEvents, type UserEvent } from '../domain/user/events';
import type { Projection } from './projection';

/**
 * Every user of the platform as platform admins list them: email and display name (personal
 * data, from the events' `personal` group), platform roles and status. On `UserErased` the
 * personal columns become null and `erased` true; rebuilt after an erasure, the groups read
 * as `{ erased: true }` and give the same row.
 */
export const usersProjection: Projection = {
  name: 'users',
  filter: { categories: ['user'], types: Object.keys(userEvents) },
  migrations: [
    {
      id: '3500_rm_users',
      sql: `
        create table rm_users (
          user_id        uuid primary key,
          email          text not null,
          display_name   text not null,
          platform_roles text[] not null default '{}',
          status         text not null,
          registered_at  timestamptz not null,
          updated_at     timestamptz not null
        );
        create index rm_users_page on rm_users (registered_at desc, user_id desc);`,
    },
    {
      id: '6002_rm_users_erasure',
      sql: `
        alter table rm_users alter column email drop not null, alter column display_name drop not null,
          add column erased boolean not null default false;`,
    },
  ],
  async apply(trx, events) {
    for (const recorded of events) {
      const userId = recorded.streamId.slice('user-'.length);
      const event = parseEvent(recorded.type, recorded.schemaVersion, recorded.data) as UserEvent;
      const at = recorded.occurredAt;
      const update = trx.updateTable('rm_users').where('user_id', '=', userId);
      switch (event.type) {
        case 'UserRegistered': {
          const { personal } = event.data;
          const named = 'erased' in personal ? { email: null, display_name: null } : { email: personal.email, display_name: personal.displayName };
          await trx
            .insertInto('rm_users')
            .values({ user_id: userId, ...named, platform_roles: [], status: 'active', registered_at: at, updated_at: at })
            .onConflict((oc) => oc.column('user_id').doNothing())
            .execute();
          break;
        }
        case 'UserProfileUpdated': {
          const { personal } = event.data;
          const displayName = personal === undefined || 'erased' in personal ? undefined : personal.displayName;
          await update.set(displayName === undefined ? { updated_at: at } : { display_name: displayName, updated_at: at }).execute();
          break;
        }
        case 'UserPlatformRolesSet':
          await update.set({ platform_roles: [...event.data.roles], updated_at: at }).execute();
          break;
        case 'UserDeactivated':
          await update.set({ status: 'deactivated', updated_at: at }).execute();
          break;
        case 'UserReactivated':
          await update.set({ status: 'active', updated_at: at }).execute();
          break;
        case 'UserErased':
          await update.set({ email: null, display_name: null, erased: true, status: 'deactivated', updated_at: at }).execute();
          break;
        default:
          // password changes and resets do not show in the list
          break;
      }
    }
  },
};
