import { mergeRangeResults, planRanges, verifyChain, type VerifyResult } from '../../src/audit/verify';
import { GENESIS_LINK, nextLink } from '../../src/audit/chain';
import { chainedLog, type ChainedLog } from './support';
import { portOnly } from '../support/port-only';

/**
 * Verification in ranges (worker threads): each range starts from the link stored where the
 * one before ends. These tests tamper at and around those cuts and expect exactly what a
 * verification in one pass finds.
 */
describe('verification in ranges', () => {
  let log: ChainedLog;
  beforeEach(async () => {
    log = await chainedLog('auditranges');
    await log.fill(30);
  });
  afterEach(() => log.close());

  const inRanges = (pageSize = 4) => verifyChain(log.store, log.pool, { parallel: 3, minRangePositions: 1, pageSize });
  const inOnePass = () => verifyChain(log.store, log.pool, { parallel: 1 });
  const linkAt = async (position: number) => (await log.pool.query<{ link: string }>('select link from pl_audit_chain where position = $1', [position])).rows[0]!.link;

  /** Through the port: the log and the chain read as two streams side by side, compared position by position. */
  const throughPort = () => verifyChain(portOnly(log.store), log.pool);

  /**
   * Both ways (each reading the log with the chain's links beside it, in one query), which must
   * agree with each other and with a reading of the log through the port, and what they found.
   */
  async function bothWays(): Promise<VerifyResult> {
    const ranges = await inRanges();
    expect(ranges).toEqual(await inOnePass());
    expect(ranges).toEqual(await throughPort());
    return ranges;
  }

  it('cuts the chain at stored links: 30 events in three ranges end at 10, 20 and 30', async () => {
    const ranges = await planRanges(log.pool, { first: 1n, last: 30n }, 3);
    expect(ranges).toEqual([
      { after: undefined, to: 10n, startLink: GENESIS_LINK },
      { after: 10n, to: 20n, startLink: await linkAt(10) },
      { after: 20n, to: 30n, startLink: await linkAt(20) },
    ]);
  });

  it('cuts only where the chain has a link, and never twice at one place', async () => {
    await log.pool.query('delete from pl_audit_chain where position between 8 and 12');
    const ranges = await planRanges(log.pool, { first: 1n, last: 30n }, 3);
    expect(ranges.map((r) => [r.after, r.to])).toEqual([
      [undefined, 7n],
      [7n, 20n],
      [20n, 30n],
    ]);
    // more ranges than links: each link at most once
    const many = await planRanges(log.pool, { first: 1n, last: 3n }, 10);
    expect(many.map((r) => [r.after, r.to])).toEqual([
      [undefined, 1n],
      [1n, 2n],
      [2n, 3n],
    ]);
  });

  it('passes a clean log with every event counted once and the same head', async () => {
    expect(await bothWays()).toEqual({ ok: true, checked: 30, head: { position: '30', link: await linkAt(30) } });
    // more ranges than pages, pages of one event
    expect(await verifyChain(log.store, log.pool, { parallel: 7, minRangePositions: 1, pageSize: 1 })).toEqual(await inOnePass());
  });

  it('finds a modified event at the last position of a range and at the first of the next', async () => {
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '999') where position = 10`);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 9, firstBadPosition: '10', head: { position: '9' } });
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '9') where position = 10`);
    expect(await bothWays()).toMatchObject({ ok: true, checked: 30 });
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '999') where position = 11`);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 10, firstBadPosition: '11', head: { position: '10' } });
  });

  it('finds a __proto__ member added to the stored data, in every range', async () => {
    await log.pool.query(`update pl_events set data = data || '{"__proto__": {"forged": true}}' where position = 20`);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 19, firstBadPosition: '20' });
  });

  it('reports the first bad position when several ranges fail', async () => {
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '999') where position in (5, 15, 25)`);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 4, firstBadPosition: '5' });
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '4') where position = 5`);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 14, firstBadPosition: '15' });
  });

  it('does not trust a forged link at a cut: the range before checks it', async () => {
    await log.pool.query(`update pl_audit_chain set link = repeat('f', 64) where position = 10`);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 9, firstBadPosition: '10' });
  });

  it('finds an event changed together with its link at a cut, at the next position, as one pass does', async () => {
    // the forger rewrites event 10 and its stored link, but not the links after it
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '999') where position = 10`);
    const [changed] = await log.store.readAll({ after: 9n, maxCount: 1 });
    await log.pool.query('update pl_audit_chain set link = $1 where position = 10', [nextLink(await linkAt(9), changed!)]);
    expect(await bothWays()).toMatchObject({ ok: false, checked: 10, firstBadPosition: '11' });
  });

  it('finds a deleted event at a cut and just after it', async () => {
    await log.pool.query('delete from pl_events where position = 10');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 9, firstBadPosition: '10' });
    await log.pool.query('delete from pl_events where position = 11');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 9, firstBadPosition: '10' });
  });

  it('finds a deleted event just after a cut', async () => {
    await log.pool.query('delete from pl_events where position = 11');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 10, firstBadPosition: '11' });
  });

  it('finds events deleted in a row inside a range', async () => {
    await log.pool.query('delete from pl_events where position between 14 and 16');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 13, firstBadPosition: '14', head: { position: '13' } });
  });

  it('finds the last event deleted alone', async () => {
    await log.pool.query('delete from pl_events where position = 30');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 29, firstBadPosition: '30', head: { position: '29' } });
  });

  describe('a position the chain holds and the log lacks, where the log has a gap its links step over', () => {
    /** Removes event 15 and its link, and rewrites the links after it: a log with a gap whose chain agrees with it. */
    async function logWithGap(): Promise<void> {
      await log.pool.query('delete from pl_events where position = 15');
      await log.pool.query('delete from pl_audit_chain where position = 15');
      let link = await linkAt(14);
      for (const event of await log.store.readAll({ after: 14n, maxCount: 100 })) {
        link = nextLink(link, event);
        await log.pool.query('update pl_audit_chain set link = $1 where position = $2', [link, event.position.toString()]);
      }
    }
    const addChainRow = (position: number) =>
      log.pool.query(
        `insert into pl_audit_chain (position, link, event_id, stream_id, category, type, occurred_at)
         values ($1, repeat('e', 64), gen_random_uuid(), 'post-forged', 'post', 'Ticked', now())`,
        [position],
      );

    it('passes the log with the gap, then finds a chain row added in it', async () => {
      await logWithGap();
      expect(await bothWays()).toEqual({ ok: true, checked: 29, head: { position: '30', link: await linkAt(30) } });
      await addChainRow(15);
      expect(await bothWays()).toMatchObject({ ok: false, checked: 14, firstBadPosition: '15', head: { position: '14' } });
      // with pages of one event, and before a later disagreement
      expect(await inRanges(1)).toMatchObject({ ok: false, checked: 14, firstBadPosition: '15' });
      await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '999') where position = 17`);
      expect(await bothWays()).toMatchObject({ ok: false, checked: 14, firstBadPosition: '15' });
    });

    it('finds a chain row added after the log ends', async () => {
      await addChainRow(31);
      expect(await bothWays()).toMatchObject({ ok: false, checked: 30, firstBadPosition: '31', head: { position: '30' } });
    });
  });

  it('finds the events deleted from a cut to the end', async () => {
    await log.pool.query('delete from pl_events where position >= 20');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 19, firstBadPosition: '20' });
  });

  it.each([10, 11])('finds an event inserted at %i (a cut, and just after it)', async (at) => {
    await log.pool.query('update pl_events set position = -(position + 1) where position >= $1', [at]);
    await log.pool.query('update pl_events set position = -position where position < 0');
    await log.pool.query(
      `insert into pl_events (position, event_id, stream_id, category, revision, type, schema_version, occurred_at, data, metadata)
       values ($1, gen_random_uuid(), 'post-forged', 'post', 0, 'Ticked', 1, now(), '{"n": -1}', '{}')`,
      [at],
    );
    expect(await bothWays()).toMatchObject({ ok: false, checked: at - 1, firstBadPosition: String(at) });
  });

  it('finds an event the chain skips at a cut', async () => {
    // no link at 10: the cut moves to 9, and the range after it meets event 10 where the chain has 11
    await log.pool.query('delete from pl_audit_chain where position = 10');
    expect(await bothWays()).toMatchObject({ ok: false, checked: 9, firstBadPosition: '10' });
  });
});

describe('mergeRangeResults', () => {
  const head = (position: string) => ({ position, link: position.repeat(64).slice(0, 64) });

  it('sums what clean ranges checked and keeps the last head', () => {
    expect(
      mergeRangeResults([
        { ok: true, checked: 10, head: head('10') },
        { ok: true, checked: 5, head: head('15') },
      ]),
    ).toEqual({ ok: true, checked: 15, head: head('15') });
  });

  it('stops at the first range that failed, with the head before it', () => {
    expect(
      mergeRangeResults([
        { ok: true, checked: 10, head: head('10') },
        { ok: false, checked: 0, firstBadPosition: '11' },
        { ok: false, checked: 2, firstBadPosition: '25', head: head('24') },
      ]),
    ).toEqual({ ok: false, checked: 10, firstBadPosition: '11', head: head('10') });
    expect(mergeRangeResults([{ ok: false, checked: 0, firstBadPosition: '1' }])).toEqual({ ok: false, checked: 0, firstBadPosition: '1' });
  });
});
