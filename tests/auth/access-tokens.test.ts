import { base64url, decodeProtectedHeader, decodeJwt, SignJWT } from 'jose';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessTokens } from '../../src/auth/access-tokens';
import { InvalidAccessToken } from '../../src/auth/errors';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys';
import { TestClock } from './support';

const ISSUER = 'https://api.postledger.test';
const AUDIENCE = 'postledger';
const USER = '0b5c3a36-4a55-4c1b-9a57-2f7e0b9b8a01';
const SESSION = '6f1f7a52-1d2b-4c9e-8d7f-3b6a2c1e9f00';

let dataDir: string;
let keys: SigningKeys;
let clock: TestClock;
let tokens: AccessTokens;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'postledger-tokens-'));
  keys = await loadSigningKeys({ dataDir });
});

beforeEach(() => {
  clock = new TestClock(new Date());
  tokens = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now });
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

/** A token with valid claims, signed however the attack wants. */
function forged(header: Record<string, unknown>, claims: Record<string, unknown> = {}) {
  return new SignJWT({ sid: SESSION, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt', ...header } as { alg: string })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(USER)
    .setIssuedAt(nowSeconds())
    .setExpirationTime(nowSeconds() + 600)
    .setJti('j-1');
}

async function rejection(token: string | Promise<string>): Promise<string> {
  try {
    await tokens.verifyAccessToken(await token);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAccessToken);
    expect(error).toMatchObject({ code: 'invalid_access_token', kind: 'unauthenticated', message: 'access token is not valid' });
    return (error as InvalidAccessToken).reason;
  }
  throw new Error('the token was accepted');
}

describe('issuing', () => {
  it('signs an EdDSA JWT with kid, iss, aud, sub, sid, iat, exp 15 minutes later and a jti', async () => {
    const token = await tokens.issueAccessToken({ userId: USER, sessionId: SESSION });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt' });
    const claims = decodeJwt(token);
    expect(claims).toEqual({ iss: ISSUER, aud: AUDIENCE, sub: USER, sid: SESSION, iat: nowSeconds(), exp: nowSeconds() + 900, jti: expect.any(String) });
    expect(tokens.ttlSeconds).toBe(900);
    const other = decodeJwt(await tokens.issueAccessToken({ userId: USER, sessionId: SESSION }));
    expect(other.jti).not.toBe(claims.jti);
  });

  it('takes a configured lifetime', async () => {
    const short = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60, now: clock.now });
    const claims = decodeJwt(await short.issueAccessToken({ userId: USER, sessionId: SESSION }));
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(short.ttlSeconds).toBe(60);
  });
});

describe('verifying', () => {
  it('returns the user, the session and the expiry of a token it issued', async () => {
    const token = await tokens.issueAccessToken({ userId: USER, sessionId: SESSION });
    await expect(tokens.verifyAccessToken(token)).resolves.toEqual({
      userId: USER,
      sessionId: SESSION,
      expiresAt: new Date((nowSeconds() + 900) * 1000),
    });
  });

  it('works with the real clock by default', async () => {
    const real = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE });
    const { userId } = await real.verifyAccessToken(await real.issueAccessToken({ userId: USER, sessionId: SESSION }));
    expect(userId).toBe(USER);
  });

  it('rejects an expired token', async () => {
    const token = await tokens.issueAccessToken({ userId: USER, sessionId: SESSION });
    clock.advance(899_000);
    await expect(tokens.verifyAccessToken(token)).resolves.toMatchObject({ userId: USER });
    clock.advance(1_000);
    expect(await rejection(token)).toBe('expired');
    expect(await rejection(forged({}).setExpirationTime(nowSeconds() - 3600).sign(keys.privateKey))).toBe('expired');
  });

  it('tolerates configured clock skew on expiry', async () => {
    const tolerant = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now, clockToleranceSeconds: 30 });
    const token = await tolerant.issueAccessToken({ userId: USER, sessionId: SESSION });
    clock.advance(920_000);
    await expect(tolerant.verifyAccessToken(token)).resolves.toMatchObject({ userId: USER });
  });
});

