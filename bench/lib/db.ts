import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server every contender of a run shares. */
export function benchDatabaseUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** `url` pointing at database `name` on the same server. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Hides a password, if any, before a URL is printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable url>';
  }
}

async function admin<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  name: string;
  /** Connection string of this database. */
  url: string;
}

/**
 * Fresh, uniquely named databases on the benchmark's server, one per contender and role,
 * all dropped by `dropAll()` whatever happened. Databases rather than schemas because
 * Emmett checks for its functions by name across the whole database (`pg_proc`), so two
 * Emmett schemas in one database do not work. Needs the CREATEDB privilege.
 */
export class ScratchDatabases {
  private readonly created: string[] = [];
  private readonly suffix = randomBytes(3).toString('hex');

  constructor(readonly baseUrl: string) {}

  async create(label: string): Promise<ScratchDatabase> {
    const name = `bench_${label}_${this.suffix}`;
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
    await admin(this.baseUrl, (c) => c.query(`create database ${name}`));
    this.created.push(name);
    return { name, url: withDatabase(this.baseUrl, name) };
  }

  async dropAll(): Promise<void> {
    if (this.created.length === 0) return;
    const names = this.created.splice(0);
    await admin(this.baseUrl, async (c) => {
      for (const name of names) {
        // FORCE (PostgreSQL 13+) ends sessions a crashed contender may have left behind
        await c.query(`drop database if exists ${name} with (force)`).catch(() => c.query(`drop database if exists ${name}`));
      }
    });
  }
}

export interface ServerInfo {
  version: string;
  settings: Record<string, string>;
}

export async function serverInfo(url: string): Promise<ServerInfo> {
  return admin(url, async (c) => {
    const version = (await c.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]!.v;
    const names = ['shared_buffers', 'synchronous_commit', 'fsync', 'max_connections'];
    const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
      'select name, setting, unit from pg_settings where name = any($1)',
      [names],
    );
    const settings = Object.fromEntries(rows.map((r) => [r.name, r.name === 'shared_buffers' ? `${(Number(r.setting) * 8) / 1024}MB` : r.setting]));
    return { version, settings };
  });
}

/** Runs a statement outside any contender's pool (setup and checks). */
export function adminQuery<R extends Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  return admin(url, async (c) => (await c.query<R>(text, values)).rows);
}
