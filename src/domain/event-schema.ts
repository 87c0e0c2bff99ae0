import { z } from 'zod';
import type { DomainEvent } from './decider';
import { httpUrlSchema } from './values';

/** Turns the data of an old schema version into the data of the next one. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** Event data is always a strict object: an unknown field is an error, never silently kept or dropped. */
export type EventDataSchema = z.ZodObject<z.core.$ZodLooseShape, z.core.$strict>;

/** How one event type is stored: its current version, its schema and how to read older versions. */
export interface EventDefinition<Schema extends EventDataSchema = EventDataSchema> {
  schemaVersion: number;
  schema: Schema;
  /** Keyed by the version each one reads: `{ 1: (v1) => v2 }`. */
  upcasters?: Readonly<Record<number, Upcaster>>;
}

export type EventDefinitions = Readonly<Record<string, EventDefinition>>;

/** The discriminated union of the events a set of definitions describes. */
export type EventsOf<Defs extends EventDefinitions> = {
  [Type in keyof Defs & string]: DomainEvent<Type, z.output<Defs[Type]['schema']>>;
}[keyof Defs & string];

/** The data of one event type of a union: `EventData<PostEvent, 'PostDrafted'>`. */
export type EventData<Event extends DomainEvent, Type extends Event['type']> = Extract<Event, { type: Type }>['data'];

/**
 * Declares an aggregate's events; the catalogue merges every aggregate's declarations.
 *
 * ```ts
 * export const apiKeyEvents = defineEvents({
 *   ApiKeyRevoked: { schemaVersion: 1, schema: z.strictObject({}) },
 * });
 * export type ApiKeyEvent = EventsOf<typeof apiKeyEvents>;
 * ```
 */
export function defineEvents<const Defs extends EventDefinitions>(definitions: Defs): Defs {
  return definitions;
}

/**
 * What a personal-data group reads as once its person's key is destroyed (src/personal-data).
 * Every `personal` group is declared with `personalGroup`, so an erased one always parses.
 */
export const erasedPersonalData = z.strictObject({ erased: z.literal(true) });

/**
 * Declares an event's personal-data group: its fields, or `{ erased: true }`.
 *
 * ```ts
 * personal: personalGroup(z.strictObject({ email: z.email() })),
 * ```
 */
export function personalGroup<const Schema extends z.ZodType>(schema: Schema) {
  return z.union([schema, erasedPersonalData]);
}

/** Shared field schemas, so every event writes an id, a time or a URL the same way. */
export const fields = {
  id: z.string().min(1).max(200),
  instant: z.iso.datetime({ offset: true }),
  httpUrl: httpUrlSchema,
  reason: z.string().min(1).max(1000),
};
