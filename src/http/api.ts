import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { AccessTokens } from '../auth/access-tokens';
import { ApiKeys } from '../auth/api-keys';
import { Credentials } from '../auth/credentials';
import { LogMailer, type Mailer } from '../auth/mailer';
import { PasswordResets } from '../auth/password-resets';
import { RefreshTokens } from '../auth/refresh-tokens';
import { AUDIT_KEY_FILE, ChainHeads } from '../audit/heads';
import { loadSigningKeys } from '../auth/signing-keys';
import { CommandHandler } from '../commands/command-handler';
import { domainEventCodec } from '../commands/event-codec';
import { IdempotencyKeys } from '../commands/idempotency';
import { commandRouteGroups } from '../commands/routes';
import { queryRouteGroups } from '../queries/routes';
import { ReadYourWrites } from '../queries/read-your-writes';
import type { EventStore } from '../eventstore/port';
import type { Config } from '../platform/config';
import type { PersonKeys } from '../personal-data/person-keys';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import type { ApiDeps } from './api-deps';
import { ApiRouter } from './api-router';
import { createRegistry, openApiDocument } from './openapi';
import { createRateLimiters } from './rate-limits';

export interface ApiAssembly {
  deps: ApiDeps;
  router: Router;
  /** The OpenAPI document of every route. */
  document: object;
  /** Closes what the routes opened (the LISTEN connection of `X-Min-Position`). */
  close(): Promise<void>;
}

export interface BuildApiOptions {
  config: Pick<Config, 'auth' | 'dataDir' | 'rateLimits'> & Partial<Pick<Config, 'minPositionTimeoutMs' | 'audit'>>;
  pool: Pool;
  /** The log the API reads and writes through: the store with personal data sealed (PersonalDataEventStore). */
  store: EventStore;
  /** The log as stored (the raw adapter), for the audit chain's verification; defaults to `store`. */
  rawStore?: EventStore;
  /** The keys `store` seals with: erasure destroys them. */
  personKeys: PersonKeys;
  logger: Logger;
  redis?: Redis;
  /** The registry `/metrics` serves, for the counters of routes. */
  metrics?: Metrics;
  webhookSecret: string;
  mailer?: Mailer;
  now?: () => Date;
}

/** Wires the identity services, command handling and every route group into one router. */
export async function buildApi(options: BuildApiOptions): Promise<ApiAssembly> {
  const { config, pool, store, logger } = options;
  const now = options.now ?? (() => new Date());
  const keys = await loadSigningKeys({ ...config.auth, dataDir: config.dataDir });
  const deps: ApiDeps = {
    store,
    auditLog: options.rawStore ?? store,
    auditHeads: new ChainHeads(pool, await loadAuditKeys(config), now),
    personKeys: options.personKeys,
    commands: new CommandHandler(store, domainEventCodec),
    pool,
    credentials: new Credentials(pool),
    refreshTokens: new RefreshTokens(pool, { ttlMs: config.auth.refreshTokenTtlDays * 86_400_000, now }),
    passwordResets: new PasswordResets(pool, { now }),
    apiKeys: new ApiKeys(pool, { now }),
    accessTokens: new AccessTokens({ keys, issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: config.auth.accessTokenTtlSeconds, now }),
    mailer: options.mailer ?? new LogMailer(logger),
    idempotency: new IdempotencyKeys(pool),
    rateLimits: createRateLimiters(config.rateLimits, options.redis),
    logger,
    webhookSecret: options.webhookSecret,
    now,
    redis: options.redis,
    metrics: options.metrics,
    readYourWrites: new ReadYourWrites({ pool, logger, timeoutMs: config.minPositionTimeoutMs }),
  };
  const registry = createRegistry();
  const api = new ApiRouter(deps, registry);
  for (const group of [...commandRouteGroups, ...queryRouteGroups]) group(api, deps);
  const document = openApiDocument(registry);
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(document));
  router.use(api.router);
  return { deps, router, document, close: () => deps.readYourWrites.close() };
}

/**
 * The Ed25519 keys of signed audit heads: from configuration, or generated once under
 * `<dataDir>/keys/` beside (never the same as) the access-token key.
 *
 * ```ts
 * const heads = new ChainHeads(pool, await loadAuditKeys(config));
 * ```
 */
export function loadAuditKeys(config: Pick<Config, 'dataDir'> & Partial<Pick<Config, 'audit'>>): ReturnType<typeof loadSigningKeys> {
  return loadSigningKeys({
    privateKeyPem: config.audit?.signingKeyPem,
    kid: config.audit?.kid,
    previousPublicKeysJwks: config.audit?.previousPublicKeysJwks,
    dataDir: config.dataDir,
    keyFile: AUDIT_KEY_FILE,
  });
}
