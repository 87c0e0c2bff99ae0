import { ConfigError, loadConfig } from '../../src/platform/config';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives every variable its default in an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      eventStore: { kind: 'postgres' },
      kafkaBrokers: undefined,
      topicPartitions: 6,
      relayBatchSize: 1000,
      redisUrl: undefined,
      logLevel: 'info',
      dataDir: '.data',
      embeddedPgPort: 54329,
      maxEventBytes: 1048576,
      subscriptionPollMs: 1000,
      shutdownTimeoutMs: 10000,
    });
  });

  it('treats empty strings as unset', () => {
    const env = Object.fromEntries(
      ['PORT', 'HOST', 'DATABASE_URL', 'EVENT_STORE', 'EVENTSTORE_CONNECTION_STRING', 'KAFKA_BROKERS', 'KAFKA_TOPIC_PARTITIONS', 'RELAY_BATCH_SIZE', 'REDIS_URL', 'LOG_LEVEL', 'DATA_DIR',
        'EMBEDDED_PG_PORT', 'MAX_EVENT_BYTES', 'SUBSCRIPTION_POLL_MS', 'SHUTDOWN_TIMEOUT_MS'].map((name) => [name, '']),
    );
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });

  it('reads valid values of every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://app:pw@db.internal:5432/ledger',
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://admin:changeit@esdb-1:2113,esdb-2:2113?tls=false',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9093,[::1]:9094',
      KAFKA_TOPIC_PARTITIONS: '12',
      RELAY_BATCH_SIZE: '2000',
      REDIS_URL: 'rediss://:pw@cache:6380/2',
      LOG_LEVEL: 'debug',
      DATA_DIR: '/var/lib/postledger',
      EMBEDDED_PG_PORT: '6543',
      MAX_EVENT_BYTES: '2048',
      SUBSCRIPTION_POLL_MS: '250',
      SHUTDOWN_TIMEOUT_MS: '0',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://app:pw@db.internal:5432/ledger',
      eventStore: { kind: 'eventstoredb', connectionString: 'esdb://admin:changeit@esdb-1:2113,esdb-2:2113?tls=false' },
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9093', '[::1]:9094'],
      topicPartitions: 12,
      relayBatchSize: 2000,
      redisUrl: 'rediss://:pw@cache:6380/2',
      logLevel: 'debug',
      dataDir: '/var/lib/postledger',
      embeddedPgPort: 6543,
      maxEventBytes: 2048,
      subscriptionPollMs: 250,
      shutdownTimeoutMs: 0,
    });
  });

  it('accepts the other URL schemes and every log level', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x' }).databaseUrl).toBe('postgres://db/x');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe('redis://127.0.0.1:6379');
    for (const connectionString of ['esdb+discover://cluster.internal:2113', 'kurrentdb://localhost:2113?tls=false']) {
      expect(loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: connectionString }).eventStore).toEqual({
        kind: 'eventstoredb',
        connectionString,
      });
    }
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });

  it('keeps the postgres event store when a connection string is given without EVENT_STORE', () => {
    expect(loadConfig({ EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113' }).eventStore).toEqual({ kind: 'postgres' });
  });

  it.each([
    ['PORT', 'abc', 'PORT: must be an integer from 1 to 65535 (got "abc")'],
    ['PORT', '0', 'PORT: must be an integer from 1 to 65535 (got "0")'],
    ['PORT', '65536', 'PORT: must be an integer from 1 to 65535 (got "65536")'],
    ['PORT', '80.5', 'PORT: must be an integer from 1 to 65535 (got "80.5")'],
    ['PORT', '-1', 'PORT: must be an integer from 1 to 65535 (got "-1")'],
    ['HOST', 'my host', 'HOST: must be a host name or IP address without spaces (got "my host")'],
    ['DATABASE_URL', 'mysql://db/x', 'DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "mysql://db/x")'],
    ['DATABASE_URL', 'not a url', 'DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "not a url")'],
    ['EVENT_STORE', 'mongodb', 'EVENT_STORE: must be one of postgres, eventstoredb (got "mongodb")'],
    ['EVENTSTORE_CONNECTION_STRING', 'http://esdb:2113', 'EVENTSTORE_CONNECTION_STRING: must start with esdb://, esdb+discover:// or kurrentdb:// (got "http://esdb:2113")'],
    ['KAFKA_BROKERS', 'kafka-1', 'KAFKA_BROKERS: must be a comma-separated list of host:port (got "kafka-1")'],
    ['KAFKA_BROKERS', 'kafka-1:9092,', 'KAFKA_BROKERS: must be a comma-separated list of host:port (got "kafka-1:9092,")'],
    ['KAFKA_BROKERS', 'kafka-1:99999', 'KAFKA_BROKERS: must be a comma-separated list of host:port (got "kafka-1:99999")'],
    ['KAFKA_TOPIC_PARTITIONS', '0', 'KAFKA_TOPIC_PARTITIONS: must be an integer from 1 to 1000 (got "0")'],
    ['RELAY_BATCH_SIZE', '10001', 'RELAY_BATCH_SIZE: must be an integer from 1 to 10000 (got "10001")'],
    ['REDIS_URL', 'http://cache:6379', 'REDIS_URL: must be a redis:// or rediss:// URL with a host (got "http://cache:6379")'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    ['EMBEDDED_PG_PORT', 'x', 'EMBEDDED_PG_PORT: must be an integer from 1 to 65535 (got "x")'],
    ['MAX_EVENT_BYTES', '10', 'MAX_EVENT_BYTES: must be an integer from 1024 to 268435455 (got "10")'],
    ['SUBSCRIPTION_POLL_MS', '1e3', 'SUBSCRIPTION_POLL_MS: must be an integer from 10 to 3600000 (got "1e3")'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon', 'SHUTDOWN_TIMEOUT_MS: must be an integer from 0 to 3600000 (got "soon")'],
  ])('rejects %s=%j with one line naming it', (variable, value, message) => {
    const error = errorOf({ [variable]: value });
    expect(error.message).toBe(message);
    expect(error.issues).toEqual([{ variable, problem: message.slice(variable.length + 2) }]);
  });

  it('requires a connection string for EVENT_STORE=eventstoredb', () => {
    expect(errorOf({ EVENT_STORE: 'eventstoredb' }).message).toBe('EVENTSTORE_CONNECTION_STRING: must be set when EVENT_STORE=eventstoredb');
  });

  it('masks passwords of the connection strings it quotes', () => {
    expect(errorOf({ DATABASE_URL: 'mysql://app:hunter2@db/x' }).message).toBe(
      'DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "mysql://app:***@db/x")',
    );
    expect(errorOf({ REDIS_URL: 'redis://:hunter2@' }).message).not.toContain('hunter2');
    expect(errorOf({ EVENTSTORE_CONNECTION_STRING: 'tcp://admin:hunter2@esdb:1113' }).message).not.toContain('hunter2');
  });

  it('keeps the message on one line and short whatever the value', () => {
    const message = errorOf({ HOST: `a\nb${'x'.repeat(500)}` }).message;
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(200);
    expect(message).toMatch(/^HOST: .*\(got "a\\nbx+…"\)$/);
  });

  it('names every bad variable on the same line', () => {
    const error = errorOf({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(error.message).toBe(
      'PORT: must be an integer from 1 to 65535 (got "abc"); LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
    expect(error.name).toBe('ConfigError');
  });

  it('reads process.env by default', () => {
    const saved = process.env.SUBSCRIPTION_POLL_MS;
    process.env.SUBSCRIPTION_POLL_MS = '321';
    try {
      expect(loadConfig().subscriptionPollMs).toBe(321);
    } finally {
      if (saved === undefined) delete process.env.SUBSCRIPTION_POLL_MS;
      else process.env.SUBSCRIPTION_POLL_MS = saved;
    }
  });
});

describe('loadConfig: identity, CORS, rate limits and process managers', () => {
  it('has safe defaults', () => {
    const config = loadConfig({});
    expect(config.auth).toEqual({ issuer: 'postledger', audience: 'postledger-api', accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30 });
    expect(config.corsOrigins).toEqual([]);
    expect(config.rateLimits).toEqual({ windowMs: 60_000, credentials: 10, webhook: 600, api: 1200 });
    expect(config.aiWebhookSecret).toBeUndefined();
    expect(config.generationTimeoutMs).toBe(600_000);
    expect(config.schedulerIntervalMs).toBe(1000);
  });

  it('reads every setting', () => {
    const config = loadConfig({
      JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      JWT_KID: 'k-2026',
      JWT_PREVIOUS_PUBLIC_KEYS: '{"keys":[]}',
      JWT_ISSUER: 'https://id.example',
      JWT_AUDIENCE: 'api',
      ACCESS_TOKEN_TTL_SECONDS: '600',
      REFRESH_TOKEN_TTL_DAYS: '7',
      CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173',
      RATE_LIMIT_WINDOW_MS: '1000',
      RATE_LIMIT_CREDENTIALS: '3',
      RATE_LIMIT_WEBHOOK: '50',
      RATE_LIMIT_API: '100',
      AI_WEBHOOK_SECRET: 'x'.repeat(32),
      GENERATION_TIMEOUT_MS: '5000',
      SCHEDULER_INTERVAL_MS: '100',
    });
    expect(config.auth).toMatchObject({ kid: 'k-2026', previousPublicKeysJwks: '{"keys":[]}', issuer: 'https://id.example', audience: 'api', accessTokenTtlSeconds: 600, refreshTokenTtlDays: 7 });
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.rateLimits).toEqual({ windowMs: 1000, credentials: 3, webhook: 50, api: 100 });
    expect(config.aiWebhookSecret).toHaveLength(32);
    expect(config.generationTimeoutMs).toBe(5000);
  });

  it.each([
    ['JWT_PRIVATE_KEY', 'not a key', 'JWT_PRIVATE_KEY: must be a PKCS8 PEM private key (Ed25519)'],
    ['JWT_KID', 'has space', 'JWT_KID: must be 1–64 characters of letters, digits, _ . - (got "has space")'],
    ['JWT_PREVIOUS_PUBLIC_KEYS', '[1]', 'JWT_PREVIOUS_PUBLIC_KEYS: must be a JWKS JSON object {"keys": [...]} (got "[1]")'],
    ['JWT_PREVIOUS_PUBLIC_KEYS', '{', 'JWT_PREVIOUS_PUBLIC_KEYS: must be a JWKS JSON object {"keys": [...]} (got "{")'],
    ['CORS_ORIGINS', 'ftp://x', 'CORS_ORIGINS: must be a comma-separated list of http(s) origins (got "ftp://x")'],
    ['AI_WEBHOOK_SECRET', 'short', 'AI_WEBHOOK_SECRET: must be at least 32 characters'],
    ['ACCESS_TOKEN_TTL_SECONDS', '5', 'ACCESS_TOKEN_TTL_SECONDS: must be an integer from 60 to 86400 (got "5")'],
  ])('refuses %s=%j without echoing a secret', (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(message);
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      expect((error as Error).message).toBe(message);
    }
  });
});

describe('loadConfig: service roles', () => {
  it('runs everything by default and reads a list, "all", or one role', () => {
    expect(loadConfig({}).roles).toEqual(['api', 'projector', 'relay']);
    expect(loadConfig({ ROLES: 'all' }).roles).toEqual(['api', 'projector', 'relay']);
    expect(loadConfig({ ROLES: 'projector' }).roles).toEqual(['projector']);
    expect(loadConfig({ ROLES: 'relay,api' }).roles).toEqual(['relay', 'api']);
    expect(loadConfig({ ROLES: 'api, api' }).roles).toEqual(['api']);
  });

  it('refuses an unknown role with one line', () => {
    expect(() => loadConfig({ ROLES: 'api,inbound-typo' })).toThrow('ROLES: must be all, or a comma-separated list of api, projector, relay (got "api,inbound-typo")');
  });
});

describe('loadConfig: realtime gateway', () => {
  it('pings every 15 s and allows 1 MiB waiting per client by default, and reads both', () => {
    expect(loadConfig({}).realtime).toEqual({ heartbeatMs: 15_000, maxBufferBytes: 1_048_576 });
    expect(loadConfig({ REALTIME_HEARTBEAT_MS: '5000', REALTIME_MAX_BUFFER_BYTES: '65536' }).realtime).toEqual({ heartbeatMs: 5000, maxBufferBytes: 65_536 });
  });

  it('refuses a heartbeat that would let a dead connection live longer than 30 s', () => {
    expect(() => loadConfig({ REALTIME_HEARTBEAT_MS: '20000' })).toThrow('REALTIME_HEARTBEAT_MS: must be an integer from 50 to 15000 (got "20000")');
    expect(() => loadConfig({ REALTIME_MAX_BUFFER_BYTES: '1k' })).toThrow('REALTIME_MAX_BUFFER_BYTES: must be an integer from 16384 to 1073741824 (got "1k")');
  });
});

describe('loadConfig: personal data', () => {
  it('generates the master key by default, caches 10,000 keys for a minute, and reads each variable', () => {
    expect(loadConfig({}).personalData).toEqual({ masterKey: undefined, keyCacheSize: 10_000, keyCacheTtlMs: 60_000 });
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ PERSONAL_DATA_MASTER_KEY: key, PERSONAL_KEY_CACHE_SIZE: '0', PERSONAL_KEY_CACHE_TTL_MS: '5000' }).personalData).toEqual({
      masterKey: key,
      keyCacheSize: 0,
      keyCacheTtlMs: 5000,
    });
    expect(loadConfig({ PERSONAL_DATA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64url') }).personalData.masterKey).toHaveLength(43);
  });

  it.each([Buffer.alloc(16, 7).toString('base64'), 'not base64 at all!', `${Buffer.alloc(32, 7).toString('base64')}x`])('refuses a master key that is not 32 bytes of base64, without echoing it', (value) => {
    const message = 'PERSONAL_DATA_MASTER_KEY: must be 32 bytes in base64 (openssl rand -base64 32)';
    expect(() => loadConfig({ PERSONAL_DATA_MASTER_KEY: value })).toThrow(message);
    expect(errorOf({ PERSONAL_DATA_MASTER_KEY: value }).message).toBe(message);
  });
});
