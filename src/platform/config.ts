import { z } from 'zod';
import { redactUrl } from './logger';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the event log lives; EventStoreDB needs its connection string, so it travels with the choice. */
export type EventStoreChoice = { kind: 'postgres' } | { kind: 'eventstoredb'; connectionString: string };

/** Everything the service reads from its environment, validated once at start-up. */
export interface Config {
  port: number;
  host: string;
  /** Absent: an embedded PostgreSQL is started under `dataDir`. */
  databaseUrl?: string;
  eventStore: EventStoreChoice;
  /** Absent: the in-process message bus (src/streaming/in-process-bus.ts). */
  kafkaBrokers?: string[];
  /** Partitions of a topic the bus creates when missing (Kafka), and of every topic of the in-process bus. */
  topicPartitions: number;
  /** Events the relay publishes per batch at most. */
  relayBatchSize: number;
  redisUrl?: string;
  logLevel: LogLevel;
  dataDir: string;
  embeddedPgPort: number;
  maxEventBytes: number;
  subscriptionPollMs: number;
  shutdownTimeoutMs: number;
  auth: AuthConfig;
  /** Origins allowed to call the API from a browser; empty: no cross-origin access. */
  corsOrigins: string[];
  rateLimits: RateLimitConfig;
  /** HMAC secret of the AI webhook; absent: generated once under `dataDir`. */
  aiWebhookSecret?: string;
  generationTimeoutMs: number;
  schedulerIntervalMs: number;
  /** Longest a GET with `X-Min-Position` waits for its read models before answering 503. */
  minPositionTimeoutMs: number;
  personalData: PersonalDataConfig;
  /** What this process runs: `api` (the HTTP API), `projector` (projections and process managers), `relay` (the log to the message bus). */
  roles: ServiceRole[];
  realtime: RealtimeConfig;
  audit: AuditConfig;
}

/** The WebSocket gateway of `/v1/realtime`. */
export interface RealtimeConfig {
  /** Ping interval: a dead connection is cut within two intervals. */
  heartbeatMs: number;
  /** Bytes that may wait for one client before it is closed with 1013 (it resumes with `after`). */
  maxBufferBytes: number;
}

/** The tamper-evidence chain's signed heads. */
export interface AuditConfig {
  /** PKCS8 PEM of the Ed25519 key that signs chain heads; absent: generated once under `dataDir/keys`. */
  signingKeyPem?: string;
  kid?: string;
  /** JWKS JSON of earlier public keys, still published so that old receipts verify. */
  previousPublicKeysJwks?: string;
  /** How often the chain head is signed (projector role). */
  headIntervalMs: number;
}

/** The keys that seal personal data in the event log (src/personal-data). */
export interface PersonalDataConfig {
  /** base64 of the 32-byte key that wraps every person's key; absent: generated once under `dataDir`. */
  masterKey?: string;
  /** Person keys cached in memory per process. */
  keyCacheSize: number;
  /** How long a cached person key is trusted: the longest another process may still read data of a person erased elsewhere. */
  keyCacheTtlMs: number;
}

export const SERVICE_ROLES = ['api', 'projector', 'relay'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export interface AuthConfig {
  /** PKCS8 PEM of the Ed25519 key that signs access tokens; absent: generated once under `dataDir`. */
  privateKeyPem?: string;
  kid?: string;
  /** JWKS JSON of earlier public keys, still accepted after a rotation. */
  previousPublicKeysJwks?: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
}

/** Requests allowed per window; credentials routes per client address, the rest per principal. */
export interface RateLimitConfig {
  windowMs: number;
  /** login, registration, password reset, refresh: per client address. */
  credentials: number;
  /** the signed AI webhook: per client address. */
  webhook: number;
  /** every other route: per user or API key (per address when anonymous). */
  api: number;
}

/** The environment is invalid. `message` is one line naming each bad variable and what is wrong. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly { variable: string; problem: string }[]) {
    super(issues.map((i) => `${i.variable}: ${i.problem}`).join('; '));
    this.name = 'ConfigError';
  }
}

/** Variables whose values may carry credentials: an error message shows them redacted. */
const SECRET_BEARING = new Set(['DATABASE_URL', 'EVENTSTORE_CONNECTION_STRING', 'REDIS_URL']);
/** Variables that are secrets as a whole: an error message never shows their value. */
const SECRET = new Set(['JWT_PRIVATE_KEY', 'AI_WEBHOOK_SECRET', 'AUDIT_SIGNING_KEY', 'PERSONAL_DATA_MASTER_KEY']);

const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** An environment variable: an empty value counts as unset. */
const variable = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema);

const text = (valid: (value: string) => boolean, problem: string) => z.string().refine(valid, { message: problem });

