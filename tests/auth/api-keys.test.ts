import { createHash, randomUUID } from 'node:crypto';
import { ApiKeys, type NewApiKey } from '../../src/auth/api-keys';
import { InvalidApiKey } from '../../src/auth/errors';
import { authDatabase, tableDump, TestClock } from './support';

let db: Awaited<ReturnType<typeof authDatabase>>;
let clock: TestClock;
let apiKeys: ApiKeys;

beforeAll(async () => {
  db = await authDatabase();
});

beforeEach(() => {
  clock = new TestClock();
  apiKeys = new ApiKeys(db.pool, { now: clock.now });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await db.close();
});

const newKey = (overrides: Partial<NewApiKey> = {}): NewApiKey => ({
  id: randomUUID(),
  workspaceId: randomUUID(),
  name: 'publisher',
  scopes: ['posts:publish', 'posts:read'],
  createdBy: randomUUID(),
  ...overrides,
});

async function refusal(key: string): Promise<string> {
  const error: unknown = await apiKeys.verify(key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidApiKey);
  expect(error).toMatchObject({ code: 'invalid_api_key', kind: 'unauthenticated' });
  return (error as InvalidApiKey).reason;
}

describe('creating', () => {
  it('returns the full key plk_<prefix8>_<secret43> once', async () => {
    const { key, prefix } = await apiKeys.create(newKey());
    expect(key).toMatch(/^plk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`plk_${prefix}_`)).toBe(true);
  });

  it('stores only the SHA-256 of the secret', async () => {
    const input = newKey();
    const { key, prefix } = await apiKeys.create(input);
    const secret = key.slice(`plk_${prefix}_`.length);
    const dump = await tableDump(db.pool, 'pl_api_keys');
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
    const { rows } = await db.pool.query<{ secret_hash: Buffer }>('select secret_hash from pl_api_keys where id = $1', [input.id]);
    expect(rows[0]!.secret_hash).toEqual(createHash('sha256').update(secret).digest());
  });

  it('draws another prefix when one is taken', async () => {
    const { prefix: taken } = await apiKeys.create(newKey());
    const draws = jest.spyOn(ApiKeys.prototype as unknown as { newPrefix(): string }, 'newPrefix');
    draws.mockReturnValueOnce(taken).mockReturnValueOnce(taken);
    try {
      const input = newKey();
      const { key, prefix } = await apiKeys.create(input);
      expect(prefix).not.toBe(taken);
      await expect(apiKeys.verify(key)).resolves.toMatchObject({ apiKeyId: input.id });
      expect(draws).toHaveBeenCalledTimes(3);
    } finally {
      draws.mockRestore();
    }
  });

  it('gives up after three taken prefixes, and does not retry other failures', async () => {
    const existing = newKey();
    const { prefix: taken } = await apiKeys.create(existing);
    const draws = jest.spyOn(ApiKeys.prototype as unknown as { newPrefix(): string }, 'newPrefix').mockReturnValue(taken);
    try {
      await expect(apiKeys.create(newKey())).rejects.toMatchObject({ code: '23505', constraint: 'pl_api_keys_prefix_key' });
      expect(draws).toHaveBeenCalledTimes(3);
    } finally {
      draws.mockRestore();
    }
    await expect(apiKeys.create(newKey({ id: existing.id }))).rejects.toMatchObject({ code: '23505', constraint: 'pl_api_keys_pkey' });
  });
});

describe('verifying', () => {
  it('returns the key’s id, workspace, scopes, name and creator', async () => {
    const input = newKey();
    const { key } = await apiKeys.create(input);
    await expect(apiKeys.verify(key)).resolves.toEqual({ apiKeyId: input.id, workspaceId: input.workspaceId, scopes: input.scopes, name: input.name, createdBy: input.createdBy });
  });

  it('refuses malformed keys before touching the database', async () => {
    const { key } = await apiKeys.create(newKey());
    const query = jest.spyOn(db.pool, 'query');
    try {
      for (const bad of ['', 'plk_', key.slice(0, -1), `${key}a`, key.replace('plk_', 'pk_'), key.toUpperCase(), ` ${key}`]) {
        expect(await refusal(bad)).toBe('malformed');
      }
      expect(await refusal(undefined as unknown as string)).toBe('malformed');
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('refuses an unknown prefix and a wrong secret', async () => {
    const { key, prefix } = await apiKeys.create(newKey());
    expect(await refusal(`plk_aaaaaaaa_${'a'.repeat(43)}`)).toBe('unknown_prefix');
    expect(await refusal(`plk_${prefix}_${'a'.repeat(43)}`)).toBe('wrong_secret');
    const lastChar = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await refusal(key.slice(0, -1) + lastChar)).toBe('wrong_secret');
  });
});

describe('revoking', () => {
  it('stops the key at once, idempotently', async () => {
    const input = newKey();
    const { key } = await apiKeys.create(input);
    await expect(apiKeys.revoke(input.id, input.workspaceId)).resolves.toBe(true);
    expect(await refusal(key)).toBe('revoked');
    clock.advance(60_000);
    await expect(apiKeys.revoke(input.id, input.workspaceId)).resolves.toBe(true);
    const [listed] = await apiKeys.list(input.workspaceId);
    expect(listed!.revokedAt).toEqual(new Date('2030-01-01T00:00:00Z'));
  });

  it('cannot reach another workspace’s key', async () => {
    const input = newKey();
    const { key } = await apiKeys.create(input);
    await expect(apiKeys.revoke(input.id, randomUUID())).resolves.toBe(false);
    await expect(apiKeys.revoke(randomUUID(), input.workspaceId)).resolves.toBe(false);
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ apiKeyId: input.id });
  });
});

describe('listing', () => {
  it('lists a workspace’s keys oldest first, revoked ones marked, without secrets', async () => {
    const workspaceId = randomUUID();
    const first = newKey({ workspaceId, name: 'ai team', scopes: ['generations:write'] });
    const second = newKey({ workspaceId, name: 'analytics', scopes: [] });
    const { prefix: firstPrefix } = await apiKeys.create(first);
    clock.advance(1000);
    const { key: secondKey, prefix: secondPrefix } = await apiKeys.create(second);
    await apiKeys.create(newKey());
    await apiKeys.revoke(first.id, workspaceId);
    const listed = await apiKeys.list(workspaceId);
    expect(listed).toEqual([
      { id: first.id, workspaceId, name: 'ai team', prefix: firstPrefix, scopes: ['generations:write'], createdBy: first.createdBy, createdAt: new Date('2030-01-01T00:00:00Z'), revokedAt: expect.any(Date) },
      { id: second.id, workspaceId, name: 'analytics', prefix: secondPrefix, scopes: [], createdBy: second.createdBy, createdAt: new Date('2030-01-01T00:00:01Z'), revokedAt: null },
    ]);
    expect(JSON.stringify(listed)).not.toContain(secondKey.slice(-43));
    await expect(apiKeys.list(randomUUID())).resolves.toEqual([]);
  });

  it('uses the real clock by default', async () => {
    const real = new ApiKeys(db.pool);
    const input = newKey();
    await real.create(input);
    const [listed] = await real.list(input.workspaceId);
    expect(Math.abs(listed!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });
});
