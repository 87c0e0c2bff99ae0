import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { ChainHeads } from '../audit/heads';
import type { AccessTokens } from '../auth/access-tokens';
import type { ApiKeys } from '../auth/api-keys';
import type { Credentials } from '../auth/credentials';
import type { Mailer } from '../auth/mailer';
import type { PasswordResets } from '../auth/password-resets';
import type { RefreshTokens } from '../auth/refresh-tokens';
import type { CommandHandler } from '../commands/command-handler';
import type { IdempotencyKeys } from '../commands/idempotency';
import type { EventStore } from '../eventstore/port';
import type { PersonKeys } from '../personal-data/person-keys';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import type { ReadYourWrites } from '../queries/read-your-writes';
import type { RateLimiters } from './rate-limits';

/** Everything the API's routes use, assembled once by the service. */
export interface ApiDeps {
  /** The log as the API reads and writes it: personal data sealed on append, opened (or erased) on read. */
  store: EventStore;
  /** The log as stored (the raw adapter): the tamper-evidence chain is verified against this. */
  auditLog: EventStore;
  /** Signed heads of the chain and the keys that verify them. */
  auditHeads: ChainHeads;
  /** Per-person keys of personal data: erasure destroys them. */
  personKeys: PersonKeys;
  commands: CommandHandler;
  pool: Pool;
  credentials: Credentials;
  refreshTokens: RefreshTokens;
  passwordResets: PasswordResets;
  apiKeys: ApiKeys;
  accessTokens: AccessTokens;
  mailer: Mailer;
  idempotency: IdempotencyKeys;
  rateLimits: RateLimiters;
  logger: Logger;
  /** HMAC secret of the AI webhook. */
  webhookSecret: string;
  now: () => Date;
  /** Shared cache of analytics answers; an in-process cache is used without it. */
  redis?: Redis;
  /** Waits for read models to pass a GET's `X-Min-Position`. */
  readYourWrites: ReadYourWrites;
  /** Where routes count what they do (the analytics cache hit ratio). */
  metrics?: Metrics;
}
