import { Client } from 'pg';
import { postgresChainedLog, portLog } from '../../src/audit/canonical-log';
import { chainedLog, type ChainedLog } from './support';

/**
 * `pl_events` read as text must encode every event exactly as the port's objects do: the
 * chain was linked from the latter. Events are written straight into the table, with what
 * jsonb and timestamptz can hold.
 */
describe('pl_events read as text', () => {
  let log: ChainedLog;
  beforeAll(async () => {
    log = await chainedLog('auditcanon');
  });
  afterAll(() => log.close());

  const DOCUMENTS = [
    { title: 'Weekly update #1', tags: ['launch', 'recap'], seq: 1, nested: { z: [1, 2.5, { b: true, a: null }], a: 'x' } },
    { text: 'événement — naïve café, 日本語, emoji 😀𝄞, \u2028\u2029', quote: 'a "quoted" \\ back\\slash', control: '\u0001\u001f\t\n\r\b\f', del: '\u007f' },
    { numbers: [0, -0, 1.5, -12.25, 1e21, 1e-7, 123456789012345, 12345678901234567890, 0.1, 5e-324, 1.7976931348623157e308] },
    { 10: 'ten', 9: 'nine', b: { 2: [], 1: {} }, a: [], '': 'empty key', 'é': 1, e: 2, '😀': 3, '\uff61': 4 },
    { deep: { a: { b: { c: { d: { e: [[[{ f: 'g' }]]] } } } } } },
    {},
    [1, 'two', { three: 3 }],
    'a bare string',
    42,
  ];
  // numbers as text that JavaScript cannot keep as written: jsonb keeps them, the encoding must agree with JSON.parse
  const TEXTS = ['{"big": 1e400, "precise": 0.30000000000000004, "trailing": 1.50, "exp": 1E+2, "neg": -0.0}', '{"a": 1, "a": 2}', '{"__proto__": {"x": 1}, "y": 2}'];
  const TIMES = [
    'now()',
    `'2026-11-26 04:50:16.123456+00'`,
    `'2026-11-26 04:50:16.120+00'`,
    `'2026-11-26 04:50:16+00'`,
    `'1969-12-31 23:59:59.999999+00'`,
    `'0044-03-15 12:00:00.5+00'`,
    `'0044-03-15 12:00:00+00 BC'`,
    `'9999-12-31 23:59:59.999+00'`,
    `'12026-01-01 00:00:00+00'`,
    `'1900-01-01 00:00:00+00'`,
  ];

  beforeAll(async () => {
    let position = 0;
    const insert = (data: string, metadata: string, time: string, type = 'Ticked', streamId = 'post-1') =>
      log.pool.query(
        `insert into pl_events (position, event_id, stream_id, category, revision, type, schema_version, occurred_at, data, metadata)
         values ($1::bigint, gen_random_uuid(), $2, 'post', $1::bigint - 1, $3, $4, ${time}, $5::jsonb, $6::jsonb)`,
        [++position, streamId, type, (position % 3) + 1, data, metadata],
      );
    for (const time of TIMES) {
      for (const document of DOCUMENTS) await insert(JSON.stringify(document), JSON.stringify({ actor: { type: 'user', id: 'u-1' }, correlationId: 'c-"1"', note: document }), time);
      for (const text of TEXTS) await insert(text, text, time, 'Type "quoted" é', 'post-é😀');
    }
  });

  async function both(db: Pick<Client, 'query'>): Promise<[string[], string[]]> {
    const lean = postgresChainedLog(db);
    const port = portLog(log.store);
    const rows = await lean.page(undefined, 10_000n, 1000);
    const events = await port.page(undefined, 10_000n, 1000);
    expect(rows.map(lean.positionOf)).toEqual(events.map(port.positionOf));
    return [rows.map(lean.canonicalOf), events.map(port.canonicalOf)];
  }

  it('encodes every event as canonicalEvent does over the port', async () => {
    const [lean, port] = await both(log.pool);
    expect(lean).toHaveLength(TIMES.length * (DOCUMENTS.length + TEXTS.length));
    expect(lean).toEqual(port);
  });

  it.each(['UTC', 'America/New_York', 'Asia/Kathmandu', 'Europe/Amsterdam'])('does so whatever the session time zone (%s)', async (zone) => {
    const client = new Client(log.database.connection);
    await client.connect();
    try {
      await client.query(`set time zone '${zone}'`);
      const [lean, port] = await both(client);
      expect(lean).toEqual(port);
    } finally {
      await client.end();
    }
  });

  it('reads only up to `to` and after `after`', async () => {
    const lean = postgresChainedLog(log.pool);
    expect((await lean.page(3n, 7n, 1000)).map(lean.positionOf)).toEqual(['4', '5', '6', '7']);
    expect((await lean.page(3n, 7n, 2)).map(lean.positionOf)).toEqual(['4', '5']);
    // nothing chained here: no stored link beside the events
    expect((await lean.page(3n, 7n, 2)).map(lean.storedLinkOf)).toEqual([null, null]);
    const port = portLog(log.store);
    expect((await port.page(3n, 7n, 1000)).map(port.positionOf)).toEqual(['4', '5', '6', '7']);
  });
});
