/**
 * `npm run bench -- personal-data`: what sealing personal data costs. The same PostgreSQL log
 * is written and read through the raw adapter and through PersonalDataEventStore (the store
 * the service uses), alternating per repetition: appends of `UserRegistered` (sealed), loads of
 * a user stream (what every authenticated request does), pages of the whole log, and a load
 * with the key cache off (a key look-up per read). Also the bare cipher, per operation.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import type { EventStore, NewEvent, RecordedEvent } from '../src/eventstore/port';
import { PostgresEventStore } from '../src/eventstore/postgres/store';
import { catalogPersonalFields, PersonalDataEventStore, personKeyMigrations, PersonKeys } from '../src/personal-data';
import { open, seal } from '../src/personal-data/cipher';
import { migrate } from '../src/platform/migrations';
import { benchDatabaseUrl, ScratchDatabases, serverInfo } from './lib/db';
import { markdownTable, today, upsertSection } from './lib/results';
import { formatMs, formatRate, formatRatio, median, runConcurrent, summarize, toRep, type RepResult, type Summary } from './lib/stats';

const REPS = 3;
const APPENDS = 5_000;
const USERS = 1_000;
const LOADS = 20_000;
const CONCURRENCY = 16;
const PAGE = 1_000;
const CIPHER_OPS = 100_000;

type Contender = 'raw' | 'sealed' | 'sealed, no caches';
type Workload = 'append, new person' | 'append, known person' | 'load user stream' | 'readAll';

const registered = (userId: string): NewEvent => ({
  id: randomUUID(),
  type: 'UserRegistered',
  data: { userId, personal: { email: `user.${userId}@example.com`, displayName: `User ${userId.slice(0, 8)}` } },
  metadata: { actor: { type: 'user', id: userId } },
});
const profiled = (): NewEvent => ({ id: randomUUID(), type: 'UserProfileUpdated', data: { personal: { bio: 'Writes about launches' }, locale: 'en-GB' } });

async function appendRep(store: EventStore): Promise<RepResult> {
  const timed = await runConcurrent(APPENDS, CONCURRENCY, () => {
    const userId = randomUUID();
    return store.appendToStream(`user-${userId}`, [registered(userId)], { expectedRevision: 'no_stream' });
  });
  return toRep(timed, APPENDS, APPENDS);
}

async function appendKnownRep(store: EventStore, users: readonly string[]): Promise<RepResult> {
  const timed = await runConcurrent(APPENDS, CONCURRENCY, (i) => store.appendToStream(`user-${users[i % users.length]}`, [profiled()]));
  return toRep(timed, APPENDS, APPENDS);
}

async function loadRep(store: EventStore, users: readonly string[]): Promise<RepResult> {
  const timed = await runConcurrent(LOADS, CONCURRENCY, (i) => store.readStream(`user-${users[i % users.length]}`));
  return toRep(timed, LOADS, LOADS * 2);
}

async function readAllRep(store: EventStore): Promise<RepResult> {
  let events = 0;
  let pages = 0;
  const timed = await runConcurrent(1, 1, async () => {
    for (let after: bigint | undefined; ; ) {
      const page = await store.readAll({ after, maxCount: PAGE, filter: { categories: ['user'] } });
      events += page.length;
      pages += 1;
      if (page.length < PAGE) return;
      after = page.at(-1)!.position;
    }
  });
  return toRep(timed, pages, events);
}

function cipherMicros(): { sealUs: number; openUs: number } {
  const key = randomBytes(32);
  const group = { email: 'ann.example@example.com', displayName: 'Ann Example' };
  const sealed = seal(key, group, 'personal:u:e');
  const time = (fn: () => unknown): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CIPHER_OPS; i++) fn();
    return Number(process.hrtime.bigint() - start) / 1e3 / CIPHER_OPS;
  };
  const sealUs: number[] = [];
  const openUs: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    sealUs.push(time(() => seal(key, group, 'personal:u:e')));
    openUs.push(time(() => open(key, sealed, 'personal:u:e')));
  }
  return { sealUs: median(sealUs), openUs: median(openUs) };
}

/**
 * CPU of the sealing layer alone on a user-stream load (2 events), over an in-memory stand-in
 * for the adapter and the key table: what the layer adds to a request, without I/O noise.
 */
