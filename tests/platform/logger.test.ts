import { createLogger, redactUrl } from '../../src/platform/logger';

/** A logger whose lines are kept, parsed, for the test to read. */
function capturedLogger(level: Parameters<typeof createLogger>[0] = 'trace') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('redactUrl', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/ledger', 'postgres://app:***@db:5432/ledger'],
    ['redis://:s3cret@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['esdb://admin:s3cret@esdb-1:2113,esdb-2:2113?tls=true', 'esdb://admin:***@esdb-1:2113,esdb-2:2113?tls=true'],
    ['postgres://db:5432/ledger?user=app&password=s3cret&sslmode=require', 'postgres://db:5432/ledger?user=app&password=***&sslmode=require'],
    ['/v1/realtime?access_token=eyJhbGciOi.x.y', '/v1/realtime?access_token=***'],
    ['connect to postgres://app:s3cret@db/x failed', 'connect to postgres://app:***@db/x failed'],
    ['/v1/admin/users?q=ann%40example.com&status=active', '/v1/admin/users?q=***&status=active'],
    ['/v1/things?limit=5&email=ann@example.com', '/v1/things?limit=5&email=***'],
  ])('masks the secret in %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it.each(['postgres://app@db:5432/ledger', 'https://example.com/a?b=c', 'redis://cache:6379', 'no url here'])('leaves %s as it is', (input) => {
    expect(redactUrl(input)).toBe(input);
  });
});

describe('createLogger', () => {
  it('censors personal data: email, names, bio, avatar and whole personal groups, up to two levels down', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ email: 'ann@example.com', user: { displayName: 'Ann Smith', bio: 'poet', avatarUrl: 'https://cdn/a.png' }, event: { data: { personal: { email: 'ann@example.com' } } } });
    const output = lines.join('');
    for (const personal of ['ann@example.com', 'Ann Smith', 'poet', 'cdn/a.png']) expect(output).not.toContain(personal);
    expect(output).toContain('[REDACTED]');
  });

  it('writes one JSON object a line with a level name and an ISO time', () => {
    const { logger, lines, records } = capturedLogger('info');
    logger.info({ migrations: ['0001'] }, 'applied');
    logger.debug('not written at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(records()[0]).toMatchObject({ level: 'info', name: 'postledger', msg: 'applied', migrations: ['0001'] });
    expect(new Date(records()[0]!.time as string).toISOString()).toBe(records()[0]!.time);
  });

  it('censors authorization and cookie headers', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ req: { headers: { authorization: 'Bearer eyJhbGci.secret.sig', cookie: 'sid=secret-cookie', 'x-api-key': 'pl_key_secret', accept: '*/*' } } });
    logger.info({ res: { headers: { 'set-cookie': 'sid=secret-cookie' } } });
    const output = lines.join('');
    for (const secret of ['eyJhbGci', 'secret-cookie', 'pl_key_secret']) expect(output).not.toContain(secret);
    expect(output).toContain('"accept":"*/*"');
    expect(output).toContain('[REDACTED]');
  });

  it.each(['password', 'token', 'refreshToken', 'accessToken', 'secret', 'apiKey'])('censors %s at the top level and one level down', (field) => {
    const { logger, lines } = capturedLogger();
    logger.info({ [field]: 'hunter2-top', user: { id: 'u1', [field]: 'hunter2-nested' } }, 'event');
    const record = JSON.parse(lines[0]!);
    expect(record[field]).toBe('[REDACTED]');
    expect(record.user).toEqual({ id: 'u1', [field]: '[REDACTED]' });
    expect(lines[0]).not.toContain('hunter2');
  });

  it('masks connection-string passwords in fields, messages, errors and child bindings', () => {
    const { logger, lines } = capturedLogger();
    const url = 'postgres://app:hunter2@db:5432/ledger';
    logger.info({ database: url }, 'using PostgreSQL');
    logger.info(`connecting to ${url}`);
    logger.error(new Error(`could not reach ${url}`));
    logger.error({ err: new Error(`could not reach ${url}`) }, 'start-up failed');
    logger.child({ redis: 'redis://:hunter2@cache:6379' }).warn('Redis is slow');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain('hunter2');
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(JSON.parse(lines[0]!).database).toBe('postgres://app:***@db:5432/ledger');
    expect(JSON.parse(lines[2]!).msg).toBe('could not reach postgres://app:***@db:5432/ledger');
  });

  it('does not let a mask run across two fields of a line', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ a: 'http://user:', b: 'x@y' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ a: 'http://user:', b: 'x@y' });
  });

  it('writes to stdout when no destination is given', () => {
    const logger = createLogger('silent');
    expect(logger.level).toBe('silent');
    expect(() => logger.info('nothing')).not.toThrow();
  });
});
