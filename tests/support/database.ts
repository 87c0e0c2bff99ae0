import { randomBytes } from 'node:crypto';
import { Client, type PoolConfig } from 'pg';

/** A schema of its own for one test file: nothing is shared between test files. */
export interface TestDatabase {
  schema: string;
  connectionString: string;
  /** Pool settings that put every connection in this schema. */
  connection: PoolConfig;
  drop(): Promise<void>;
}

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: tests/support/global-setup.mjs should have set it');
  return url;
}

/** Creates an empty schema and returns settings that make it the search_path. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: databaseUrl() });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl());
  url.searchParams.set('options', `-c search_path=${schema}`);
  const connectionString = url.toString();
  return {
    schema,
    connectionString,
    connection: { connectionString },
    async drop() {
      const client = new Client({ connectionString: databaseUrl() });
      await client.connect();
      try {
        await client.query(`drop schema ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
