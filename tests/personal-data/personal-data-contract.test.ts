import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { catalogPersonalFields, PersonalDataEventStore, personKeyMigrations, PersonKeys } from '../../src/personal-data';
import { migrate } from '../../src/platform/migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeEventStoreContract, type ContractContext } from '../eventstore/contract';

const opened = new Map<ContractContext, { database: TestDatabase; pools: Pool[] }>();

// the store every part of the service uses must be an event store in every respect
describeEventStoreContract('PostgreSQL with personal data sealed', {
  async create(options = {}) {
    const database = await createTestDatabase('pd');
    const masterKey = randomBytes(32);
    const pools: Pool[] = [];
    const open = () => {
      const pool = new Pool(database.connection);
      pools.push(pool);
      const raw = new PostgresEventStore({ connection: database.connection, pool, maxEventBytes: options.maxEventBytes, pollIntervalMs: 200 });
      return { raw, store: new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey }), personalFieldsOf: catalogPersonalFields }) };
    };
    const first = open();
    await first.raw.migrate();
    await migrate(first.raw.pool, personKeyMigrations);
    const context: ContractContext = { store: first.store, otherStore: async () => open().store };
    opened.set(context, { database, pools });
    return context;
  },
  async destroy(context) {
    const { database, pools } = opened.get(context)!;
    await context.store.close();
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
    await database.drop();
  },
});