describe('verified tokens remembered', () => {
  /** Counts full verifications: jose asks for the key once per signature check. */
  const keyLookups = (instance: AccessTokens) => jest.spyOn(instance as unknown as { keyFor: () => KeyObject }, 'keyFor');

  it('checks a signature once, and expiry (with the tolerated skew) on every use', async () => {
    const tolerant = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now, clockToleranceSeconds: 30 });
    const lookups = keyLookups(tolerant);
    const token = await tolerant.issueAccessToken({ userId: USER, sessionId: SESSION });
    const first = await tolerant.verifyAccessToken(token);
    first.expiresAt.setTime(0);
    await expect(tolerant.verifyAccessToken(token)).resolves.toEqual({ userId: USER, sessionId: SESSION, expiresAt: new Date((nowSeconds() + 900) * 1000) });
    expect(lookups).toHaveBeenCalledTimes(1);
    clock.advance(929_000);
    await expect(tolerant.verifyAccessToken(token)).resolves.toMatchObject({ userId: USER });
    clock.advance(1_000);
    await expect(tolerant.verifyAccessToken(token)).rejects.toMatchObject({ reason: 'expired' });
    // forgotten once expired: a later try is checked in full again, and still refused
    await expect(tolerant.verifyAccessToken(token)).rejects.toMatchObject({ reason: 'expired' });
    expect(lookups).toHaveBeenCalledTimes(2);
  });

  it('remembers only what verified: an altered copy of a remembered token is checked in full and refused', async () => {
    const lookups = keyLookups(tokens);
    const token = await tokens.issueAccessToken({ userId: USER, sessionId: SESSION });
    await tokens.verifyAccessToken(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const altered = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await rejection(altered)).toBe('bad_signature');
    expect(await rejection(altered)).toBe('bad_signature');
    expect(lookups).toHaveBeenCalledTimes(3);
  });

  it('refuses a remembered token once its key is no longer accepted', async () => {
    const mutable = { ...keys, publicKeys: new Map(keys.publicKeys) };
    const instance = new AccessTokens({ keys: mutable, issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    const token = await instance.issueAccessToken({ userId: USER, sessionId: SESSION });
    await expect(instance.verifyAccessToken(token)).resolves.toMatchObject({ userId: USER });
    mutable.publicKeys.delete(keys.kid);
    await expect(instance.verifyAccessToken(token)).rejects.toMatchObject({ reason: 'unknown_kid' });
    await expect(instance.verifyAccessToken(token)).rejects.toMatchObject({ reason: 'unknown_kid' });
  });

  it('keeps at most verifiedCacheSize tokens, the oldest going first; 0 keeps none', async () => {
    const one = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now, verifiedCacheSize: 1 });
    const none = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now, verifiedCacheSize: 0 });
    const [a, b] = [await one.issueAccessToken({ userId: USER, sessionId: SESSION }), await one.issueAccessToken({ userId: USER, sessionId: SESSION })];
    const oneLookups = keyLookups(one);
    for (const token of [a, a, b, a]) await one.verifyAccessToken(token);
    // a, (a remembered), b pushes a out, a again
    expect(oneLookups).toHaveBeenCalledTimes(3);
    const noneLookups = keyLookups(none);
    for (const token of [a, a]) await none.verifyAccessToken(token);
    expect(noneLookups).toHaveBeenCalledTimes(2);
  });
});

