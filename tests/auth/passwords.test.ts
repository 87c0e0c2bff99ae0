import { hash } from '@node-rs/argon2';
import { COMMON_PASSWORDS } from '../../src/auth/common-passwords';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyDummyPassword, verifyPassword } from '../../src/auth/passwords';

const codes = (password: string, email?: string) => checkPasswordPolicy(password, { email }).map((p) => p.code);

describe('hashing', () => {
  it('hashes with argon2id at m=19456 KiB, t=2, p=1 and a fresh salt each time', async () => {
    const first = await hashPassword('correct horse battery staple');
    const second = await hashPassword('correct horse battery staple');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const passwordHash = await hashPassword('correct horse battery staple');
    await expect(verifyPassword(passwordHash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(verifyPassword(passwordHash, 'Correct horse battery staple')).resolves.toBe(false);
  });

  it('fails loudly on a stored hash that is not a PHC string', async () => {
    await expect(verifyPassword('not-a-hash', 'whatever')).rejects.toThrow();
  });

  it('verifies non-ASCII passwords', async () => {
    const passwordHash = await hashPassword('пароль-😀-密码');
    await expect(verifyPassword(passwordHash, 'пароль-😀-密码')).resolves.toBe(true);
  });

  it('spends about the time of a real verification for an unknown user, and answers false', async () => {
    const passwordHash = await hashPassword('correct horse battery staple');
    await verifyDummyPassword('warm-up');
    // interleaved, medians: another test file hashing on the other core slows both alike
    const elapsed = async (f: () => Promise<boolean>) => {
      const start = process.hrtime.bigint();
      await f();
      return Number(process.hrtime.bigint() - start);
    };
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 9; i++) {
      real.push(await elapsed(() => verifyPassword(passwordHash, 'guess')));
      dummy.push(await elapsed(() => verifyDummyPassword('guess')));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[4]!;
    await expect(verifyDummyPassword('anything')).resolves.toBe(false);
    expect(median(dummy)).toBeGreaterThan(median(real) / 3);
    expect(median(dummy)).toBeLessThan(median(real) * 3);
  });

  it('asks for a rehash only of hashes made with other parameters', async () => {
    expect(needsRehash(await hashPassword('correct horse battery staple'))).toBe(false);
    expect(needsRehash(await hash('x', { algorithm: 2, memoryCost: 19456, timeCost: 3, parallelism: 1 }))).toBe(true);
    expect(needsRehash(await hash('x', { algorithm: 2, memoryCost: 8192, timeCost: 2, parallelism: 1 }))).toBe(true);
    expect(needsRehash(await hash('x', { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 2 }))).toBe(true);
    expect(needsRehash(await hash('x', { algorithm: 1, memoryCost: 19456, timeCost: 2, parallelism: 1 }))).toBe(true);
  });
});

describe('password policy', () => {
  it('accepts a long, uncommon password', () => {
    expect(checkPasswordPolicy('correct horse battery staple')).toEqual([]);
  });

  it('requires 8 to 128 characters', () => {
    expect(codes('a1b2c3d')).toEqual(['too_short']);
    expect(codes('a1b2c3d4e')).toEqual([]);
    expect(codes('x'.repeat(128))).toEqual([]);
    expect(codes('x'.repeat(129))).toEqual(['too_long']);
    expect(codes('')).toEqual(['too_short']);
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    expect('😀'.repeat(7).length).toBe(14);
    expect(codes('😀'.repeat(7))).toEqual(['too_short']);
    expect(codes('😀'.repeat(8))).toEqual([]);
    expect(codes('😀'.repeat(128))).toEqual([]);
    expect(codes('😀'.repeat(129))).toEqual(['too_long']);
  });

  it('refuses the common passwords, whatever their case', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(200);
    expect(codes('password123')).toEqual(['too_common']);
    expect(codes('PassWord123')).toEqual(['too_common']);
    expect(codes('Qwertyuiop')).toEqual(['too_common']);
    for (const password of COMMON_PASSWORDS) expect(password).toBe(password.toLowerCase());
  });

  it('refuses the email address and its local part, whatever their case', () => {
    expect(codes('Ann.Lee@Example.com', 'ann.lee@example.com')).toEqual(['matches_email']);
    expect(codes('ANN.LEE.1984', ' ann.lee.1984@example.com ')).toEqual(['matches_email']);
    expect(codes('ann.lee.1984!', 'ann.lee.1984@example.com')).toEqual([]);
    expect(codes('nolocalpart', 'nolocalpart')).toEqual(['matches_email']);
    expect(codes('example.com', '@example.com')).toEqual([]);
    expect(codes('whatever-it-is', '')).toEqual([]);
  });

  it('reports every problem at once, each with a message', () => {
    const problems = checkPasswordPolicy('ann', { email: 'ann@example.com' });
    expect(problems.map((p) => p.code)).toEqual(['too_short', 'matches_email']);
    for (const problem of problems) expect(problem.message).toEqual(expect.any(String));
  });
});
