import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { parseEvent } from '../../src/domain/catalogue';
import { fold } from '../../src/domain/decider';
import { userDecider, type UserEvent } from '../../src/domain/user';
import { InvalidInput } from '../../src/eventstore/errors';
import type { NewEvent, RecordedEvent } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import {
  catalogPersonalFields,
  PersonalDataEventStore,
  PersonalDataUnreadable,
  PersonErased,
  personKeyMigrations,
  PersonKeys,
  sealPersonalData,
  userSubject,
} from '../../src/personal-data';
import { migrate } from '../../src/platform/migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { take } from '../eventstore/contract';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let database: TestDatabase;
let pool: Pool;
let raw: PostgresEventStore;
const masterKey = randomBytes(32);
let keys: PersonKeys;
let store: PersonalDataEventStore;

beforeAll(async () => {
  database = await createTestDatabase('pds');
  pool = new Pool(database.connection);
  raw = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 100 });
  await raw.migrate();
  await migrate(pool, personKeyMigrations);
  keys = new PersonKeys({ pool, masterKey });
  store = new PersonalDataEventStore(raw, { keys, personalFieldsOf: catalogPersonalFields });
});
afterAll(async () => {
  await raw.close();
  await pool.end();
  await database.drop();
});

const personal = (name = `Ann ${randomUUID()}`) => ({ email: `${name.replace(/\W/g, '').toLowerCase()}@example.com`, displayName: name });
const registered = (userId: string, group: object = personal()): NewEvent => ({ id: randomUUID(), type: 'UserRegistered', data: { userId, personal: group } });
const profiled = (group: object): NewEvent => ({ id: randomUUID(), type: 'UserProfileUpdated', data: { personal: group, locale: 'fr-FR' } });

/** The rows of one stream as PostgreSQL holds them. */
async function stored(streamId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await pool.query<{ type: string; data: Record<string, unknown> }>('select type, data from pl_events where stream_id = $1 order by revision', [streamId]);
  return rows;
}

/** Every reader of the store: one stream, the whole log, a subscription. */
async function readers(streamId: string): Promise<Record<'readStream' | 'readAll' | 'subscribe', RecordedEvent[]>> {
  const fromStream = await store.readStream(streamId);
  const fromAll = (await store.readAll({ filter: { categories: ['user'] } })).filter((e) => e.streamId === streamId);
  const subscription = store.subscribe({ after: fromStream[0]!.position - 1n, filter: { categories: ['user'] } });
  const fromSubscription = (await take(subscription, fromStream.length)).filter((e) => e.streamId === streamId);
  await subscription.close();
  return { readStream: fromStream, readAll: fromAll, subscribe: fromSubscription };
}

