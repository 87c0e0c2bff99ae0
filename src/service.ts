import type { Server } from 'node:http';
import type { EventStore } from './eventstore/port';
import { PostgresEventStore } from './eventstore/postgres/store';
import { authMigrations } from './auth/migrations';
import { idempotencyMigrations } from './commands/idempotency';
import { DueActions } from './commands/process-managers/due-actions';
import { projectionMigrations, projections } from './projections';
import { projectionsCheck, registerProjectionMetrics } from './projections/health';
import { Projector } from './projections/projector';
import { readModelDb } from './projections/read-models';
import { HeadSigner } from './audit/heads';
import { buildApi } from './http/api';
import { createApp } from './http/app';
import { closeServer, listen } from './http/server';
import type { Config } from './platform/config';
import { type Database, openDatabase } from './platform/database';
import type { DependencyCheck } from './platform/health';
import { kafkaReadiness } from './platform/kafka';
import type { Logger } from './platform/logger';
import { createMetrics } from './platform/metrics';
import { migrate } from './platform/migrations';
import { type PersonKeys, personKeyMigrations, sealPersonalData } from './personal-data';
import { createRedis, redisCheck } from './platform/redis';
import { startRealtime } from './realtime';
import { configuredOrGeneratedSecret } from './platform/secrets';
import { Teardown } from './platform/teardown';
import type { MessageBus } from './streaming/bus';
import { openMessageBus } from './streaming/open-bus';
import { Relay } from './streaming/relay';
import { relayMigrations } from './streaming/relay-checkpoint';
import { registerRelayMetrics } from './streaming/relay-metrics';
import { startInboundConsumers } from './streaming/inbound';

export interface Service {
  server: Server;
  /**
   * The process's one message bus (Kafka with KAFKA_BROKERS, else in-process): the relay
   * publishes the log to it; inbound consumers and the realtime gateway consume from it.
   */
  bus: MessageBus;
  /** Stops accepting, lets requests in flight finish (bounded by SHUTDOWN_TIMEOUT_MS), then closes every dependency. Resolves to whether all closed cleanly. */
  close(): Promise<boolean>;
}

/**
 * Starts Postledger: the database (embedded when DATABASE_URL is unset), the event log and its
 * migrations, the clients of optional dependencies, and the HTTP server. Whatever was opened is
 * closed again if a later step fails.
 */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  const teardown = new Teardown(logger);
  try {
    const database = await openDatabase(config, logger, teardown);
    const readinessChecks: DependencyCheck[] = [
      {
        name: 'postgres',
        check: async () => {
          await database.pool.query('select 1');
        },
      },
    ];
    if (config.kafkaBrokers) {
      const kafka = kafkaReadiness(config.kafkaBrokers);
      teardown.add('Kafka admin client', () => kafka.close());
      readinessChecks.push(kafka);
    }
    const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
    if (redis) {
      // connect now so that rate limits count from the first request; failures show in /readyz
      redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'Redis is not reachable; rate limits are not enforced until it is'));
      teardown.add('Redis client', () => redis.disconnect());
      readinessChecks.push(redisCheck(redis));
    }
    // `store` seals personal data on append and opens it (or reads it as erased) on every read:
    // every reader and writer of the service uses it. `rawStore` is the adapter underneath, the
    // log exactly as stored (personal groups sealed): the audit chain (its projection and
    // verification) must always get this one, so that it keeps verifying after a person's key is
    // destroyed. Nothing else takes `rawStore`.
    const { store, rawStore, personKeys } = await openEventStore(config, database, logger, teardown);
    readinessChecks.push({ name: 'eventstore', check: () => rawStore.ping() });
    // opened before its publishers and consumers, so closed after them
    const bus = openMessageBus(config, logger);
    teardown.add(`message bus (${bus.kind})`, () => bus.close());

    const metrics = createMetrics();
    const api = await buildApi({
      config,
      pool: database.pool,
      store,
      rawStore,
      personKeys,
      logger,
      redis,
      metrics,
      webhookSecret: await configuredOrGeneratedSecret(config.aiWebhookSecret, config.dataDir, 'ai-webhook-secret'),
    });
    teardown.add('read-your-writes listener', () => api.close());
    if (config.roles.includes('projector')) {
      const db = readModelDb(database.pool);
      const lockConnection = { connectionString: database.connectionString };
      const projectors = projections.map(
        (projection) => new Projector({ db, store: projection.storedForm ? rawStore : store, projection, lockConnection, logger }),
      );
      for (const projector of projectors) {
        projector.start();
        teardown.add(`projection ${projector.name}`, () => projector.stop());
      }
      readinessChecks.push(projectionsCheck(projectors));
      registerProjectionMetrics(metrics.registry, projectors, { store });
      const dueActions = new DueActions({
        db,
        commands: api.deps.commands,
        lockConnection,
        logger,
        intervalMs: config.schedulerIntervalMs,
        generationTimeoutMs: config.generationTimeoutMs,
      });
      dueActions.start();
      teardown.add('process managers', () => dueActions.stop());
      const headSigner = new HeadSigner(api.deps.auditHeads, config.audit.headIntervalMs, logger);
      headSigner.start();
      teardown.add('audit head signer', () => headSigner.stop());
    }
    if (config.roles.includes('relay')) {
      const relay = new Relay({
        store,
        bus,
        pool: database.pool,
        lockConnection: { connectionString: database.connectionString },
        logger,
        batchSize: config.relayBatchSize,
      });
      relay.start();
      teardown.add('relay', () => relay.stop());
      registerRelayMetrics(metrics.registry, { relay, store, pool: database.pool });
      // the AI service's and the publishers' answers, on the same bus (in-process: only what this process publishes)
      const inbound = startInboundConsumers({ bus, commands: api.deps.commands, logger, registry: metrics.registry });
      teardown.add('inbound consumers', () => inbound.stop());
    }
    const app = createApp({ logger, metrics, readinessChecks, corsOrigins: config.corsOrigins, routes: config.roles.includes('api') ? [api.router] : [] });
    const server = await listen(app, config.port, config.host);
    teardown.add('HTTP server', () => closeServer(server, config.shutdownTimeoutMs));
    if (config.roles.includes('api')) {
      // closed before the HTTP server, which waits for its sockets
      const gateway = await startRealtime({ config, deps: api.deps, server, logger, metrics, bus });
      teardown.add('realtime gateway', () => gateway.close());
    }
    logger.info({ address: server.address(), eventStore: config.eventStore.kind, roles: config.roles }, 'Postledger is listening');
    let closing: Promise<boolean> | undefined;
    return { server, bus, close: () => (closing ??= teardown.run()) };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

