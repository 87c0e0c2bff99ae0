import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChainHeads } from '../../src/audit/heads';
import { parseAudit, parseReplay } from '../../src/cli/audit-args';
import { parseArgs, USAGE } from '../../src/cli/args';
import { runCli } from '../../src/cli/run';
import { loadAuditKeys } from '../../src/http/api';
import { KafkaBus } from '../../src/streaming/kafka-bus';
import { FakeProcess } from '../support/fake-process';
import { chainedLog, type ChainedLog } from './support';

const brokers = process.env.KAFKA_BROKERS?.split(',');

describe('parsing audit and replay', () => {
  it('parses audit verify with or without a receipt', () => {
    expect(parseArgs(['audit', 'verify'])).toEqual({ command: 'audit-verify' });
    expect(parseArgs(['audit', 'verify', '--receipt', 'head.json'])).toEqual({ command: 'audit-verify', receipt: 'head.json' });
    expect(parseAudit(['check'])).toMatchObject({ command: 'invalid' });
    expect(parseAudit(['verify', '--receipt'])).toMatchObject({ command: 'invalid' });
    expect(USAGE).toMatch(/audit verify/);
    expect(USAGE).toMatch(/replay --from/);
  });

  it('parses replay options and refuses bad ones', () => {
    expect(parseArgs(['replay', '--from', '0'])).toEqual({ command: 'replay', from: 0n, filter: {} });
    expect(parseReplay(['--from', '10', '--to', '20', '--to-kafka', 'analytics.replay', '--filter', 'types=PostDrafted,PostScheduled', '--filter', 'categories=post'])).toEqual({
      command: 'replay',
      from: 10n,
      to: 20n,
      toKafka: 'analytics.replay',
      filter: { types: ['PostDrafted', 'PostScheduled'], categories: ['post'] },
    });
    for (const bad of [[], ['--from'], ['--from', 'x'], ['--from', '5', '--to', '4'], ['--from', '0', '--filter', 'actor=x'], ['--from', '0', '--filter', 'types=no space'], ['--from', '0', '--to-kafka', 'a/b'], ['--from', '0', '--fast', 'yes']]) {
      expect(parseReplay(bad)).toMatchObject({ command: 'invalid', error: expect.stringMatching(/^replay: /) });
    }
  });
});