async function layerMicros(masterKey: Buffer, pool: Pool): Promise<{ memoUs: number; openUs: number }> {
  const userId = randomUUID();
  const key = randomBytes(32);
  const ids = [randomUUID(), randomUUID()];
  const events: RecordedEvent[] = [registered(userId), profiled()].map((event, i) => ({
    ...event,
    id: ids[i]!,
    schemaVersion: 1,
    streamId: `user-${userId}`,
    revision: BigInt(i),
    position: BigInt(i + 1),
    occurredAt: new Date(),
    metadata: {},
    data: { ...(event.data as Record<string, unknown>), personal: seal(key, (event.data as { personal: unknown }).personal, `personal:${userId}:${ids[i]}`) },
  }));
  const inner = { readStream: async () => events } as unknown as EventStore;
  const keys = new PersonKeys({ pool, masterKey });
  (keys as unknown as { keysForReading: PersonKeys['keysForReading'] }).keysForReading = async () => new Map([[userId, { state: 'key' as const, key }]]);
  const time = async (store: EventStore): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CIPHER_OPS / 10; i++) await store.readStream(`user-${userId}`);
    return Number(process.hrtime.bigint() - start) / 1e3 / (CIPHER_OPS / 10);
  };
  const memo: number[] = [];
  const opening: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const base = await time(inner);
    memo.push((await time(new PersonalDataEventStore(inner, { keys, personalFieldsOf: catalogPersonalFields }))) - base);
    opening.push((await time(new PersonalDataEventStore(inner, { keys, personalFieldsOf: catalogPersonalFields, openedCacheSize: 0 }))) - base);
  }
  return { memoUs: median(memo), openUs: median(opening) };
}

