import { accountEvents } from './account/events';
import { apiKeyEvents } from './apikey/events';
import { auditReadEvents } from './audit/events';
import { commentEvents } from './comment/events';
import { engagementEvents } from './engagement/events';
import { InvalidEventData, UnknownEventType, UnsupportedSchemaVersion } from './errors';
import type { EventDataSchema, EventDefinitions, EventsOf, Upcaster } from './event-schema';
import { generationEvents } from './generation/events';
import { postEvents } from './post/events';
import { userEvents } from './user/events';
import { workspaceEvents } from './workspace/events';

/** Every aggregate's events, by the stream category that holds them. */
export const eventsByCategory = {
  user: userEvents,
  workspace: workspaceEvents,
  account: accountEvents,
  post: postEvents,
  comment: commentEvents,
  engagement: engagementEvents,
  generation: generationEvents,
  apikey: apiKeyEvents,
  auditread: auditReadEvents,
} as const;

const definitions = {
  ...userEvents,
  ...workspaceEvents,
  ...accountEvents,
  ...postEvents,
  ...commentEvents,
  ...engagementEvents,
  ...generationEvents,
  ...apiKeyEvents,
  ...auditReadEvents,
};

/** Any event of any aggregate. */
export type PostledgerEvent = EventsOf<typeof definitions>;
export type EventType = PostledgerEvent['type'];

/** What a catalogue answers; `createCatalogue` builds one, `catalogue` is Postledger's. */
export interface EventCatalogue<Event extends { type: string }> {
  /** Every registered type. */
  eventTypes: readonly Event['type'][];
  /** `upcasters[type][fromVersion]` turns data of `fromVersion` into data of the next version. */
  upcasters: Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;
  currentSchemaVersion(type: string): number;
  schemaOf(type: string): EventDataSchema;
  parseEvent(type: string, schemaVersion: number, data: unknown): Event;
  personalFieldsOf(type: string): string[];
}

/**
 * Builds a catalogue over event definitions. Exported for tests of the catalogue itself;
 * everything else uses `catalogue` (or the functions exported below).
 *
 * ```ts
 * const { parseEvent } = createCatalogue({ Pinged: { schemaVersion: 1, schema: z.strictObject({}) } });
 * ```
 */
export function createCatalogue<const Defs extends EventDefinitions>(defs: Defs): EventCatalogue<EventsOf<Defs>> {
  const definitionOf = (type: string) => {
    const definition = Object.hasOwn(defs, type) ? defs[type] : undefined;
    if (definition === undefined) throw new UnknownEventType(type);
    return definition;
  };
  return {
    eventTypes: Object.keys(defs),
    upcasters: Object.fromEntries(Object.entries(defs).map(([type, definition]) => [type, definition.upcasters ?? {}])),
    currentSchemaVersion: (type) => definitionOf(type).schemaVersion,
    schemaOf: (type) => definitionOf(type).schema,
    parseEvent(type, schemaVersion, data) {
      const { schemaVersion: current, schema, upcasters = {} } = definitionOf(type);
      if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > current) {
        throw new UnsupportedSchemaVersion(type, schemaVersion, current);
      }
      let upcast = data;
      for (let version = schemaVersion; version < current; version++) {
        const upcaster = upcasters[version];
        if (upcaster === undefined) throw new UnsupportedSchemaVersion(type, schemaVersion, current);
        if (!isRecord(upcast)) throw new InvalidEventData(type, schemaVersion, ['(root): expected an object']);
        upcast = upcaster(upcast);
      }
      const result = schema.safeParse(upcast);
      if (!result.success) {
        throw new InvalidEventData(type, schemaVersion, result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
      }
      return { type, data: result.data } as EventsOf<Defs>;
    },
    personalFieldsOf: (type) => ('personal' in definitionOf(type).schema.shape ? ['personal'] : []),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Postledger's event catalogue: every event type of every aggregate. */
export const catalogue: EventCatalogue<PostledgerEvent> = createCatalogue(definitions);

/**
 * Every registered event type.
 *
 * ```ts
 * eventTypes.includes('PostScheduled'); // true
 * ```
 */
export const eventTypes: readonly EventType[] = catalogue.eventTypes;

/**
 * Upcasters by type and the version they read.
 *
 * ```ts
 * upcasters.PostDrafted?.[1]?.({ tags: 'launch, q3' }); // { tags: ['launch', 'q3'] }
 * ```
 */
export const upcasters = catalogue.upcasters;

/**
 * Validates stored event data and upcasts it to the current version; throws
 * UnknownEventType, UnsupportedSchemaVersion or InvalidEventData.
 *
 * ```ts
 * const event = parseEvent(stored.type, stored.schemaVersion, stored.data);
 * if (event.type === 'PostDrafted') event.data.tags; // string[], whatever version was stored
 * ```
 */
export function parseEvent(type: string, schemaVersion: number, data: unknown): PostledgerEvent {
  return catalogue.parseEvent(type, schemaVersion, data);
}

/**
 * The version new events of `type` are written with; throws UnknownEventType.
 *
 * ```ts
 * currentSchemaVersion('PostDrafted'); // 2
 * ```
 */
export function currentSchemaVersion(type: string): number {
  return catalogue.currentSchemaVersion(type);
}

/**
 * The zod schema of the current version of `type` (e.g. for JSON Schema in the OpenAPI document).
 *
 * ```ts
 * z.toJSONSchema(schemaOf('PostScheduled'));
 * ```
 */
export function schemaOf(type: string): EventDataSchema {
  return catalogue.schemaOf(type);
}

/**
 * The top-level fields of `type` that hold personal data, to encrypt per person: `['personal']` or `[]`.
 *
 * ```ts
 * personalFieldsOf('UserRegistered'); // ['personal']
 * personalFieldsOf('PostScheduled');  // []
 * ```
 */
export function personalFieldsOf(type: string): string[] {
  return catalogue.personalFieldsOf(type);
}
