import { appendPostEvents, eventually, startRealtimeTestBed, type RealtimeTestBed, TestClient, workspacePositions } from './support';

function strictlyIncreasing(positions: readonly bigint[]): boolean {
  return positions.every((p, i) => i === 0 || p > positions[i - 1]!);
}

describe('realtime resume', () => {
  let bed: RealtimeTestBed;

  beforeAll(async () => {
    bed = await startRealtimeTestBed();
  });
  afterAll(() => bed.close());

  it('replays what a client missed while appends go on, then continues live with no gap and no duplicate', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const elsewhere = await bed.api.createWorkspace(owner, 'Elsewhere');
    const steady = await TestClient.connect(bed.url, owner.accessToken);
    const start = BigInt((await steady.subscribe(workspaceId)).position!);
    const first = await TestClient.connect(bed.url, owner.accessToken);
    await first.subscribe(workspaceId);

    // four writers to the workspace and one to another, concurrently
    let writing = true;
    const writers = Promise.all([
      ...[1, 2, 3, 4].map(() => appendPostEvents(bed.api, workspaceId, 150)),
      appendPostEvents(bed.api, elsewhere, 150),
    ]).finally(() => (writing = false));

    await eventually('the first connection got some events', () => first.events().length >= 40);
    first.close();
    await first.closed;
    const lastSeen = first.positions().at(-1)!;
    // the client comes back while the writers go on: a replay from the log, then live
    const resumed = await TestClient.connect(bed.url, owner.accessToken);
    await resumed.subscribe(workspaceId, lastSeen);
    // and one that replays everything from the start of the log
    const fromStart = await TestClient.connect(bed.url, owner.accessToken);
    await fromStart.subscribe(workspaceId, 0n);
    expect(writing).toBe(true);
    await writers;

    const expected = await workspacePositions(bed.api, workspaceId, start);
    const last = expected.at(-1)!;
    for (const client of [steady, resumed, fromStart]) await eventually('every event', () => client.positions().at(-1) === last);
    expect(steady.positions()).toEqual(expected);
    const stitched = [...first.positions(), ...resumed.positions()];
    expect(strictlyIncreasing(stitched)).toBe(true);
    expect(stitched).toEqual(expected);
    expect(fromStart.positions()).toEqual(await workspacePositions(bed.api, workspaceId));
    for (const client of [steady, resumed, fromStart]) client.close();
  });

  it('reports in caught-up the position to resume from, even when nothing of the workspace followed', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const head = (await bed.api.store.headPosition())!;
    const client = await TestClient.connect(bed.url, owner.accessToken);
    expect(BigInt((await client.subscribe(workspaceId, 0n)).position!)).toBe(head);
    expect(client.events().map((e) => e.type)).toEqual(['WorkspaceCreated', 'MemberAdded']);
    // subscribing again replaces the subscription: from where the client says
    expect(await client.subscribe(workspaceId, head)).toMatchObject({ type: 'caught-up', position: head.toString() });
    expect(client.events()).toHaveLength(2);
    client.close();
  });
});
