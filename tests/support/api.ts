/**
 * A whole API on real PostgreSQL for HTTP tests: the event log, identity tables and every
 * route, in a schema of its own. Helpers register users, create workspaces and add members
 * the way a client would, through HTTP.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { Pool } from 'pg';
import request, { type Response } from 'supertest';
import { authMigrations } from '../../src/auth/migrations';
import type { Mailer } from '../../src/auth/mailer';
import { idempotencyMigrations } from '../../src/commands/idempotency';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { buildApi, type ApiAssembly } from '../../src/http/api';
import { createApp } from '../../src/http/app';
import { personKeyMigrations, sealPersonalData, type PersonKeys } from '../../src/personal-data';
import { createLogger, type Logger } from '../../src/platform/logger';
import { createMetrics } from '../../src/platform/metrics';
import { migrate } from '../../src/platform/migrations';
import { projectionMigrations, projections } from '../../src/projections';
import { Projector } from '../../src/projections/projector';
import { readModelDb } from '../../src/projections/read-models';
import type { RateLimitConfig } from '../../src/platform/config';
import { createTestDatabase, type TestDatabase } from './database';

export const WEBHOOK_SECRET = 'test-webhook-secret-of-at-least-32-characters';

/** Captures password-reset mails instead of sending them. */
export class CapturingMailer implements Mailer {
  readonly sent: { to: string; token: string }[] = [];
  async sendPasswordReset(to: string, token: string): Promise<void> {
    this.sent.push({ to, token });
  }
}

export interface TestUser {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `Authorization: Bearer …` */
  auth: { Authorization: string };
}

export interface TestApi {
  app: Express;
  http: ReturnType<typeof request>;
  assembly: ApiAssembly;
  /** The store the API uses: personal data sealed on append, opened on read. */
  store: EventStore;
  /** The adapter underneath, as stored. */
  rawStore: PostgresEventStore;
  personKeys: PersonKeys;
  /** DATA_DIR of the API (its generated keys, among them the personal-data master key). */
  dataDir: string;
  pool: Pool;
  database: TestDatabase;
  mailer: CapturingMailer;
  /** The API's clock runs `offsetMs` ahead of real time; tests move it to make things due. */
  clock: { offsetMs: number };
  close(): Promise<void>;
  register(overrides?: Partial<{ email: string; password: string; displayName: string }>): Promise<TestUser>;
  createWorkspace(owner: TestUser, name?: string): Promise<string>;
  /** Registers a user and adds them to the workspace with `role`. */
  member(workspaceId: string, owner: TestUser, role: string): Promise<TestUser>;
  /** Every event of the log, oldest first. */
  events(): Promise<RecordedEvent[]>;
  /** Sends a request that must be refused with `status`: a problem+json body, and nothing appended to the log. */
  refused(send: () => PromiseLike<Response>, status: number): Promise<Response>;
  /** Runs every projection until close() or stopProjectors(). */
  startProjectors(): void;
  /** The projectors startProjectors() started. */
  projectors: Projector[];
  /** Stops the projections startProjectors() started (their leadership goes with them). */
  stopProjectors(): Promise<void>;
  /** Waits until every started projection has applied the log up to its head. */
  projectionsCaughtUp(timeoutMs?: number): Promise<void>;
}