describe('sealing personal data', () => {
  it('keeps no plaintext email or name in the log, only the sealed group; everything else stays readable', async () => {
    const userId = randomUUID();
    const group = personal();
    await store.appendToStream(`user-${userId}`, [registered(userId, group), profiled({ bio: 'Writes poems in Lyon' })]);
    const rows = await stored(`user-${userId}`);
    const text = JSON.stringify(rows);
    for (const plain of [group.email, group.displayName, 'Writes poems in Lyon']) expect(text).not.toContain(plain);
    expect(rows[0]!.data).toEqual({ userId, personal: { $sealed: 'aes-256-gcm/v1', iv: expect.any(String), ct: expect.any(String) } });
    expect(rows[1]!.data).toMatchObject({ locale: 'fr-FR', personal: { $sealed: 'aes-256-gcm/v1' } });
    const { rows: keyRows } = await pool.query<{ wrapped_key: Buffer }>('select wrapped_key from pl_person_keys where subject_id = $1', [userId]);
    expect(keyRows[0]!.wrapped_key).toHaveLength(12 + 32 + 16);
  });

  it('opens the group again through every reader, so deciders and projections see what was written', async () => {
    const userId = randomUUID();
    const group = personal();
    await store.appendToStream(`user-${userId}`, [registered(userId, group), profiled({ displayName: 'Ann B.' })]);
    for (const [reader, events] of Object.entries(await readers(`user-${userId}`))) {
      expect({ reader, data: events.map((e) => e.data) }).toEqual({ reader, data: [{ userId, personal: group }, { personal: { displayName: 'Ann B.' }, locale: 'fr-FR' }] });
    }
    const state = fold(userDecider, (await store.readStream(`user-${userId}`)).map((e) => parseEvent(e.type, e.schemaVersion, e.data) as UserEvent));
    expect(state).toMatchObject({ email: group.email, profile: { displayName: 'Ann B.' } });
  });

  it('reads as erased through every reader once the key is destroyed, the rest of the event intact', async () => {
    const userId = randomUUID();
    await store.appendToStream(`user-${userId}`, [registered(userId), profiled({ bio: 'Poet' })]);
    expect(await keys.destroy(userId)).toBe(true);
    expect(await keys.destroy(userId)).toBe(false);
    for (const [reader, events] of Object.entries(await readers(`user-${userId}`))) {
      expect({ reader, data: events.map((e) => e.data) }).toEqual({ reader, data: [{ userId, personal: { erased: true } }, { personal: { erased: true }, locale: 'fr-FR' }] });
    }
    // the catalogue and the decider accept the erased shape
    const events = await store.readStream(`user-${userId}`);
    const state = fold(userDecider, events.map((e) => parseEvent(e.type, e.schemaVersion, e.data) as UserEvent));
    expect(state).toMatchObject({ status: 'active', email: null, profile: { displayName: null, locale: 'fr-FR' } });
  });

  it('lets another process read as erased once its cached key ages out', async () => {
    let now = 1_000_000;
    const otherKeys = new PersonKeys({ pool, masterKey, cacheTtlMs: 1000, now: () => now });
    const other = new PersonalDataEventStore(raw, { keys: otherKeys, personalFieldsOf: catalogPersonalFields });
    const userId = randomUUID();
    await store.appendToStream(`user-${userId}`, [registered(userId)]);
    expect((await other.readStream(`user-${userId}`))[0]!.data).toMatchObject({ personal: { email: expect.any(String) } });
    await keys.destroy(userId);
    now += 1001;
    expect((await other.readStream(`user-${userId}`))[0]!.data).toEqual({ userId, personal: { erased: true } });
  });

  it('refuses new personal data of an erased person, writing nothing; other events of theirs still append', async () => {
    const userId = randomUUID();
    await store.appendToStream(`user-${userId}`, [registered(userId)]);
    await keys.destroy(userId);
    const fresh = new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey }), personalFieldsOf: catalogPersonalFields });
    for (const writer of [store, fresh]) {
      await expect(writer.appendToStream(`user-${userId}`, [profiled({ bio: 'again' })])).rejects.toBeInstanceOf(PersonErased);
    }
    await store.appendToStream(`user-${userId}`, [{ id: randomUUID(), type: 'UserErased', data: {} }]);
    expect((await stored(`user-${userId}`)).map((r) => r.type)).toEqual(['UserRegistered', 'UserErased']);
  });

  it('stays idempotent by event id: the same batch again is a no-op with the first result', async () => {
    const userId = randomUUID();
    const batch = [registered(userId), profiled({ bio: 'Poet' })];
    const first = await store.appendToStream(`user-${userId}`, batch, { expectedRevision: 'no_stream' });
    const again = await store.appendToStream(`user-${userId}`, batch, { expectedRevision: 'no_stream' });
    expect(again).toEqual(first);
    expect(await stored(`user-${userId}`)).toHaveLength(2);
  });

  it('reads a plaintext group written before sealing existed, and hides it once its person is erased', async () => {
    const userId = randomUUID();
    const group = personal();
    await raw.appendToStream(`user-${userId}`, [registered(userId, group)]);
    expect((await store.readStream(`user-${userId}`))[0]!.data).toEqual({ userId, personal: group });
    await keys.destroy(userId);
    expect((await store.readStream(`user-${userId}`))[0]!.data).toEqual({ userId, personal: { erased: true } });
  });

  it('passes events without personal data (and types it does not know) through untouched', async () => {
    const id = `post-${randomUUID()}`;
    await store.appendToStream(id, [{ id: randomUUID(), type: 'Happened', data: { personal: { email: 'kept@example.com' } } }]);
    expect((await stored(id))[0]!.data).toEqual({ personal: { email: 'kept@example.com' } });
  });

  it('refuses personal data outside its person’s stream, and data the log cannot carry, before sealing', async () => {
    await expect(store.appendToStream(`post-${randomUUID()}`, [registered('x')])).rejects.toThrow(InvalidInput);
    const userId = randomUUID();
    const error = await store.appendToStream(`user-${userId}`, [registered(userId, { email: 'a@example.com', displayName: 1n })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).field).toBe('events[0].data.personal.displayName');
    expect(await stored(`user-${userId}`)).toEqual([]);
  });

  it('fails loudly, never silently, on an altered ciphertext or under another master key', async () => {
    const userId = randomUUID();
    await store.appendToStream(`user-${userId}`, [registered(userId)]);
    const stranger = new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey: randomBytes(32) }), personalFieldsOf: catalogPersonalFields });
    await expect(stranger.readStream(`user-${userId}`)).rejects.toBeInstanceOf(PersonalDataUnreadable);
    await pool.query(`update pl_events set data = jsonb_set(data, '{personal,ct}', to_jsonb('AAAA' || substr(data->'personal'->>'ct', 5))) where stream_id = $1`, [`user-${userId}`]);
    await expect(new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey }), personalFieldsOf: catalogPersonalFields }).readStream(`user-${userId}`)).rejects.toBeInstanceOf(
      PersonalDataUnreadable,
    );
  });

  it('serves a group opened before from memory, unaffected by what a reader did to its copy', async () => {
    const userId = randomUUID();
    const group = personal();
    await store.appendToStream(`user-${userId}`, [registered(userId, group)]);
    const [first] = await store.readStream(`user-${userId}`);
    (first!.data as { personal: { email: string } }).personal.email = 'changed@example.com';
    const [second] = await store.readStream(`user-${userId}`);
    (second!.data as { personal: { email: string } }).personal.email = 'changed@example.com';
    expect((await store.readStream(`user-${userId}`))[0]!.data).toEqual({ userId, personal: group });
  });

  it('keeps at most cacheSize keys in memory', async () => {
    const small = new PersonKeys({ pool, masterKey, cacheSize: 1 });
    const [a, b] = [randomUUID(), randomUUID()];
    await store.appendToStream(`user-${a}`, [registered(a)]);
    await store.appendToStream(`user-${b}`, [registered(b)]);
    const query = jest.spyOn(pool, 'query');
    // the key table's reads only: the store shares the pool (its NOTIFY after the appends may come now)
    const keyReads = () => query.mock.calls.filter(([text]) => String(text).includes('pl_person_keys')).length;
    try {
      await small.keysForReading([a]);
      await small.keysForReading([a]);
      expect(keyReads()).toBe(1);
      await small.keysForReading([b]);
      await small.keysForReading([a]);
      expect(keyReads()).toBe(3);
    } finally {
      query.mockRestore();
    }
  });

  it('takes the subject from the user stream only', () => {
    expect(userSubject('user-8c1f')).toBe('8c1f');
    expect(userSubject('post-8c1f')).toBeUndefined();
    expect(() => new PersonKeys({ pool, masterKey: randomBytes(16) })).toThrow('32 bytes');
  });

  it('generates a master key once under DATA_DIR when none is configured, and uses a configured one as given', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-pd-'));
    const userId = randomUUID();
    const first = await sealPersonalData(raw, { pool, dataDir, keyCacheSize: 10, keyCacheTtlMs: 1000 });
    await first.store.appendToStream(`user-${userId}`, [registered(userId, personal('Generated Key'))]);
    const second = await sealPersonalData(raw, { pool, dataDir, keyCacheSize: 10, keyCacheTtlMs: 1000 });
    expect((await second.store.readStream(`user-${userId}`))[0]!.data).toMatchObject({ personal: { displayName: 'Generated Key' } });
    const configured = await sealPersonalData(raw, { pool, dataDir, masterKey: randomBytes(32).toString('base64'), keyCacheSize: 10, keyCacheTtlMs: 1000 });
    await expect(configured.store.readStream(`user-${userId}`)).rejects.toBeInstanceOf(PersonalDataUnreadable);
  });
});
