import { z } from 'zod';
import type { AccountEvent } from '../../src/domain/account';
import type { ApiKeyEvent } from '../../src/domain/apikey';
import type { AuditReadEvent } from '../../src/domain/audit';
import {
  catalogue,
  createCatalogue,
  currentSchemaVersion,
  eventsByCategory,
  eventTypes,
  parseEvent,
  personalFieldsOf,
  type PostledgerEvent,
  schemaOf,
  upcasters,
} from '../../src/domain/catalogue';
import type { CommentEvent } from '../../src/domain/comment';
import { fold } from '../../src/domain/decider';
import type { EngagementEvent } from '../../src/domain/engagement';
import { EventSchemaError, InvalidEventData, UnknownEventType, UnsupportedSchemaVersion } from '../../src/domain/errors';
import type { GenerationEvent } from '../../src/domain/generation';
import { postDecider, type PostEvent } from '../../src/domain/post';
import type { UserEvent } from '../../src/domain/user';
import type { WorkspaceEvent } from '../../src/domain/workspace';

/** Every decider's event union is a subset of the catalogue's: an unregistered event type does not compile. */
type Catalogued<Event> = Event extends PostledgerEvent ? true : false;
const everyDeciderCatalogued: Record<string, true> = {
  user: true satisfies Catalogued<UserEvent>,
  workspace: true satisfies Catalogued<WorkspaceEvent>,
  account: true satisfies Catalogued<AccountEvent>,
  post: true satisfies Catalogued<PostEvent>,
  comment: true satisfies Catalogued<CommentEvent>,
  engagement: true satisfies Catalogued<EngagementEvent>,
  generation: true satisfies Catalogued<GenerationEvent>,
  apikey: true satisfies Catalogued<ApiKeyEvent>,
  auditread: true satisfies Catalogued<AuditReadEvent>,
};

/** Every property name in a JSON Schema, with its path. */
function fieldPaths(schema: unknown, path = ''): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  return Object.entries(schema).flatMap(([key, value]) => {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      return Object.entries(value).flatMap(([name, property]) => [`${path}${name}`, ...fieldPaths(property, `${path}${name}.`)]);
    }
    return fieldPaths(value, path);
  });
}

const v1Drafted = { postId: 'post-1', workspaceId: 'ws-1', accountId: 'acc-1', authorId: 'carl', content: 'Hi', media: [] };

