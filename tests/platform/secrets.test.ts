import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configuredOrGeneratedSecret } from '../../src/platform/secrets';

describe('configuredOrGeneratedSecret', () => {
  it('prefers the configured secret and writes nothing', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'secrets-')), 'data');
    expect(await configuredOrGeneratedSecret('configured', dir, 'x')).toBe('configured');
    expect(() => statSync(dir)).toThrow();
  });

  it('generates a secret once, keeps it private, and reuses it; concurrent starts agree', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'secrets-')), 'data');
    const [a, b] = await Promise.all([configuredOrGeneratedSecret(undefined, dir, 'hook'), configuredOrGeneratedSecret(undefined, dir, 'hook')]);
    expect(a).toBe(b);
    expect(a).toMatch(/^[\w-]{43}$/);
    expect(await configuredOrGeneratedSecret(undefined, dir, 'hook')).toBe(a);
    expect(readFileSync(path.join(dir, 'keys', 'hook'), 'utf8').trim()).toBe(a);
    expect(statSync(path.join(dir, 'keys', 'hook')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'keys')).mode & 0o777).toBe(0o700);
    // DATA_DIR itself stays reachable for the embedded PostgreSQL's user
    expect(statSync(dir).mode & 0o001).toBe(0o001);
  });

  it('passes on errors other than a missing file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'secrets-'));
    await expect(configuredOrGeneratedSecret(undefined, path.join(dir, '\0bad'), 'x')).rejects.toThrow();
  });
});