/**
 * Applies the migrations of the configured database and returns their ids, without starting
 * the service: `postledger migrate`.
 */
export async function migrateDatabase(config: Config, logger: Logger): Promise<string[]> {
  const teardown = new Teardown(logger);
  try {
    const database = await openDatabase(config, logger, teardown);
    return (await openEventLog(config, database, logger, teardown)).applied;
  } finally {
    await teardown.run();
  }
}

/** The event log as opened by `openEventStore`. */
export interface OpenedEventStore {
  /** The log with personal data sealed on append and opened on read: what everything uses. */
  store: EventStore;
  /** The adapter underneath, as stored (personal groups sealed): only for the audit chain. */
  rawStore: EventStore;
  /** The per-person keys `store` seals with; erasure destroys them. */
  personKeys: PersonKeys;
  /** Migrations applied by this call. */
  applied: string[];
}

/** The configured event log, its PostgreSQL schema migrated when it lives there, personal data sealed. */
export async function openEventStore(config: Config, database: Database, logger: Logger, teardown: Teardown): Promise<OpenedEventStore> {
  const { rawStore, applied } = await openEventLog(config, database, logger, teardown);
  const { store, personKeys } = await sealPersonalData(rawStore, { pool: database.pool, dataDir: config.dataDir, ...config.personalData });
  return { store, rawStore, personKeys, applied };
}

/** The configured adapter as it is (no sealing), every schema migrated: what `postledger migrate` needs. */
async function openEventLog(config: Config, database: Database, logger: Logger, teardown: Teardown): Promise<{ rawStore: EventStore; applied: string[] }> {
  const rawStore =
    config.eventStore.kind === 'eventstoredb'
      ? // loaded only when chosen: the gRPC client costs a process ≈ 15 MiB it would not use. A
        // require, not import(): the service runs as CommonJS (`node --require tsx/cjs`), where
        // import() of a .ts file has no loader
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        new (require('./eventstore/eventstoredb/store') as typeof import('./eventstore/eventstoredb/store')).EventStoreDbEventStore({
          connectionString: config.eventStore.connectionString,
          maxEventBytes: config.maxEventBytes,
          pollIntervalMs: config.subscriptionPollMs,
          logger,
        })
      : new PostgresEventStore({
          connection: { connectionString: database.connectionString },
          pool: database.pool,
          maxEventBytes: config.maxEventBytes,
          pollIntervalMs: config.subscriptionPollMs,
          logger,
        });
  teardown.add('event store', () => rawStore.close());
  const applied = [
    ...(rawStore instanceof PostgresEventStore ? await rawStore.migrate() : []),
    ...(await migrate(database.pool, [...authMigrations, ...idempotencyMigrations, ...projectionMigrations, ...relayMigrations, ...personKeyMigrations])),
  ];
  logger.info({ migrations: applied }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
  return { rawStore, applied };
}
