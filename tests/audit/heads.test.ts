import { compactVerify, importJWK } from 'jose';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chainRows } from '../../src/audit/chain-projection';
import { GENESIS_LINK } from '../../src/audit/chain';
import { AUDIT_KEY_FILE, ChainHeads, HEAD_TYPE, HeadSigner, verifySignedHead } from '../../src/audit/heads';
import { logMatchesHead, verifyChain } from '../../src/audit/verify';
import { GENERATED_KEY_FILE, loadSigningKeys } from '../../src/auth/signing-keys';
import { loadAuditKeys } from '../../src/http/api';
import { createLogger } from '../../src/platform/logger';
import { chainedLog, type ChainedLog } from './support';

let log: ChainedLog;
let heads: ChainHeads;
const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-audit-'));

beforeEach(async () => {
  log = await chainedLog('auditheads');
  heads = new ChainHeads(log.pool, await loadAuditKeys({ dataDir }));
});
afterEach(() => log.close());

describe('signed chain heads', () => {
  it('has nothing to sign on an empty chain', async () => {
    expect(await heads.signLatest()).toBeUndefined();
  });

  it('signs the head with an Ed25519 key of its own that jose and node:crypto verify with the public key', async () => {
    await log.fill(6);
    const head = (await heads.signLatest())!;
    const { rows } = await log.pool.query<{ link: string }>('select link from pl_audit_chain where position = 6');
    expect(head).toMatchObject({ position: '6', link: rows[0]!.link, kid: heads.keys.kid });

    const jwk = heads.jwks.keys[0]!;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: head.kid });
    expect(jwk).not.toHaveProperty('d');
    const { payload, protectedHeader } = await compactVerify(head.jws, await importJWK(jwk, 'EdDSA'));
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: head.kid, typ: HEAD_TYPE });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ position: '6', link: head.link, signedAt: head.signedAt });

    // the same with node:crypto alone: EdDSA over "<header>.<payload>"
    const [protectedPart, payloadPart, signature] = head.jws.split('.');
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    expect(verify(null, Buffer.from(`${protectedPart}.${payloadPart}`), publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
    const forged = Buffer.from(JSON.stringify({ position: '6', link: GENESIS_LINK, signedAt: head.signedAt })).toString('base64url');
    expect(verify(null, Buffer.from(`${protectedPart}.${forged}`), publicKey, Buffer.from(signature!, 'base64url'))).toBe(false);
  });

  it('keeps the audit key apart from the access-token key, and reuses it across restarts', async () => {
    const again = await loadAuditKeys({ dataDir });
    expect(again.kid).toBe(heads.keys.kid);
    const tokenKeys = await loadSigningKeys({ dataDir });
    expect(tokenKeys.kid).not.toBe(heads.keys.kid);
    expect(AUDIT_KEY_FILE).not.toBe(GENERATED_KEY_FILE);
  });

  it('signs a head once, and a newer one only when the chain moved', async () => {
    await log.fill(3);
    const first = (await heads.signLatest())!;
    expect(await heads.signLatest()).toEqual(first);
    await log.fill(2);
    const second = (await heads.signLatest())!;
    expect(second.position).toBe('5');
    expect(await heads.latest()).toEqual(second);
  });

  it('signs at the configured interval', async () => {
    await log.fill(2);
    const signer = new HeadSigner(heads, 1000, createLogger('silent'));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      signer.start();
      signer.start();
      expect(await heads.latest()).toBeUndefined();
      jest.advanceTimersByTime(1000);
    } finally {
      jest.useRealTimers();
    }
    await signer.stop();
    expect(await heads.latest()).toMatchObject({ position: '2' });
  });
});

describe('receipts', () => {
  it('prove the log is the one that was seen, and fail once an earlier event was altered, even with the chain table rewritten to match', async () => {
    await log.fill(10);
    const receipt = (await heads.signLatest())!;
    const checked = await verifySignedHead(receipt.jws, heads.jwks);
    expect(checked).toMatchObject({ position: '10', link: receipt.link });
    expect(await logMatchesHead(log.store, checked)).toEqual({ ok: true, recomputedLink: receipt.link });

    // whoever alters the log rewrites the chain table too, so that verification alone passes
    await log.pool.query(`update pl_events set data = jsonb_set(data, '{n}', '12345') where position = 4`);
    await log.pool.query('delete from pl_audit_chain');
    const rows = chainRows(GENESIS_LINK, await log.store.readAll());
    for (const row of rows) {
      await log.pool.query('insert into pl_audit_chain (position, link, event_id, stream_id, category, type, occurred_at) values ($1, $2, $3, $4, $5, $6, $7)', [
        row.position,
        row.link,
        row.event_id,
        row.stream_id,
        row.category,
        row.type,
        row.occurred_at,
      ]);
    }
    expect(await verifyChain(log.store, log.pool)).toMatchObject({ ok: true, checked: 10 });
    // the receipt still tells
    const recheck = await logMatchesHead(log.store, checked);
    expect(recheck.ok).toBe(false);
    expect(recheck.recomputedLink).not.toBe(receipt.link);
  });

  it('fail when the receipt position is no longer in the log, or lies past its end', async () => {
    await log.fill(4);
    const receipt = (await heads.signLatest())!;
    await log.pool.query('delete from pl_events where position = 4');
    expect(await logMatchesHead(log.store, receipt)).toEqual({ ok: false });
    await log.fill(2);
    await log.pool.query('delete from pl_events where position = 5');
    await log.pool.query('update pl_events set position = 4 where position = 6');
    expect((await logMatchesHead(log.store, receipt)).ok).toBe(false);
    await log.pool.query('delete from pl_events where position = 4');
    await log.pool.query(`insert into pl_events (position, event_id, stream_id, category, revision, type, schema_version, occurred_at, data, metadata)
       values (7, gen_random_uuid(), 'post-late', 'post', 0, 'Ticked', 1, now(), '{}', '{}')`);
    expect(await logMatchesHead(log.store, receipt)).toEqual({ ok: false });
  });

  it('refuse a receipt that is not a signed head of a published key', async () => {
    await log.fill(1);
    const receipt = (await heads.signLatest())!;
    await expect(verifySignedHead('not-a-jws', heads.jwks)).rejects.toThrow(/compact JWS with a kid/);
    await expect(verifySignedHead(receipt.jws, { keys: [] })).rejects.toThrow(/no published key/);
    const [h, , s] = receipt.jws.split('.');
    const altered = `${h}.${Buffer.from(JSON.stringify({ position: '1', link: GENESIS_LINK, signedAt: receipt.signedAt })).toString('base64url')}.${s}`;
    await expect(verifySignedHead(altered, heads.jwks)).rejects.toThrow();
    const tokenKeys = await loadSigningKeys({ dataDir });
    const { CompactSign } = await import('jose');
    const notAHead = await new CompactSign(new TextEncoder().encode('{}')).setProtectedHeader({ alg: 'EdDSA', kid: tokenKeys.kid }).sign(tokenKeys.privateKey);
    await expect(verifySignedHead(notAHead, tokenKeys.jwks)).rejects.toThrow(/not a signed audit head/);
  });
});
