import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { closeCodes } from '../../src/realtime';
import { eventually, startRealtimeTestBed, type RealtimeTestBed, TestClient } from './support';

/** Sends an upgrade request and returns the HTTP answer, or `101` when a socket was opened. */
function upgradeStatus(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, body: '', headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('realtime handshake', () => {
  let bed: RealtimeTestBed;

  beforeAll(async () => {
    bed = await startRealtimeTestBed();
  });
  afterAll(() => bed.close());

  it('refuses an upgrade without a token, with a bad token, or with an API key: HTTP 401 and no socket', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const key = await bed.api.http.post(`/v1/workspaces/${workspaceId}/api-keys`).set(owner.auth).send({ name: 'collector', scopes: ['analytics:read'] });
    expect(key.status).toBe(201);
    const attempts: Record<string, string>[] = [
      {},
      { 'Sec-WebSocket-Protocol': 'bearer, not-a-jwt' },
      { 'Sec-WebSocket-Protocol': `bearer, ${owner.accessToken.slice(0, -4)}AAAA` },
      { 'Sec-WebSocket-Protocol': `bearer, ${(key.body as { key: string }).key}` },
    ];
    for (const headers of attempts) {
      const answer = await upgradeStatus(bed.port, '/v1/realtime', headers);
      expect(answer.status).toBe(401);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
    expect((await upgradeStatus(bed.port, '/v1/realtime?access_token=junk')).status).toBe(401);
    expect(bed.gateway.connectionCount).toBe(0);
  });

  it('upgrades with the token as subprotocol (selecting only "bearer") or as access_token', async () => {
    const user = await bed.api.register();
    const answer = await upgradeStatus(bed.port, '/v1/realtime', { 'Sec-WebSocket-Protocol': `bearer, ${user.accessToken}` });
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBe('bearer');
    const viaProtocol = await TestClient.connect(bed.url, user.accessToken);
    const viaQuery = await TestClient.connect(bed.url, user.accessToken, 'query');
    expect(viaProtocol.socket.protocol).toBe('bearer');
    await eventually('both connections counted', () => bed.gateway.connectionCount >= 2);
    viaProtocol.close();
    viaQuery.close();
    await Promise.all([viaProtocol.closed, viaQuery.closed]);
  });

  it('answers 404 to an upgrade of another path', async () => {
    const user = await bed.api.register();
    expect((await upgradeStatus(bed.port, '/v1/elsewhere', { 'Sec-WebSocket-Protocol': `bearer, ${user.accessToken}` })).status).toBe(404);
  });

  it('closes with 4001 when the access token expires, and the client can come back with a fresh one', async () => {
    const user = await bed.api.register();
    const { sessionId } = await bed.api.assembly.deps.accessTokens.verifyAccessToken(user.accessToken);
    // a token issued 899 s ago by the API's clock: one second left
    bed.api.clock.offsetMs = -899_000;
    const shortLived = await bed.api.assembly.deps.accessTokens.issueAccessToken({ userId: user.userId, sessionId });
    bed.api.clock.offsetMs = 0;
    const client = await TestClient.connect(bed.url, shortLived);
    expect((await client.closed).code).toBe(closeCodes.tokenExpired);
    const drops = await bed.metrics.realtimeDrops.get();
    expect(drops.values.find((v) => v.labels.reason === 'expired')?.value).toBe(1);
    const again = await TestClient.connect(bed.url, user.accessToken);
    again.close();
  });

  it('closes with 4003 the sockets of a user who is deactivated', async () => {
    const user = await bed.api.register();
    const client = await TestClient.connect(bed.url, user.accessToken);
    await bed.api.store.appendToStream(`user-${user.userId}`, [{ id: randomUUID(), type: 'UserDeactivated', data: {} }]);
    expect((await client.closed).code).toBe(closeCodes.accessRevoked);
    expect((await upgradeStatus(bed.port, '/v1/realtime', { 'Sec-WebSocket-Protocol': `bearer, ${user.accessToken}` })).status).toBe(401);
  });
});