describe('attacks', () => {
  it('rejects alg "none"', async () => {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: USER, sid: SESSION, iat: nowSeconds(), exp: nowSeconds() + 600, jti: 'j' };
    for (const header of [{ alg: 'none' }, { alg: 'none', kid: keys.kid, typ: 'at+jwt' }, { alg: 'None', kid: keys.kid }]) {
      const unsigned = `${encode(header)}.${encode(claims)}`;
      expect(await rejection(`${unsigned}.`)).toBe('algorithm_not_allowed');
    }
  });

  it('rejects HS256 signed with the public key as the HMAC secret', async () => {
    const jwk = keys.jwks.keys[0]!;
    const secrets = [
      base64url.decode(jwk.x),
      new TextEncoder().encode(JSON.stringify(jwk)),
      new TextEncoder().encode(keys.publicKeys.get(keys.kid)!.export({ format: 'pem', type: 'spki' }).toString()),
    ];
    for (const secret of secrets) expect(await rejection(forged({ alg: 'HS256' }).sign(secret))).toBe('algorithm_not_allowed');
  });

  it('rejects other asymmetric algorithms', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(await rejection(forged({ alg: 'RS256' }).sign(rsa))).toBe('algorithm_not_allowed');
    expect(await rejection(forged({ alg: 'PS256' }).sign(rsa))).toBe('algorithm_not_allowed');
    expect(await rejection(forged({ alg: 'ES256' }).sign(ec))).toBe('algorithm_not_allowed');
  });

  it('rejects a token signed by another Ed25519 key under our kid', async () => {
    const stranger: KeyObject = generateKeyPairSync('ed25519').privateKey;
    expect(await rejection(forged({}).sign(stranger))).toBe('bad_signature');
  });

  it('rejects a token whose claims were altered after signing', async () => {
    const [header, , signature] = (await tokens.issueAccessToken({ userId: USER, sessionId: SESSION })).split('.');
    const claims = base64url.encode(JSON.stringify({ ...decodeJwt(await forged({}).sign(keys.privateKey)), sub: 'someone-else' }));
    expect(await rejection(`${header}.${claims}.${signature}`)).toBe('bad_signature');
  });

  it('rejects an unknown or missing kid', async () => {
    expect(await rejection(forged({ kid: 'not-a-key' }).sign(keys.privateKey))).toBe('unknown_kid');
    const noKid = new SignJWT({ sid: SESSION })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(USER)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('j');
    expect(await rejection(noKid.sign(keys.privateKey))).toBe('unknown_kid');
  });

  it('rejects a wrong issuer or audience', async () => {
    expect(await rejection(forged({}).setIssuer('https://evil.test').sign(keys.privateKey))).toBe('wrong_issuer');
    expect(await rejection(forged({}).setAudience('another-api').sign(keys.privateKey))).toBe('wrong_audience');
    const elsewhere = new AccessTokens({ keys, issuer: 'https://staging.postledger.test', audience: AUDIENCE, now: clock.now });
    expect(await rejection(elsewhere.issueAccessToken({ userId: USER, sessionId: SESSION }))).toBe('wrong_issuer');
  });

  it('rejects a JWT of another type signed by the same key (e.g. an ID token)', async () => {
    expect(await rejection(forged({ typ: 'JWT' }).sign(keys.privateKey))).toBe('wrong_type');
  });

  it('rejects tokens missing a claim or with claims of the wrong type', async () => {
    const missingSid = new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(USER)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('j');
    expect(await rejection(missingSid.sign(keys.privateKey))).toBe('invalid_claims');
    expect(await rejection(forged({}, { sid: 42 }).sign(keys.privateKey))).toBe('invalid_claims');
    expect(await rejection(forged({}, { sid: '' }).sign(keys.privateKey))).toBe('invalid_claims');
    expect(await rejection(forged({}).setSubject('').sign(keys.privateKey))).toBe('invalid_claims');
  });

  it('rejects malformed tokens', async () => {
    for (const token of ['', 'abc', 'a.b.c', 'a.b', '..', `${'x'.repeat(5000)}.y.z`]) expect(await rejection(token)).toBe('malformed');
    expect(await rejection(undefined as unknown as string)).toBe('malformed');
  });
});

describe('key rotation', () => {
  it('accepts tokens of a previous key listed in the JWK set, and signs with the new one', async () => {
    const oldTokens = tokens;
    const oldToken = await oldTokens.issueAccessToken({ userId: USER, sessionId: SESSION });
    const newDir = await mkdtemp(join(tmpdir(), 'postledger-tokens-'));
    try {
      const rotated = await loadSigningKeys({ dataDir: newDir, previousPublicKeysJwks: oldTokens.jwks() });
      const newTokens = new AccessTokens({ keys: rotated, issuer: ISSUER, audience: AUDIENCE, now: clock.now });
      await expect(newTokens.verifyAccessToken(oldToken)).resolves.toMatchObject({ userId: USER });
      const newToken = await newTokens.issueAccessToken({ userId: USER, sessionId: SESSION });
      expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
      expect(newTokens.jwks().keys.map((k) => k.kid)).toEqual([rotated.kid, keys.kid]);
      expect(await rejection(newToken)).toBe('unknown_kid');
    } finally {
      await rm(newDir, { recursive: true, force: true });
    }
  });

  it('publishes a copy of the JWK set, without private members', () => {
    const jwks = tokens.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    jwks.keys[0]!.kid = 'changed';
    expect(tokens.jwks().keys[0]!.kid).toBe(keys.kid);
  });
});