describe('event catalogue', () => {
  it('registers each aggregate’s events once, under its stream category', () => {
    const byCategory = Object.values(eventsByCategory).flatMap((events) => Object.keys(events));
    expect(byCategory).toHaveLength(new Set(byCategory).size);
    expect([...eventTypes].sort()).toEqual(byCategory.sort());
    expect(Object.keys(everyDeciderCatalogued).sort()).toEqual(Object.keys(eventsByCategory).sort());
  });

  it('has an upcaster for every old version of every type', () => {
    for (const type of eventTypes) {
      const current = currentSchemaVersion(type);
      expect(current).toBeGreaterThanOrEqual(1);
      for (let version = 1; version < current; version++) expect(upcasters[type]?.[version]).toBeInstanceOf(Function);
    }
  });

  it('parses current data into a typed event', () => {
    const event = parseEvent('PostScheduled', 1, { at: '2025-03-02T09:00:00.000Z' });
    expect(event).toEqual({ type: 'PostScheduled', data: { at: '2025-03-02T09:00:00.000Z' } });
  });

  describe('upcasting PostDrafted v1 (tags as one comma-separated string) to v2 (a list)', () => {
    it('splits, normalizes and deduplicates the tags', () => {
      expect(currentSchemaVersion('PostDrafted')).toBe(2);
      const event = parseEvent('PostDrafted', 1, { ...v1Drafted, tags: ' Launch, #q3,, launch ' });
      expect(event).toEqual({ type: 'PostDrafted', data: { ...v1Drafted, tags: ['launch', 'q3'] } });
      expect(fold(postDecider, [event as PostEvent])).toMatchObject({ status: 'draft', tags: ['launch', 'q3'] });
    });

    it('reads an empty v1 tag string as no tags', () => {
      expect(parseEvent('PostDrafted', 1, { ...v1Drafted, tags: '' })).toMatchObject({ data: { tags: [] } });
    });

    it('still validates the upcast result', () => {
      expect(() => parseEvent('PostDrafted', 1, { ...v1Drafted, tags: 42 })).toThrow(InvalidEventData);
      expect(() => parseEvent('PostDrafted', 1, null)).toThrow(InvalidEventData);
      expect(() => parseEvent('PostDrafted', 2, { ...v1Drafted, tags: 'launch' })).toThrow(InvalidEventData);
    });
  });

  it('throws typed errors for an unknown type, an unsupported version or invalid data', () => {
    expect(() => parseEvent('PostTeleported', 1, {})).toThrow(UnknownEventType);
    expect(() => parseEvent('toString', 1, {})).toThrow(UnknownEventType);
    for (const version of [0, 3, 1.5]) expect(() => parseEvent('PostDrafted', version, {})).toThrow(UnsupportedSchemaVersion);
    expect(() => currentSchemaVersion('Nope')).toThrow(EventSchemaError);
    try {
      parseEvent('PostScheduled', 1, { at: 'tomorrow', extra: true });
      throw new Error('expected InvalidEventData');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventData);
      expect((error as InvalidEventData).issues).toEqual([expect.stringMatching(/^at: /), expect.stringMatching(/^\(root\): .*extra/)]);
    }
    expect(() => parseEvent('PostUnscheduled', 1, 'not an object')).toThrow(/\(root\)/);
  });

  it('refuses a version whose upcaster is missing', () => {
    const broken = createCatalogue({ Pinged: { schemaVersion: 3, schema: z.strictObject({}), upcasters: { 1: (data) => data } } });
    expect(() => broken.parseEvent('Pinged', 1, {})).toThrow(UnsupportedSchemaVersion);
    expect(broken.parseEvent('Pinged', 3, {})).toEqual({ type: 'Pinged', data: {} });
    expect(broken.upcasters).toEqual({ Pinged: { 1: expect.any(Function) } });
  });

  it('names the personal field group of the events that carry personal data, and only those', () => {
    const personal = eventTypes.filter((type) => personalFieldsOf(type).length > 0);
    expect(personal).toEqual(['UserRegistered', 'UserProfileUpdated']);
    expect(personalFieldsOf('UserRegistered')).toEqual(['personal']);
    expect(personalFieldsOf('PostDrafted')).toEqual([]);
  });

  describe('every schema', () => {
    const fields = eventTypes.map((type) => [type, fieldPaths(z.toJSONSchema(schemaOf(type)))] as const);

    it('is a strict object', () => {
      for (const type of eventTypes) expect(z.toJSONSchema(schemaOf(type))).toMatchObject({ type: 'object', additionalProperties: false });
    });

    /** Whether a field path has a word (camelCase or snake_case) that names a secret. */
    const namesSecret = (path: string) =>
      path
        .split(/[._-]|(?=[A-Z])/)
        .some((word) => /^(password|secret|token|hash)(e?s)?$/i.test(word));

    it('detects secret-like names by word', () => {
      expect(['passwordHash', 'personal.refresh_token', 'apiKeySecret', 'hash', 'resetTokens'].filter(namesSecret)).toHaveLength(5);
      expect(['output.hashtags', 'prefix', 'tokenizer'].filter(namesSecret)).toEqual([]);
    });

    it('has no field named like a secret', () => {
      const secrets = fields.flatMap(([type, paths]) => paths.filter(namesSecret).map((path) => `${type}.${path}`));
      expect(secrets).toEqual([]);
    });

    it('keeps personal data under personal', () => {
      const outside = fields.flatMap(([type, paths]) =>
        paths.filter((path) => /email|displayName|bio|avatar/i.test(path) && !path.startsWith('personal.')).map((path) => `${type}.${path}`),
      );
      expect(outside).toEqual([]);
      expect(fields.find(([type]) => type === 'UserRegistered')?.[1]).toEqual(['userId', 'personal', 'personal.email', 'personal.displayName', 'personal.erased']);
    });

    it('accepts an erased personal group wherever there is one, and nothing else in its place', () => {
      const withGroup = eventTypes.filter((type) => personalFieldsOf(type).length > 0);
      expect(withGroup).toEqual(['UserRegistered', 'UserProfileUpdated']);
      expect(parseEvent('UserRegistered', 1, { userId: 'u', personal: { erased: true } }).data).toEqual({ userId: 'u', personal: { erased: true } });
      expect(parseEvent('UserProfileUpdated', 1, { personal: { erased: true }, locale: 'fr-FR' }).data).toEqual({ personal: { erased: true }, locale: 'fr-FR' });
      expect(() => parseEvent('UserRegistered', 1, { userId: 'u', personal: { erased: false } })).toThrow(InvalidEventData);
      expect(() => parseEvent('UserRegistered', 1, { userId: 'u', personal: { erased: true, email: 'a@example.com' } })).toThrow(InvalidEventData);
    });
  });

  it('is one catalogue behind the exported functions', () => {
    expect(catalogue.eventTypes).toBe(eventTypes);
    expect(catalogue.schemaOf('PostDeleted')).toBe(schemaOf('PostDeleted'));
  });
});
