import { createHash } from 'node:crypto';
import { canonicalEvent, canonicalJson } from '../../src/audit/canonical';
import { GENESIS_LINK, nextLink } from '../../src/audit/chain';
import { verifyChain, type VerifyOptions, type VerifyResult } from '../../src/audit/verify';
import type { RecordedEvent } from '../../src/eventstore/port';
import { portOnly } from '../support/port-only';
import { chainedLog, type ChainedLog } from './support';

describe('canonical encoding', () => {
  it('sorts keys at every depth by UTF-16 code units and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, 'x', { d: null, c: 2.5 }], B: 'é' })).toBe('{"B":"é","a":[true,"x",{"c":2.5,"d":null}],"b":1}');
    expect(canonicalJson('\u2028"')).toBe(JSON.stringify('\u2028"'));
    expect(canonicalJson(null)).toBe('null');
  });

  it('keeps index-like keys in string order, where JSON.stringify would put them first in numeric order', () => {
    expect(canonicalJson({ b: 1, 10: 'ten', 9: 'nine', a: { 2: [], 1: {} } })).toBe('{"10":"ten","9":"nine","a":{"1":{},"2":[]},"b":1}');
    expect(canonicalJson([{ 1: 'x' }])).toBe('[{"1":"x"}]');
    expect(canonicalJson({ a: [{ 3: 'x' }] })).toBe('{"a":[{"3":"x"}]}');
  });

  it('keeps a __proto__ key as a member, which assigning it to a copy would drop', () => {
    const parsed = JSON.parse('{"b": 1, "__proto__": {"x": 1}, "a": {"__proto__": 2}}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":1},"a":{"__proto__":2},"b":1}');
    expect(canonicalJson(JSON.parse('[{"__proto__": null}]'))).toBe('[{"__proto__":null}]');
    expect(canonicalJson(parsed)).not.toBe(canonicalJson({ b: 1, a: {} }));
  });

  it('encodes the event members in a fixed order with revision as a string and time in ISO', () => {
    const event: RecordedEvent = {
      id: '0b9c1a3e-7f7d-4b8e-9d61-0c2b7f4e8a19',
      type: 'PostDrafted',
      schemaVersion: 2,
      streamId: 'post-1',
      revision: 3n,
      position: 42n,
      occurredAt: new Date('2026-11-26T04:50:16.123Z'),
      data: { title: 'Hi', body: 'x' },
      metadata: { actor: { type: 'user', id: 'u1' }, correlationId: 'c' },
    };
    const encoded = canonicalEvent(event);
    expect(encoded).toBe(
      '{"data":{"body":"x","title":"Hi"},"id":"0b9c1a3e-7f7d-4b8e-9d61-0c2b7f4e8a19","metadata":{"actor":{"id":"u1","type":"user"},"correlationId":"c"},"occurredAt":"2026-11-26T04:50:16.123Z","revision":"3","schemaVersion":2,"streamId":"post-1","type":"PostDrafted"}',
    );
    // the link is SHA-256 over the previous link's hex digits and the encoding, as README tells auditors
    const expected = createHash('sha256').update(`${GENESIS_LINK}${encoded}`, 'utf8').digest('hex');
    expect(nextLink(GENESIS_LINK, event)).toBe(expected);
    expect(GENESIS_LINK).toBe('0'.repeat(64));
  });
});


type Verify = (log: ChainedLog, options?: VerifyOptions) => Promise<VerifyResult>;

const modes: [string, Verify][] = [
  ['pl_events read as text, in this thread', (log, options) => verifyChain(log.store, log.pool, { ...options, parallel: 1 })],
  ['the EventStore port (any adapter)', (log, options) => verifyChain(portOnly(log.store), log.pool, options)],
  ['three ranges in worker threads', (log, options) => verifyChain(log.store, log.pool, { ...options, parallel: 3, minRangePositions: 1 })],
];