export async function runPersonalDataBenchmark(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  const scratch = new ScratchDatabases(benchDatabaseUrl());
  const pools: Pool[] = [];
  const results = new Map<string, RepResult[]>();
  const record = (workload: Workload, contender: Contender, rep: RepResult) => {
    const key = `${workload}|${contender}`;
    results.set(key, [...(results.get(key) ?? []), rep]);
    console.error(`  ${workload} / ${contender}: ${formatRate(rep.eventsPerSecond)} ev/s, p99 ${formatMs(rep.p99Ms)} ms`);
  };
  try {
    const database = await scratch.create('personal');
    const pool = new Pool({ connectionString: database.url, max: CONCURRENCY });
    pools.push(pool);
    const raw = new PostgresEventStore({ connection: { connectionString: database.url }, pool });
    await raw.migrate();
    await migrate(pool, personKeyMigrations);
    const masterKey = randomBytes(32);
    const sealed = new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey }), personalFieldsOf: catalogPersonalFields });
    const uncached = new PersonalDataEventStore(raw, { keys: new PersonKeys({ pool, masterKey, cacheSize: 0 }), personalFieldsOf: catalogPersonalFields, openedCacheSize: 0 });
    const stores: [Contender, EventStore][] = [
      ['raw', raw],
      ['sealed', sealed],
    ];

    console.error(`personal-data: ${USERS} users for the loads…`);
    // people whose streams are loaded (2 events each, never written to again) and people written to
    const people = () => Array.from({ length: USERS }, () => randomUUID());
    const [rawUsers, sealedUsers, rawWritten, sealedWritten] = [people(), people(), people(), people()];
    for (const [store, users] of [[raw, rawUsers], [sealed, sealedUsers], [raw, rawWritten], [sealed, sealedWritten]] as const) {
      await runConcurrent(USERS, CONCURRENCY, (i) => store.appendToStream(`user-${users[i]}`, [registered(users[i]!), profiled()]));
    }
    await pool.query('vacuum analyze pl_events');

    for (let rep = 1; rep <= REPS; rep++) {
      console.error(`repetition ${rep}/${REPS}`);
      // alternate which contender goes first, so neither always gets the warmer cache
      const order = rep % 2 === 1 ? stores : [...stores].reverse();
      for (const [name, store] of order) record('append, new person', name, await appendRep(store));
      for (const [name, store] of order) record('append, known person', name, await appendKnownRep(store, name === 'raw' ? rawWritten : sealedWritten));
      for (const [name, store] of order) record('load user stream', name, await loadRep(store, name === 'raw' ? rawUsers : sealedUsers));
      record('load user stream', 'sealed, no caches', await loadRep(uncached, sealedUsers));
      for (const [name, store] of order) record('readAll', name, await readAllRep(store));
    }
    const cipher = cipherMicros();
    const layer = await layerMicros(masterKey, pool);
    const summaries = new Map([...results].map(([key, reps]) => [key, summarize(reps)] as const));
    const get = (workload: Workload, contender: Contender): Summary | undefined => summaries.get(`${workload}|${contender}`);
    const ratio = (workload: Workload, contender: Contender = 'sealed') => get(workload, contender)!.eventsPerSecond / get(workload, 'raw')!.eventsPerSecond;
    const rows: string[][] = [];
    for (const workload of ['append, new person', 'append, known person', 'load user stream', 'readAll'] as const) {
      for (const contender of ['raw', 'sealed', 'sealed, no caches'] as const) {
        const s = get(workload, contender);
        if (!s) continue;
        rows.push([workload, contender, formatRate(s.eventsPerSecond), formatMs(s.p50Ms), formatMs(s.p99Ms), contender === 'raw' ? '1.00x' : formatRatio(ratio(workload, contender))]);
      }
    }
    const table = markdownTable(['workload', 'store', 'events/s', 'p50 ms', 'p99 ms', '× raw'], rows, ['l', 'l', 'r', 'r', 'r', 'r']);
    const info = await serverInfo(database.url);
    const body = [
      table,
      '',
      `Bare cipher (AES-256-GCM, a 2-field group, in this process): seal ${cipher.sealUs.toFixed(2)} µs, open ${cipher.openUs.toFixed(2)} µs per group.`,
      `CPU the layer adds to one user-stream load (2 events, no I/O: the adapter and key table stood in by memory): ${layer.memoUs.toFixed(1)} µs with the groups already opened (the usual case: a signed-in user's stream), ${layer.openUs.toFixed(1)} µs decrypting both.`,
      '',
      '### How it was measured',
      '',
      `- Code: the personal-data store of src/personal-data over PostgresEventStore; PostgreSQL ${info.version}; Node ${process.version}; ${REPS} repetitions, raw and sealed alternating which goes first, each figure the median of its repetitions.`,
      `- append, new person: ${formatRate(APPENDS)} \`UserRegistered\` (email and display name sealed) to new streams at concurrency ${CONCURRENCY} on a pool of ${CONCURRENCY}; each new person first gets a key row (one more committed statement): the cost of a registration.`,
      `- append, known person: ${formatRate(APPENDS)} \`UserProfileUpdated\` (bio sealed) to the streams of ${USERS} existing people (not those loaded below), key cached: the cost of any later personal write.`,
      `- load user stream: ${formatRate(LOADS)} \`readStream\` of 2-event user streams (${USERS} users, concurrency ${CONCURRENCY}): what authentication does on every request. With the caches (default) the keys and the groups already opened are in memory; "no caches" looks the key up in \`pl_person_keys\` and decrypts on every read.`,
      `- readAll: the whole \`user\` category in pages of ${PAGE} (${formatRate(get('readAll', 'raw')!.events)} events).`,
      `- Whole run: ${((Date.now() - started) / 60_000).toFixed(1)} min; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (the machine's cores: the more above it, the more the figures are disturbed by other work).`,
    ].join('\n');
    console.log(table);
    console.log(`\nseal ${cipher.sealUs.toFixed(2)} µs, open ${cipher.openUs.toFixed(2)} µs; layer per user-stream load ${layer.memoUs.toFixed(1)} µs (opened before) / ${layer.openUs.toFixed(1)} µs (decrypting)`);
    upsertSection(path.join(__dirname, 'RESULTS.md'), 'personal-data', today(), body);
    console.log(
      `personal-data: append ${formatRatio(ratio('append, new person'))} (known person ${formatRatio(ratio('append, known person'))}) of raw; load ${formatRatio(ratio('load user stream'))} (no caches ${formatRatio(ratio('load user stream', 'sealed, no caches'))}); readAll ${formatRatio(ratio('readAll'))}; layer ${layer.memoUs.toFixed(1)} µs per user-stream load`,
    );
    await raw.close();
  } finally {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await scratch.dropAll();
  }
}
