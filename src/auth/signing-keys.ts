import { calculateJwkThumbprint, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A public key as published in the JWK set. */
export interface PublicJwk extends JWK {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** The Ed25519 keys of access tokens: one to sign with, every one still accepted to verify. */
export interface SigningKeys {
  /** Key id of the signing key, written in each token's `kid` header. */
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** Verification keys by kid: the current key first, then previous ones kept for rotation. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** What `/.well-known/jwks.json` serves. */
  readonly jwks: { keys: PublicJwk[] };
}

export interface SigningKeyOptions {
  /** PKCS#8 PEM of an Ed25519 private key; absent: a key is generated once under `dataDir`. */
  privateKeyPem?: string;
  /** Key id of the signing key; absent: its RFC 7638 thumbprint. */
  kid?: string;
  /** Public keys of earlier signing keys, still accepted until their tokens expire: a JWK set, as JSON text or parsed. */
  previousPublicKeysJwks?: string | { keys: unknown[] };
  /** The service's data directory; a generated key lives in `<dataDir>/keys/`. */
  dataDir: string;
  /** Where under `dataDir` a generated key is kept (default GENERATED_KEY_FILE); each use of a key has its own. */
  keyFile?: string;
}

export const GENERATED_KEY_FILE = join('keys', 'access-token-ed25519.json');

/**
 * Loads the signing keys once at start-up. With `privateKeyPem` the key comes from
 * configuration; otherwise one is generated on the first start, written to
 * `<dataDir>/keys/access-token-ed25519.json` (mode 0600, directory 0700) and reused afterwards,
 * so tokens survive a restart. Throws on a key that is not Ed25519 or a malformed JWK set.
 *
 * ```ts
 * const keys = await loadSigningKeys({ privateKeyPem: config.jwtPrivateKey, dataDir: config.dataDir });
 * const tokens = new AccessTokens({ keys, issuer: 'https://api.postledger.example', audience: 'postledger' });
 * ```
 */
export async function loadSigningKeys(options: SigningKeyOptions): Promise<SigningKeys> {
  const privateKey = options.privateKeyPem === undefined ? await generatedKey(options.dataDir, options.keyFile ?? GENERATED_KEY_FILE) : keyFromPem(options.privateKeyPem);
  const current = await publicJwk(createPublicKey(privateKey), options.kid);
  const previous = await Promise.all(parseJwks(options.previousPublicKeysJwks).map((jwk) => publicJwk(importPublicJwk(jwk), jwk.kid)));
  const all = [current, ...previous];
  const publicKeys = new Map<string, KeyObject>();
  for (const jwk of all) {
    if (publicKeys.has(jwk.kid)) throw new Error(`signing keys: kid "${jwk.kid}" appears twice`);
    publicKeys.set(jwk.kid, importPublicJwk(jwk));
  }
  return { kid: current.kid, privateKey, publicKeys, jwks: { keys: all } };
}

function keyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Error('signing keys: the configured private key is not a readable PKCS#8 PEM', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`signing keys: the configured private key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

/** Reads the generated key, or creates it; two processes starting together agree on one key. */
async function generatedKey(dataDir: string, keyFile: string): Promise<KeyObject> {
  const file = join(dataDir, keyFile);
  const directory = dirname(file);
  // only the keys folder is private: DATA_DIR itself must stay reachable (the embedded PostgreSQL runs as another user)
  await mkdir(dataDir, { recursive: true });
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  const existing = await readKeyFile(file);
  if (existing) return existing;
  const { privateKey } = generateKeyPairSync('ed25519');
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ key: privateKey.export({ format: 'jwk' }) }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // link() fails when the file exists: the first writer wins and everyone reads its key
    await link(temporary, file);
    return privateKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readKeyFile(file))!;
  } finally {
    await unlink(temporary);
  }
}

async function readKeyFile(file: string): Promise<KeyObject | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  await chmod(file, 0o600);
  try {
    const key = createPrivateKey({ key: (JSON.parse(text) as { key: JsonWebKey }).key, format: 'jwk' });
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // reported below, with the path
  }
  throw new Error(`signing keys: ${file} does not hold an Ed25519 private JWK; move it away to generate a new key`);
}

function parseJwks(jwks: SigningKeyOptions['previousPublicKeysJwks']): (JWK & { kid?: string })[] {
  if (jwks === undefined) return [];
  let parsed: unknown = jwks;
  if (typeof jwks === 'string') {
    try {
      parsed = JSON.parse(jwks);
    } catch {
      throw new Error('signing keys: previous public keys are not valid JSON');
    }
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('signing keys: previous public keys must be a JWK set {"keys": [...]}');
  return keys.map((key: unknown, index) => {
    const jwk = key as JWK | null;
    if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
      throw new Error(`signing keys: previous key ${index} is not an Ed25519 public JWK`);
    }
    if (jwk.d !== undefined) throw new Error(`signing keys: previous key ${index} contains private material ("d")`);
    return jwk;
  });
}

function importPublicJwk(jwk: JWK): KeyObject {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' });
  } catch (error) {
    throw new Error('signing keys: a previous public key is not a valid Ed25519 key', { cause: error });
  }
}

async function publicJwk(key: KeyObject, kid: string | undefined): Promise<PublicJwk> {
  const { x } = key.export({ format: 'jwk' });
  const base = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: x! };
  return { ...base, kid: kid ?? (await calculateJwkThumbprint(base, 'sha256')), alg: 'EdDSA', use: 'sig' };
}