describe.each(modes)('chain verification against the PostgreSQL tables: %s', (_mode, verify) => {
  let log: ChainedLog;
  beforeEach(async () => {
    log = await chainedLog('auditchain');
    await log.fill(20);
  });
  afterEach(() => log.close());

  it('passes on a clean log and names the head', async () => {
    const result = await verify(log, { pageSize: 7 });
    const { rows } = await log.pool.query<{ link: string }>('select link from pl_audit_chain where position = 20');
    expect(result).toEqual({ ok: true, checked: 20, head: { position: '20', link: rows[0]!.link } });
  });

  it('finds a modified event at its position', async () => {
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '999') where position = 7`);
    expect(await verify(log, { pageSize: 4 })).toMatchObject({ ok: false, checked: 6, firstBadPosition: '7' });
  });

  it('finds a change to the metadata or the time of an event', async () => {
    await log.pool.query(`update pl_events set metadata = metadata || '{"correlationId":"forged"}' where position = 12`);
    expect(await verify(log)).toMatchObject({ ok: false, firstBadPosition: '12' });
    await log.pool.query(`update pl_events set metadata = metadata || '{"correlationId":"c-3"}' where position = 12`);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 20 });
    await log.pool.query(`update pl_events set occurred_at = occurred_at - interval '1 day' where position = 3`);
    expect(await verify(log)).toMatchObject({ ok: false, checked: 2, firstBadPosition: '3' });
  });

  it('finds a __proto__ member added to, or changed in, the stored data or metadata', async () => {
    await log.pool.query(`update pl_events set data = data || '{"__proto__": {"forged": true}}' where position = 5`);
    expect(await verify(log, { pageSize: 4 })).toMatchObject({ ok: false, checked: 4, firstBadPosition: '5' });
    await log.pool.query(`update pl_events set data = data - '__proto__' where position = 5`);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 20 });
    await log.pool.query(`update pl_events set metadata = metadata || '{"__proto__": 1}' where position = 9`);
    expect(await verify(log)).toMatchObject({ ok: false, checked: 8, firstBadPosition: '9' });
  });

  it('finds a deleted event at its position, in the middle and at the end', async () => {
    await log.pool.query('delete from pl_events where position = 9');
    expect(await verify(log, { pageSize: 5 })).toMatchObject({ ok: false, checked: 8, firstBadPosition: '9' });
    await log.pool.query('delete from pl_events where position >= 9');
    expect(await verify(log)).toMatchObject({ ok: false, checked: 8, firstBadPosition: '9' });
  });

  it('finds a deleted event whose gap was closed by renumbering the rest', async () => {
    await log.pool.query('delete from pl_events where position = 9');
    await log.pool.query('update pl_events set position = -(position - 1) where position > 9');
    await log.pool.query('update pl_events set position = -position where position < 0');
    expect(await verify(log)).toMatchObject({ ok: false, checked: 8, firstBadPosition: '9' });
  });

  it('finds an inserted event at its position', async () => {
    // make room at 5 the way an attacker would have to, then slip an event in
    await log.pool.query('update pl_events set position = -(position + 1) where position >= 5');
    await log.pool.query('update pl_events set position = -position where position < 0');
    await log.pool.query(
      `insert into pl_events (position, event_id, stream_id, category, revision, type, schema_version, occurred_at, data, metadata)
       values (5, gen_random_uuid(), 'post-forged', 'post', 0, 'Ticked', 1, now(), '{"n": -1}', '{}')`,
    );
    expect(await verify(log)).toMatchObject({ ok: false, checked: 4, firstBadPosition: '5' });
  });

  it('finds an event inserted into a gap that the chain does not know', async () => {
    await log.pool.query('delete from pl_audit_chain where position > 10');
    await log.pool.query('delete from pl_audit_chain where position = 4');
    // the chain now skips 4: the log has an event there that was never chained
    expect(await verify(log)).toMatchObject({ ok: false, checked: 3, firstBadPosition: '4' });
  });

  it('judges only what the chain has reached, then the rest once chained', async () => {
    await log.fill(5);
    await log.pool.query('delete from pl_audit_chain where position > 22');
    await log.pool.query(`update pl_projection_checkpoints set position = 22`);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 22, head: { position: '22' } });
    await log.chainUp();
    expect(await verify(log)).toMatchObject({ ok: true, checked: 25 });
  });
});

describe('an empty chain', () => {
  it('verifies with nothing checked', async () => {
    const log = await chainedLog('auditempty');
    try {
      expect(await verifyChain(log.store, log.pool)).toEqual({ ok: true, checked: 0 });
    } finally {
      await log.close();
    }
  });
});
