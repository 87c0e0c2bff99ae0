import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Migration } from '../platform/migrations';

export const idempotencyMigrations: Migration[] = [
  {
    id: '2001_idempotency_keys',
    sql: `
      create table pl_idempotency_keys (
        principal    text        not null,
        key          text        not null,
        request_hash bytea       not null,
        status       smallint,
        headers      jsonb,
        body         jsonb,
        created_at   timestamptz not null default now(),
        primary key (principal, key)
      );
      create index pl_idempotency_keys_created on pl_idempotency_keys (created_at);`,
  },
];

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export type IdempotencyClaim =
  | { kind: 'first' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

export interface IdempotencyOptions {
  /** How long a key is remembered. */
  ttlMs?: number;
  /** How long a concurrent retry waits for the first request to finish. */
  waitMs?: number;
}

/** SHA-256 of what makes two requests "the same": method, path and body. */
export function requestFingerprint(method: string, path: string, body: unknown): Buffer {
  return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest();
}

/**
 * `Idempotency-Key` storage in PostgreSQL. The first request with a key claims it with an
 * insert (so concurrent retries cannot both run); later ones replay the stored response,
 * wait for it while the first is still running, or learn that the body differs.
 *
 * ```ts
 * const claim = await keys.claim(principal, key, requestFingerprint('POST', path, body));
 * if (claim.kind === 'first') { …run…; await keys.complete(principal, key, response); }
 * ```
 */
export class IdempotencyKeys {
  private readonly ttlMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly pool: Pool,
    options: IdempotencyOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.waitMs = options.waitMs ?? 10_000;
  }

  async claim(principal: string, key: string, fingerprint: Buffer): Promise<IdempotencyClaim> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      // an expired key is taken over as if new, so the request runs again
      const inserted = await this.pool.query(
        `insert into pl_idempotency_keys (principal, key, request_hash) values ($1, $2, $3)
         on conflict (principal, key) do update
           set request_hash = excluded.request_hash, status = null, headers = null, body = null, created_at = now()
           where pl_idempotency_keys.created_at < now() - $4 * interval '1 millisecond'`,
        [principal, key, fingerprint, this.ttlMs],
      );
      if (inserted.rowCount === 1) return { kind: 'first' };
      const { rows } = await this.pool.query<{ request_hash: Buffer; status: number | null; headers: Record<string, string>; body: unknown }>(
        `select request_hash, status, headers, body from pl_idempotency_keys where principal = $1 and key = $2`,
        [principal, key],
      );
      const row = rows[0];
      if (row === undefined) continue; // released between the insert and the select: claim again
      if (!row.request_hash.equals(fingerprint)) return { kind: 'mismatch' };
      if (row.status !== null) return { kind: 'replay', response: { status: row.status, headers: row.headers, body: row.body } };
      if (Date.now() >= deadline) return { kind: 'in-progress' };
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Records the response of the request that claimed the key. */
  async complete(principal: string, key: string, response: StoredResponse): Promise<void> {
    await this.pool.query(`update pl_idempotency_keys set status = $3, headers = $4, body = $5 where principal = $1 and key = $2`, [
      principal,
      key,
      response.status,
      JSON.stringify(response.headers),
      JSON.stringify(response.body ?? null),
    ]);
  }

  /** Forgets a claim whose request failed unexpectedly, so that a retry runs it again. */
  async release(principal: string, key: string): Promise<void> {
    await this.pool.query(`delete from pl_idempotency_keys where principal = $1 and key = $2 and status is null`, [principal, key]);
  }

  /** Deletes expired keys; returns how many. */
  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.pool.query(`delete from pl_idempotency_keys where created_at < now() - $1 * interval '1 millisecond'`, [this.ttlMs]);
    return rowCount ?? 0;
  }

  /**
   * Forgets every stored response of a user's own requests and the registration response
   * that names them (it carries their email and name): part of erasing a person.
   *
   * ```ts
   * await idempotency.forgetUser(userId);
   * ```
   */
  async forgetUser(userId: string): Promise<void> {
    await this.pool.query(
      `delete from pl_idempotency_keys where principal = $1 or body @> jsonb_build_object('user', jsonb_build_object('id', $2::text))`,
      [`user:${userId}`, userId],
    );
  }
}