export interface TestApiOptions {
  rateLimits?: Partial<RateLimitConfig>;
  minPositionTimeoutMs?: number;
  /** Shared cache and rate limits in Redis (in memory without). */
  redis?: Redis;
  /** Default: silent. */
  logger?: Logger;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const database = await createTestDatabase('api');
  const pool = new Pool({ ...database.connection, max: 10 });
  const rawStore = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 200 });
  await rawStore.migrate();
  await migrate(pool, [...authMigrations, ...idempotencyMigrations, ...projectionMigrations, ...personKeyMigrations]);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-api-'));
  const { store, personKeys } = await sealPersonalData(rawStore, { pool, dataDir, keyCacheSize: 1000, keyCacheTtlMs: 60_000 });
  const logger = options.logger ?? createLogger('silent');
  const mailer = new CapturingMailer();
  const clock = { offsetMs: 0 };
  const assembly = await buildApi({
    config: {
      auth: { issuer: 'postledger-test', audience: 'postledger-test-api', accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30 },
      dataDir,
      rateLimits: { windowMs: 60_000, credentials: 10_000, webhook: 10_000, api: 100_000, ...options.rateLimits },
      minPositionTimeoutMs: options.minPositionTimeoutMs,
    },
    pool,
    store,
    rawStore,
    personKeys,
    logger,
    mailer,
    redis: options.redis,
    webhookSecret: WEBHOOK_SECRET,
    now: () => new Date(Date.now() + clock.offsetMs),
  });
  const app = createApp({ logger, metrics: createMetrics(), readinessChecks: [], routes: [assembly.router], corsOrigins: ['https://app.example.com'] });
  const http = request(app);
  const projectors: Projector[] = [];

  const api: TestApi = {
    app,
    http,
    assembly,
    store,
    rawStore,
    personKeys,
    dataDir,
    pool,
    database,
    mailer,
    clock,
    projectors,
    async close() {
      await Promise.all(projectors.map((p) => p.stop()));
      await assembly.close();
      await store.close();
      await pool.end();
      await database.drop();
    },
    async register(overrides = {}) {
      const email = overrides.email ?? `user-${randomUUID()}@example.com`;
      const password = overrides.password ?? 'correct horse battery staple';
      const res = await http.post('/v1/auth/register').send({ email, password, displayName: overrides.displayName ?? 'Test User' });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
      const { user, accessToken, refreshToken } = res.body as { user: { id: string }; accessToken: string; refreshToken: string };
      return { userId: user.id, email, password, accessToken, refreshToken, auth: { Authorization: `Bearer ${accessToken}` } };
    },
    async createWorkspace(owner, name = 'Acme') {
      const res = await http.post('/v1/workspaces').set(owner.auth).send({ name });
      if (res.status !== 201) throw new Error(`create workspace failed: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { id: string }).id;
    },
    async member(workspaceId, owner, role) {
      const user = await api.register();
      const res = await http.post(`/v1/workspaces/${workspaceId}/members`).set(owner.auth).send({ email: user.email, role });
      if (res.status !== 201) throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
      return user;
    },
    startProjectors() {
      const db = readModelDb(pool);
      for (const projection of projections) {
        // as the service does: the audit chain hashes the log as stored, everything else reads it opened
        const projector = new Projector({ db, store: projection.storedForm ? rawStore : store, projection, lockConnection: database.connection, logger, retryMs: 20 });
        projector.start();
        projectors.push(projector);
      }
    },
    async stopProjectors() {
      await Promise.all(projectors.splice(0).map((p) => p.stop()));
    },
    async projectionsCaughtUp(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (const projector of projectors) {
        const { filter } = projections.find((p) => p.name === projector.name)!;
        // a projection without a filter (the audit chain) reads every event
        const { rows } = await pool.query<{ p: string | null }>(
          `select max(position) as p from pl_events where ($1::text[] is null or category = any($1::text[])) and ($2::text[] is null or type = any($2::text[]))`,
          [filter.categories ?? null, filter.types ?? null],
        );
        const target = BigInt(rows[0]!.p ?? '0');
        while (projector.status.checkpoint < target) {
          if (Date.now() > deadline) throw new Error(`projection ${projector.name} did not catch up`);
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    },
    async refused(send, status) {
      const before = (await api.events()).length;
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
      expect((await api.events()).length).toBe(before);
      return res;
    },
    async events() {
      const all: RecordedEvent[] = [];
      for (let after: bigint | undefined; ; ) {
        const page = await store.readAll({ after, maxCount: 10_000 });
        all.push(...page);
        if (page.length < 10_000) return all;
        after = page.at(-1)!.position;
      }
    },
  };
  return api;
}
