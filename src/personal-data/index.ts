import type { Pool } from 'pg';
import { eventTypes, personalFieldsOf } from '../domain/catalogue';
import type { EventStore } from '../eventstore/port';
import type { PersonalDataConfig } from '../platform/config';
import { configuredOrGeneratedSecret } from '../platform/secrets';
import { PersonKeys } from './person-keys';
import { PersonalDataEventStore } from './personal-data-store';

export { ERASED_PERSONAL_DATA, isSealed, PersonalDataUnreadable, type SealedPersonalData } from './cipher';
export { PersonErased, type PersonKey, PersonKeys, personKeyMigrations } from './person-keys';
export { PersonalDataEventStore, userSubject } from './personal-data-store';

const personalFieldsByType = new Map<string, readonly string[]>(eventTypes.map((type) => [type, personalFieldsOf(type)]));

/**
 * The catalogue's personal fields of an event type; `[]` for a type it does not know (those
 * pass through the store untouched).
 *
 * ```ts
 * catalogPersonalFields('UserRegistered'); // ['personal']
 * catalogPersonalFields('Happened');       // []
 * ```
 */
export function catalogPersonalFields(type: string): readonly string[] {
  return personalFieldsByType.get(type) ?? [];
}

/**
 * Wraps an event-store adapter so that personal data is sealed per person, with the keys in
 * `pool` (`pl_person_keys`, see personKeyMigrations) wrapped by the configured master key, or
 * one generated once under `dataDir`.
 *
 * ```ts
 * const { store, personKeys } = await sealPersonalData(rawStore, { pool, dataDir: config.dataDir, ...config.personalData });
 * ```
 */
export async function sealPersonalData(
  raw: EventStore,
  options: PersonalDataConfig & { pool: Pool; dataDir: string },
): Promise<{ store: PersonalDataEventStore; personKeys: PersonKeys }> {
  const masterKey = Buffer.from(await configuredOrGeneratedSecret(options.masterKey, options.dataDir, 'personal-data-master-key'), 'base64');
  const personKeys = new PersonKeys({ pool: options.pool, masterKey, cacheSize: options.keyCacheSize, cacheTtlMs: options.keyCacheTtlMs });
  return { store: new PersonalDataEventStore(raw, { keys: personKeys, personalFieldsOf: catalogPersonalFields }), personKeys };
}
