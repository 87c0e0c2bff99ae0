import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeEventStoreContract, type ContractContext } from './contract';

const databases = new Map<ContractContext, TestDatabase>();

describeEventStoreContract('PostgreSQL', {
  async create(options = {}) {
    const database = await createTestDatabase('es');
    const open = () => new PostgresEventStore({ connection: database.connection, maxEventBytes: options.maxEventBytes, pollIntervalMs: 200 });
    const store = open();
    await store.migrate();
    const context: ContractContext = { store, otherStore: async () => open() };
    databases.set(context, database);
    return context;
  },
  async destroy(context) {
    await context.store.close();
    await databases.get(context)!.drop();
  },
});