describe('postledger audit verify and replay', () => {
  let log: ChainedLog;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-cli-audit-'));
  const env = () => ({ DATABASE_URL: log.database.connectionString, LOG_LEVEL: 'silent', DATA_DIR: dataDir });
  beforeEach(async () => {
    log = await chainedLog('auditcli');
    await log.fill(12);
  });
  afterEach(() => log.close());

  async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<FakeProcess> {
    const host = new FakeProcess({ ...env(), ...extraEnv });
    await runCli(args, host);
    return host;
  }

  it('prints the verification and exits 0 on a clean log, 1 with the bad position after tampering', async () => {
    const clean = await cli(['audit', 'verify']);
    expect(JSON.parse(clean.stdout.text)).toMatchObject({ ok: true, checked: 12 });
    expect(clean.exits).toEqual([0]);
    await log.pool.query(`update pl_events set type = 'Forged' where position = 5`);
    const tampered = await cli(['audit', 'verify']);
    expect(JSON.parse(tampered.stdout.text)).toMatchObject({ ok: false, checked: 4, firstBadPosition: '5' });
    expect(tampered.exits).toEqual([1]);
  });

  it('checks a receipt: its signature, then the log up to its position', async () => {
    const heads = new ChainHeads(log.pool, await loadAuditKeys({ dataDir }));
    const head = (await heads.signLatest())!;
    const file = path.join(dataDir, `receipt-${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify({ ...head, keys: heads.jwks.keys }));
    const bare = path.join(dataDir, `receipt-${randomUUID()}.jws`);
    writeFileSync(bare, `${head.jws}\n`);

    const good = await cli(['audit', 'verify', '--receipt', file]);
    expect(JSON.parse(good.stdout.text)).toMatchObject({ ok: true, receipt: { position: '12', signature: 'valid', logMatches: true } });
    expect(good.exits).toEqual([0]);
    // a bare JWS is checked with the configured keys
    expect((await cli(['audit', 'verify', '--receipt', bare])).exits).toEqual([0]);

    await log.pool.query(`update pl_events set data = '{}' where position = 2`);
    const after = await cli(['audit', 'verify', '--receipt', file]);
    expect(JSON.parse(after.stdout.text)).toMatchObject({ ok: false, firstBadPosition: '2', receipt: { logMatches: false } });
    expect(after.exits).toEqual([1]);

    const notReceipt = path.join(dataDir, `receipt-${randomUUID()}.json`);
    writeFileSync(notReceipt, '{"position": "1"}');
    const refused = await cli(['audit', 'verify', '--receipt', notReceipt]);
    expect(refused.stderr.text).toMatch(/has no "jws"/);
    expect(refused.exits).toEqual([1]);
  });

  it('replays NDJSON to stdout from a position, up to a position, filtered, and records the replay', async () => {
    const host = await cli(['replay', '--from', '3', '--to', '10', '--filter', 'types=Ticked']);
    expect(host.exits).toEqual([0]);
    const lines = host.stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { position: string; type: string });
    expect(lines.map((l) => l.position)).toEqual(['3', '5', '7', '9']);
    expect(lines.every((l) => l.type === 'Ticked')).toBe(true);
    const recorded = (await log.store.readAll({ filter: { types: ['AuditLogRead'] } }))[0]!;
    expect(recorded).toMatchObject({ data: { route: 'postledger replay', filter: { from: '3', to: '10', types: 'Ticked' } }, metadata: { actor: { type: 'system', id: 'cli' } } });

    const all = await cli(['replay', '--from', '0']);
    // the whole log as it was when the replay began: the 12 events and the first replay's record
    expect(all.stdout.text.trimEnd().split('\n')).toHaveLength(13);
  });

  it('refuses --to-kafka without KAFKA_BROKERS, and reports a database it cannot reach', async () => {
    const host = new FakeProcess({ ...env() });
    await runCli(['replay', '--from', '0', '--to-kafka', 'analytics.replay'], host);
    expect(host.stderr.text).toMatch(/--to-kafka needs KAFKA_BROKERS/);
    expect(host.exits).toEqual([2]);
    for (const args of [['replay', '--from', '0'], ['audit', 'verify']]) {
      const down = new FakeProcess({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
      await runCli(args, down);
      expect(down.stderr.text).toMatch(/failed: /);
      expect(down.exits).toEqual([1]);
    }
  });

  (brokers ? it : it.skip)(`publishes the replay to a Kafka topic, keyed by stream${brokers ? '' : ' (skipped: KAFKA_BROKERS is not set; `npm run kafka` starts a broker)'}`, async () => {
    const topic = `postledger.test.replay-${randomUUID()}`;
    const host = await cli(['replay', '--from', '1', '--filter', 'categories=post', '--to-kafka', topic], { KAFKA_BROKERS: brokers!.join(',') });
    expect(host.stderr.text).toBe('');
    expect(host.exits).toEqual([0]);
    const bus = new KafkaBus({ brokers: brokers!, partitions: 1 });
    const received: { key: string; value: string; headers: Record<string, string> }[] = [];
    try {
      const consumer = await bus.consume({ topics: [topic], groupId: `replay-test-${randomUUID()}`, fromBeginning: true, handle: async (m) => void received.push(m) });
      const deadline = Date.now() + 20_000;
      while (received.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await consumer.stop();
    } finally {
      await bus.close();
    }
    // events 1, 4, 7, 10 are in the post stream
    expect(received.map((m) => (JSON.parse(m.value) as { position: string }).position)).toEqual(['1', '4', '7', '10']);
    expect(received[0]!.key).toMatch(/^post-/);
    expect(received[0]!.headers).toMatchObject({ ce_type: 'Ticked', ce_position: '1' });
  }, 60_000);
});