const integer = (min: number, max: number) =>
  text((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, `must be an integer from ${min} to ${max}`).transform(Number);

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  text((v) => values.includes(v), `must be one of ${values.join(', ')}`).transform((v) => v as T[number]);

const urlWithScheme = (schemes: readonly string[]) => (value: string) => {
  try {
    const url = new URL(value);
    return schemes.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
};

const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const isBroker = (entry: string) => {
  const match = BROKER.exec(entry.trim());
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
};

const schema = z
  .object({
    PORT: variable(integer(1, 65535).default(3000)),
    HOST: variable(text((v) => !/\s/.test(v), 'must be a host name or IP address without spaces').default('0.0.0.0')),
    DATABASE_URL: variable(
      text(urlWithScheme(['postgres:', 'postgresql:']), 'must be a postgres:// or postgresql:// URL with a host').optional(),
    ),
    EVENT_STORE: variable(oneOf(['postgres', 'eventstoredb']).default('postgres')),
    EVENTSTORE_CONNECTION_STRING: variable(
      text((v) => /^(esdb|esdb\+discover|kurrentdb):\/\/\S+$/.test(v), 'must start with esdb://, esdb+discover:// or kurrentdb://').optional(),
    ),
    KAFKA_BROKERS: variable(
      text((v) => v.split(',').every(isBroker), 'must be a comma-separated list of host:port')
        .transform((v) => v.split(',').map((broker) => broker.trim()))
        .optional(),
    ),
    KAFKA_TOPIC_PARTITIONS: variable(integer(1, 1000).default(6)),
    RELAY_BATCH_SIZE: variable(integer(1, 10_000).default(1000)),
    REDIS_URL: variable(text(urlWithScheme(['redis:', 'rediss:']), 'must be a redis:// or rediss:// URL with a host').optional()),
    LOG_LEVEL: variable(oneOf(LOG_LEVELS).default('info')),
    DATA_DIR: variable(z.string().default('.data')),
    EMBEDDED_PG_PORT: variable(integer(1, 65535).default(54329)),
    MAX_EVENT_BYTES: variable(integer(1024, 268_435_455).default(1_048_576)),
    SUBSCRIPTION_POLL_MS: variable(integer(10, 3_600_000).default(1000)),
    SHUTDOWN_TIMEOUT_MS: variable(integer(0, 3_600_000).default(10_000)),
    JWT_PRIVATE_KEY: variable(text((v) => v.includes('BEGIN PRIVATE KEY'), 'must be a PKCS8 PEM private key (Ed25519)').optional()),
    JWT_KID: variable(text((v) => /^[\w.-]{1,64}$/.test(v), 'must be 1–64 characters of letters, digits, _ . -').optional()),
    JWT_PREVIOUS_PUBLIC_KEYS: variable(text(isJsonObject, 'must be a JWKS JSON object {"keys": [...]}').optional()),
    JWT_ISSUER: variable(z.string().default('postledger')),
    JWT_AUDIENCE: variable(z.string().default('postledger-api')),
    ACCESS_TOKEN_TTL_SECONDS: variable(integer(60, 86_400).default(900)),
    REFRESH_TOKEN_TTL_DAYS: variable(integer(1, 365).default(30)),
    CORS_ORIGINS: variable(
      text((v) => v.split(',').every((o) => urlWithScheme(['http:', 'https:'])(o.trim())), 'must be a comma-separated list of http(s) origins')
        .transform((v) => v.split(',').map((o) => new URL(o.trim()).origin))
        .default([]),
    ),
    RATE_LIMIT_WINDOW_MS: variable(integer(1000, 3_600_000).default(60_000)),
    RATE_LIMIT_CREDENTIALS: variable(integer(1, 100_000).default(10)),
    RATE_LIMIT_WEBHOOK: variable(integer(1, 1_000_000).default(600)),
    RATE_LIMIT_API: variable(integer(1, 10_000_000).default(1200)),
    AI_WEBHOOK_SECRET: variable(text((v) => v.length >= 32, 'must be at least 32 characters').optional()),
    PERSONAL_DATA_MASTER_KEY: variable(
      text((v) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, 'must be 32 bytes in base64 (openssl rand -base64 32)').optional(),
    ),
    PERSONAL_KEY_CACHE_SIZE: variable(integer(0, 10_000_000).default(10_000)),
    PERSONAL_KEY_CACHE_TTL_MS: variable(integer(0, 3_600_000).default(60_000)),
    GENERATION_TIMEOUT_MS: variable(integer(1000, 86_400_000).default(600_000)),
    SCHEDULER_INTERVAL_MS: variable(integer(50, 3_600_000).default(1000)),
    MIN_POSITION_TIMEOUT_MS: variable(integer(0, 60_000).default(5000)),
    REALTIME_HEARTBEAT_MS: variable(integer(50, 15_000).default(15_000)),
    REALTIME_MAX_BUFFER_BYTES: variable(integer(16_384, 1_073_741_824).default(1_048_576)),
    ROLES: variable(
      text((v) => v === 'all' || v.split(',').every((r) => (SERVICE_ROLES as readonly string[]).includes(r.trim())), `must be all, or a comma-separated list of ${SERVICE_ROLES.join(', ')}`)
        .transform((v) => (v === 'all' ? [...SERVICE_ROLES] : [...new Set(v.split(',').map((r) => r.trim() as ServiceRole))]))
        .default([...SERVICE_ROLES]),
    ),
    AUDIT_SIGNING_KEY: variable(text((v) => v.includes('BEGIN PRIVATE KEY'), 'must be a PKCS8 PEM private key (Ed25519)').optional()),
    AUDIT_SIGNING_KID: variable(text((v) => /^[\w.-]{1,64}$/.test(v), 'must be 1–64 characters of letters, digits, _ . -').optional()),
    AUDIT_PREVIOUS_PUBLIC_KEYS: variable(text(isJsonObject, 'must be a JWKS JSON object {"keys": [...]}').optional()),
    AUDIT_HEAD_INTERVAL_MS: variable(integer(1000, 86_400_000).default(60_000)),
  })
  .superRefine((env, ctx) => {
    if (env.EVENT_STORE === 'eventstoredb' && env.EVENTSTORE_CONNECTION_STRING === undefined) {
      ctx.addIssue({ code: 'custom', path: ['EVENTSTORE_CONNECTION_STRING'], message: 'must be set when EVENT_STORE=eventstoredb' });
    }
  });

/**
 * Reads and validates the service's environment; the only place that reads `process.env`.
 *
 * ```ts
 * const config = loadConfig(); // throws ConfigError: `PORT: must be an integer from 1 to 65535 (got "abc")`
 * ```
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0]);
        return { variable, problem: issue.message + got(variable, issue.input) };
      }),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    eventStore:
      e.EVENT_STORE === 'eventstoredb' ? { kind: 'eventstoredb', connectionString: e.EVENTSTORE_CONNECTION_STRING! } : { kind: 'postgres' },
    kafkaBrokers: e.KAFKA_BROKERS,
    topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
    relayBatchSize: e.RELAY_BATCH_SIZE,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    maxEventBytes: e.MAX_EVENT_BYTES,
    subscriptionPollMs: e.SUBSCRIPTION_POLL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    auth: {
      privateKeyPem: e.JWT_PRIVATE_KEY,
      kid: e.JWT_KID,
      previousPublicKeysJwks: e.JWT_PREVIOUS_PUBLIC_KEYS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    },
    corsOrigins: e.CORS_ORIGINS,
    rateLimits: { windowMs: e.RATE_LIMIT_WINDOW_MS, credentials: e.RATE_LIMIT_CREDENTIALS, webhook: e.RATE_LIMIT_WEBHOOK, api: e.RATE_LIMIT_API },
    aiWebhookSecret: e.AI_WEBHOOK_SECRET,
    generationTimeoutMs: e.GENERATION_TIMEOUT_MS,
    schedulerIntervalMs: e.SCHEDULER_INTERVAL_MS,
    minPositionTimeoutMs: e.MIN_POSITION_TIMEOUT_MS,
    personalData: { masterKey: e.PERSONAL_DATA_MASTER_KEY, keyCacheSize: e.PERSONAL_KEY_CACHE_SIZE, keyCacheTtlMs: e.PERSONAL_KEY_CACHE_TTL_MS },
    roles: e.ROLES,
    realtime: { heartbeatMs: e.REALTIME_HEARTBEAT_MS, maxBufferBytes: e.REALTIME_MAX_BUFFER_BYTES },
    audit: {
      signingKeyPem: e.AUDIT_SIGNING_KEY,
      kid: e.AUDIT_SIGNING_KID,
      previousPublicKeysJwks: e.AUDIT_PREVIOUS_PUBLIC_KEYS,
      headIntervalMs: e.AUDIT_HEAD_INTERVAL_MS,
    },
  };
}

function isJsonObject(value: string): boolean {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

function got(variable: string, input: unknown): string {
  if (typeof input !== 'string' || SECRET.has(variable)) return '';
  const shown = SECRET_BEARING.has(variable) ? redactUrl(input) : input;
  // JSON quoting keeps a value with a newline on one line
  return ` (got ${JSON.stringify(shown.length > 100 ? `${shown.slice(0, 100)}…` : shown)})`;
}
