import { accountDecider } from '../../src/domain/account';
import { accountsProjection } from '../../src/projections/accounts';
import { startTestApi, type TestApi } from '../support/api';
import { connectAccount } from '../commands/routes/posts-support';
import { projectToHead, rebuild, tableRows } from '../queries/support';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

describe('the accounts read model', () => {
  it('follows connection, needs-reconnect, reconnection and disconnection', async () => {
    const owner = await api.register();
    const workspaceId = await api.createWorkspace(owner);
    const accountId = await connectAccount(api, workspaceId, owner);
    const row = async () => (await api.pool.query('select * from rm_accounts where account_id = $1', [accountId])).rows[0];
    await projectToHead(api, accountsProjection);
    expect(await row()).toMatchObject({ workspace_id: workspaceId, platform: 'x', handle: '@acme', status: 'connected', reconnect_reason: null, connected_at: expect.any(Date) });

    const marked = await api.http.post(`/v1/workspaces/${workspaceId}/accounts/${accountId}/needs-reconnect`).set(owner.auth).send({ reason: 'token expired' });
    expect(marked.status).toBe(200);
    await projectToHead(api, accountsProjection);
    expect(await row()).toMatchObject({ status: 'needs_reconnect', reconnect_reason: 'token expired' });

    // a reconnection (no route yet): straight through the aggregate
    await api.assembly.deps.commands.handle({
      streamId: `account-${accountId}`,
      decider: accountDecider,
      command: { type: 'ConnectAccount', accountId, workspaceId, platform: 'x', handle: '@acme_new', externalId: (await row()).external_id, by: owner.userId },
      metadata: { actor: { type: 'user', id: owner.userId }, workspaceId },
    });
    await projectToHead(api, accountsProjection);
    expect(await row()).toMatchObject({ status: 'connected', handle: '@acme_new', reconnect_reason: null });

    expect((await api.http.delete(`/v1/workspaces/${workspaceId}/accounts/${accountId}`).set(owner.auth)).status).toBe(204);
    await projectToHead(api, accountsProjection);
    expect(await row()).toMatchObject({ status: 'disconnected' });
  });

  it('builds identical rows when rebuilt from scratch', async () => {
    const owner = await api.register();
    const workspaceId = await api.createWorkspace(owner);
    await connectAccount(api, workspaceId, owner);
    await projectToHead(api, accountsProjection);
    const before = await tableRows(api, 'rm_accounts', 'account_id');
    expect(before.length).toBe(2);
    await rebuild(api, accountsProjection, ['rm_accounts']);
    expect(await tableRows(api, 'rm_accounts', 'account_id')).toEqual(before);
  });
});
