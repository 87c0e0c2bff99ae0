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
  kafkaBrokers?: string[];
  redisUrl?: string;
  logLevel: LogLevel;
  dataDir: string;
  embeddedPgPort: number;
  maxEventBytes: number;
  subscriptionPollMs: number;
  shutdownTimeoutMs: number;
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
    REDIS_URL: variable(text(urlWithScheme(['redis:', 'rediss:']), 'must be a redis:// or rediss:// URL with a host').optional()),
    LOG_LEVEL: variable(oneOf(LOG_LEVELS).default('info')),
    DATA_DIR: variable(z.string().default('.data')),
    EMBEDDED_PG_PORT: variable(integer(1, 65535).default(54329)),
    MAX_EVENT_BYTES: variable(integer(1024, 268_435_455).default(1_048_576)),
    SUBSCRIPTION_POLL_MS: variable(integer(10, 3_600_000).default(1000)),
    SHUTDOWN_TIMEOUT_MS: variable(integer(0, 3_600_000).default(10_000)),
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
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    maxEventBytes: e.MAX_EVENT_BYTES,
    subscriptionPollMs: e.SUBSCRIPTION_POLL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}

function got(variable: string, input: unknown): string {
  if (typeof input !== 'string') return '';
  const shown = SECRET_BEARING.has(variable) ? redactUrl(input) : input;
  // JSON quoting keeps a value with a newline on one line
  return ` (got ${JSON.stringify(shown.length > 100 ? `${shown.slice(0, 100)}…` : shown)})`;
}
