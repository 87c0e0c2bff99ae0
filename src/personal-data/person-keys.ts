import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Migration } from '../platform/migrations';
import { unwrapKey, wrapKey } from './cipher';

/**
 * One row per person: their data key, wrapped by the master key, until it is destroyed; then
 * a tombstone (`wrapped_key` null, `erased_at` set) that keeps a new key from ever being made
 * for that person. Outside the event log, so destroying a key erases without rewriting it.
 */
export const personKeyMigrations: Migration[] = [
  {
    id: '6001_person_keys',
    sql: `
      create table pl_person_keys (
        subject_id  text        primary key,
        wrapped_key bytea,
        created_at  timestamptz not null default now(),
        erased_at   timestamptz,
        constraint pl_person_keys_key_or_tombstone check ((wrapped_key is null) = (erased_at is not null))
      );
    `,
  },
];

/** A person's key as a reader finds it: usable, destroyed, or never made (their data was never encrypted). */
export type PersonKey = { state: 'key'; key: Buffer } | { state: 'erased' } | { state: 'none' };

/** New personal data of an erased person was about to be written; nothing was. */
export class PersonErased extends Error {
  constructor(readonly subject: string) {
    super(`person ${subject} has been erased: no personal data of theirs may be written again`);
    this.name = 'PersonErased';
  }
}

export interface PersonKeysOptions {
  pool: Pool;
  /** 32 bytes; wraps every person's key, so a copy of the table alone reveals nothing. */
  masterKey: Buffer;
  /** Keys kept in memory (least recently used go first). Default 10,000. */
  cacheSize?: number;
  /**
   * How long a cached key is trusted (default 60 s): the longest another process may still
   * decrypt with a key this one destroyed.
   */
  cacheTtlMs?: number;
  now?: () => number;
}

type Row = { subject_id: string; wrapped_key: Buffer | null };

/**
 * The per-person data keys of personal data (AES-256), in `pl_person_keys`, cached in memory
 * with a bounded size and age.
 *
 * ```ts
 * const keys = new PersonKeys({ pool, masterKey });
 * const key = await keys.keyForWriting(userId);
 * await keys.destroy(userId); // their personal data reads as erased from now on
 * ```
 */
export class PersonKeys {
  private readonly cache = new Map<string, { value: PersonKey; expiresAt: number }>();
  private readonly cacheSize: number;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: PersonKeysOptions) {
    if (options.masterKey.length !== 32) throw new Error('the personal-data master key must be 32 bytes');
    this.cacheSize = options.cacheSize ?? 10_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The person's key, made on first use; throws PersonErased once they were erased.
   *
   * ```ts
   * const key = await keys.keyForWriting(subject);
   * ```
   */
  async keyForWriting(subject: string): Promise<Buffer> {
    const cached = this.cached(subject);
    if (cached?.state === 'key') return cached.key;
    if (cached?.state === 'erased') throw new PersonErased(subject);
    const { rows } = await this.options.pool.query<Row>(
      `with made as (
         insert into pl_person_keys (subject_id, wrapped_key) values ($1, $2)
         on conflict (subject_id) do nothing
         returning subject_id, wrapped_key)
       select subject_id, wrapped_key from made
       union all select subject_id, wrapped_key from pl_person_keys where subject_id = $1
       limit 1`,
      [subject, wrapKey(this.options.masterKey, randomBytes(32), subject)],
    );
    // a concurrent first write made it: its row was not yet visible to this statement's snapshot
    const row = rows[0] ?? (await this.options.pool.query<Row>('select subject_id, wrapped_key from pl_person_keys where subject_id = $1', [subject])).rows[0]!;
    const found = this.remember(row);
    if (found.state !== 'key') throw new PersonErased(subject);
    return found.key;
  }

  /**
   * The keys of several people in one look-up (cached ones are not looked up again).
   *
   * ```ts
   * const found = await keys.keysForReading(['u-1', 'u-2']); // Map { 'u-1' => { state: 'key', key }, 'u-2' => { state: 'erased' } }
   * ```
   */
  async keysForReading(subjects: Iterable<string>): Promise<Map<string, PersonKey>> {
    const found = new Map<string, PersonKey>();
    const missing: string[] = [];
    for (const subject of new Set(subjects)) {
      const cached = this.cached(subject);
      if (cached) found.set(subject, cached);
      else missing.push(subject);
    }
    if (missing.length === 0) return found;
    const { rows } = await this.options.pool.query<Row>('select subject_id, wrapped_key from pl_person_keys where subject_id = any($1::text[])', [missing]);
    for (const row of rows) found.set(row.subject_id, this.remember(row));
    for (const subject of missing) {
      if (!found.has(subject)) found.set(subject, this.put(subject, { state: 'none' }));
    }
    return found;
  }

  /**
   * Destroys the person's key for good (idempotent) and leaves a tombstone, also for a person
   * who never had one. Returns whether a key was destroyed by this call.
   *
   * ```ts
   * await keys.destroy(userId);
   * ```
   */
  async destroy(subject: string): Promise<boolean> {
    const { rowCount } = await this.options.pool.query(
      'update pl_person_keys set wrapped_key = null, erased_at = now() where subject_id = $1 and wrapped_key is not null',
      [subject],
    );
    // no key to destroy: leave the tombstone all the same (a person whose data predates sealing)
    if (rowCount === 0) {
      await this.options.pool.query(
        `insert into pl_person_keys as k (subject_id, wrapped_key, erased_at) values ($1, null, now())
         on conflict (subject_id) do update set wrapped_key = null, erased_at = coalesce(k.erased_at, now())`,
        [subject],
      );
    }
    this.put(subject, { state: 'erased' });
    return rowCount === 1;
  }

  private cached(subject: string): PersonKey | undefined {
    const entry = this.cache.get(subject);
    if (!entry) return undefined;
    this.cache.delete(subject);
    if (entry.expiresAt <= this.now()) return undefined;
    // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
    this.cache.set(subject, entry);
    return entry.value;
  }

  private remember(row: Row): PersonKey {
    return this.put(
      row.subject_id,
      row.wrapped_key === null ? { state: 'erased' } : { state: 'key', key: unwrapKey(this.options.masterKey, row.wrapped_key, row.subject_id) },
    );
  }

  private put(subject: string, value: PersonKey): PersonKey {
    this.cache.delete(subject);
    this.cache.set(subject, { value, expiresAt: this.now() + this.cacheTtlMs });
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }
}
