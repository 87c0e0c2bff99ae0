import { calculateJwkThumbprint } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATED_KEY_FILE, loadSigningKeys } from '../../src/auth/signing-keys';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'postledger-keys-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const ed25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const newPublicJwk = () => generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('a generated key', () => {
  it('is written once to <dataDir>/keys with mode 0600 in a 0700 directory, and reused by the next start', async () => {
    const first = await loadSigningKeys({ dataDir });
    const file = join(dataDir, GENERATED_KEY_FILE);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(join(dataDir, 'keys'))).toBe(0o700);
    const second = await loadSigningKeys({ dataDir });
    expect(second.kid).toBe(first.kid);
    expect(second.jwks).toEqual(first.jwks);
    expect(second.privateKey.equals(first.privateKey)).toBe(true);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['access-token-ed25519.json']);
  });

  it('gets its RFC 7638 thumbprint as kid, and publishes only public members', async () => {
    const keys = await loadSigningKeys({ dataDir });
    const [jwk] = keys.jwks.keys;
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: keys.kid, alg: 'EdDSA', use: 'sig' });
    expect(keys.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk!.x }, 'sha256'));
    expect([...keys.publicKeys.keys()]).toEqual([keys.kid]);
  });

  it('is the same key for two processes starting together', async () => {
    const all = await Promise.all([loadSigningKeys({ dataDir }), loadSigningKeys({ dataDir }), loadSigningKeys({ dataDir })]);
    expect(new Set(all.map((k) => k.kid)).size).toBe(1);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['access-token-ed25519.json']);
  });

  it('tightens a key file and directory that others could read', async () => {
    const first = await loadSigningKeys({ dataDir });
    await chmod(join(dataDir, GENERATED_KEY_FILE), 0o644);
    await chmod(join(dataDir, 'keys'), 0o755);
    expect((await loadSigningKeys({ dataDir })).kid).toBe(first.kid);
    expect(await mode(join(dataDir, GENERATED_KEY_FILE))).toBe(0o600);
    expect(await mode(join(dataDir, 'keys'))).toBe(0o700);
  });

  it('refuses a key file that does not hold an Ed25519 private key', async () => {
    await mkdir(join(dataDir, 'keys'));
    const file = join(dataDir, GENERATED_KEY_FILE);
    for (const content of ['not json', '{}', JSON.stringify({ key: generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' }) })]) {
      await writeFile(file, content);
      await expect(loadSigningKeys({ dataDir })).rejects.toThrow(/does not hold an Ed25519 private JWK/);
    }
  });

  it('reports a key path it cannot read', async () => {
    await mkdir(join(dataDir, GENERATED_KEY_FILE), { recursive: true });
    await expect(loadSigningKeys({ dataDir })).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('a configured key', () => {
  it('is used as given, its kid derived from it, and nothing is written', async () => {
    const pem = ed25519Pem();
    const keys = await loadSigningKeys({ privateKeyPem: pem, dataDir });
    const again = await loadSigningKeys({ privateKeyPem: pem, dataDir: join(dataDir, 'other') });
    expect(again.kid).toBe(keys.kid);
    expect(keys.privateKey.export({ format: 'pem', type: 'pkcs8' })).toBe(pem);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('takes a configured kid', async () => {
    const keys = await loadSigningKeys({ privateKeyPem: ed25519Pem(), kid: '2030-01', dataDir });
    expect(keys.kid).toBe('2030-01');
    expect(keys.jwks.keys[0]!.kid).toBe('2030-01');
  });

  it('must be an Ed25519 PKCS#8 PEM', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await expect(loadSigningKeys({ privateKeyPem: rsa, dataDir })).rejects.toThrow(/is rsa, not Ed25519/);
    await expect(loadSigningKeys({ privateKeyPem: 'garbage', dataDir })).rejects.toThrow(/not a readable PKCS#8 PEM/);
  });
});

describe('previous public keys', () => {
  it('are accepted for verification and published, from JSON text or an object', async () => {
    const old = { ...newPublicJwk(), kid: 'old-1' };
    const unnamed = newPublicJwk();
    const asText = await loadSigningKeys({ dataDir, previousPublicKeysJwks: JSON.stringify({ keys: [old, unnamed] }) });
    const asObject = await loadSigningKeys({ dataDir, previousPublicKeysJwks: { keys: [old, unnamed] } });
    expect(asObject.jwks).toEqual(asText.jwks);
    const kids = asText.jwks.keys.map((k) => k.kid);
    expect(kids[0]).toBe(asText.kid);
    expect(kids[1]).toBe('old-1');
    expect(kids[2]).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: unnamed.x! }, 'sha256'));
    expect([...asText.publicKeys.keys()]).toEqual(kids);
  });

  it('must be a well-formed JWK set of Ed25519 public keys with distinct kids', async () => {
    const good = { ...newPublicJwk(), kid: 'old' };
    const load = (previousPublicKeysJwks: string | { keys: unknown[] }) => loadSigningKeys({ dataDir, previousPublicKeysJwks });
    await expect(load('{nope')).rejects.toThrow(/not valid JSON/);
    await expect(load('null')).rejects.toThrow(/must be a JWK set/);
    await expect(load('[]')).rejects.toThrow(/must be a JWK set/);
    await expect(load({ keys: [null] })).rejects.toThrow(/previous key 0 is not an Ed25519 public JWK/);
    await expect(load({ keys: [good, { kty: 'RSA', n: 'x', e: 'AQAB' }] })).rejects.toThrow(/previous key 1 is not an Ed25519/);
    await expect(load({ keys: [{ kty: 'OKP', crv: 'Ed25519' }] })).rejects.toThrow(/previous key 0 is not an Ed25519/);
    const { privateKey } = generateKeyPairSync('ed25519');
    await expect(load({ keys: [privateKey.export({ format: 'jwk' })] })).rejects.toThrow(/contains private material/);
    await expect(load({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }] })).rejects.toThrow(/not a valid Ed25519 key/);
    await expect(load({ keys: [good, { ...newPublicJwk(), kid: 'old' }] })).rejects.toThrow(/kid "old" appears twice/);
  });
});

it('keeps the key file readable only by its owner even under a permissive umask', async () => {
  const previous = process.umask(0o000);
  try {
    await loadSigningKeys({ dataDir });
  } finally {
    process.umask(previous);
  }
  expect(await mode(join(dataDir, GENERATED_KEY_FILE))).toBe(0o600);
  expect(JSON.parse(await readFile(join(dataDir, GENERATED_KEY_FILE), 'utf8'))).toEqual({
    key: { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), d: expect.any(String) },
  });
});
