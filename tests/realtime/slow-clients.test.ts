import { request } from 'node:http';
import type { Socket } from 'node:net';
import { closeCodes } from '../../src/realtime';
import { appendPostBatches, appendPostEvents, eventually, startRealtimeTestBed, type RealtimeTestBed, TestClient, workspacePositions } from './support';

async function dropsOf(bed: RealtimeTestBed, reason: string): Promise<number> {
  return (await bed.metrics.realtimeDrops.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('realtime slow clients', () => {
  let bed: RealtimeTestBed;

  beforeAll(async () => {
    bed = await startRealtimeTestBed({ maxBufferBytes: 65_536 });
  });
  afterAll(() => bed.close());

  // 20 MB through two sockets: bounded at 90 s for loaded machines
  it('closes a client that stops reading with 1013 while a fast one receives everything; the slow one resumes', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const fast = await TestClient.connect(bed.url, owner.accessToken);
    const slow = await TestClient.connect(bed.url, owner.accessToken);
    const start = BigInt((await fast.subscribe(workspaceId)).position!);
    await slow.subscribe(workspaceId);
    await appendPostEvents(bed.api, workspaceId, 2, 32_768);
    await eventually('the slow client read the first events', () => slow.events().length === 2);
    slow.socket.pause();
    // far more than the limit and the sockets' kernel buffers hold
    const appending = appendPostBatches(bed.api, workspaceId, 600, 32_768);
    await eventually('the slow client dropped', () => bed.gateway.connectionCount === 1);
    slow.socket.resume();
    expect((await slow.closed).code).toBe(closeCodes.tryAgainLater);
    expect(await dropsOf(bed, 'slow')).toBe(1);
    await appending;
    const expected = await workspacePositions(bed.api, workspaceId, start);
    await eventually('the fast client got every event', () => fast.positions().length === expected.length);
    expect(fast.positions()).toEqual(expected);

    const received = slow.positions();
    const back = await TestClient.connect(bed.url, owner.accessToken);
    await back.subscribe(workspaceId, received.at(-1));
    expect([...received, ...back.positions()]).toEqual(expected);
    fast.close();
    back.close();
  }, 90_000);
});

describe('realtime dead clients', () => {
  let bed: RealtimeTestBed;

  beforeAll(async () => {
    bed = await startRealtimeTestBed({ heartbeatMs: 100 });
  });
  afterAll(() => bed.close());

  it('cuts a connection that stops answering pings within two heartbeats', async () => {
    const user = await bed.api.register();
    const before = await dropsOf(bed, 'dead');
    // a raw upgrade whose socket is never read again: it cannot answer a ping
    const socket = await new Promise<Socket>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: bed.port,
        path: `/v1/realtime?access_token=${user.accessToken}`,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (_res, upgraded) => resolve(upgraded as Socket));
      req.on('error', reject);
      req.end();
    });
    socket.pause();
    await eventually('the connection counted', () => bed.gateway.connectionCount === 1);
    await eventually('the dead connection cut', () => bed.gateway.connectionCount === 0);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.resume();
    socket.on('data', () => undefined);
    await closed;
    expect(await dropsOf(bed, 'dead')).toBe(before + 1);
  });
});
