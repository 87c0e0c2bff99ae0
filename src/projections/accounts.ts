import { accountEvents, type AccountEvent } from '../domain/account';
import { parseEvent } from '../domain/catalogue';
import type { Projection } from './projection';

/** Every social account of every workspace with its connection status, for the accounts list. */
export const accountsProjection: Projection = {
  name: 'accounts',
  filter: { categories: ['account'], types: Object.keys(accountEvents) },
  migrations: [
    {
      id: '3202_rm_accounts',
      sql: `
        create table rm_accounts (
          account_id       uuid primary key,
          workspace_id     uuid not null,
          platform         text not null,
          handle           text not null,
          external_id      text not null,
          status           text not null,
          reconnect_reason text,
          connected_at     timestamptz not null
        );
        create index rm_accounts_page on rm_accounts (workspace_id, connected_at, account_id);`,
    },
  ],
  async apply(trx, events) {
    for (const recorded of events) {
      const accountId = recorded.streamId.slice('account-'.length);
      const event = parseEvent(recorded.type, recorded.schemaVersion, recorded.data) as AccountEvent;
      const update = trx.updateTable('rm_accounts').where('account_id', '=', accountId);
      switch (event.type) {
        case 'AccountConnected': {
          const { workspaceId, platform, handle, externalId } = event.data;
          await trx
            .insertInto('rm_accounts')
            .values({ account_id: accountId, workspace_id: workspaceId, platform, handle, external_id: externalId, status: 'connected', reconnect_reason: null, connected_at: recorded.occurredAt })
            .onConflict((oc) => oc.column('account_id').doNothing())
            .execute();
          break;
        }
        case 'AccountReconnected':
          await update.set({ status: 'connected', handle: event.data.handle, reconnect_reason: null }).execute();
          break;
        case 'AccountNeedsReconnect':
          await update.set({ status: 'needs_reconnect', reconnect_reason: event.data.reason }).execute();
          break;
        case 'AccountDisconnected':
          await update.set({ status: 'disconnected', reconnect_reason: null }).execute();
          break;
      }
    }
  },
};
