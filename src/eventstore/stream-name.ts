import { InvalidInput } from './errors';

/** `<category>-<id>`: a lower-case category, a dash, then an id of safe characters. */
const STREAM_ID = /^([a-z][a-z0-9]{0,39})-([A-Za-z0-9][A-Za-z0-9._:-]{0,199})$/;

/** The category of a stream id, e.g. `post` for `post-8c1…`; throws on a malformed id. */
export function categoryOf(streamId: string): string {
  const match = STREAM_ID.exec(streamId);
  if (!match) {
    throw new InvalidInput('streamId', `"${streamId.slice(0, 80)}" is not <category>-<id> (category [a-z][a-z0-9]*, id [A-Za-z0-9._:-], at most 240 characters)`);
  }
  return match[1]!;
}

/** True when `streamId` is well formed. */
export function isValidStreamId(streamId: string): boolean {
  return typeof streamId === 'string' && STREAM_ID.test(streamId);
}

/** Refuses a malformed stream id with `InvalidInput` naming the field (what the adapters' reads do). */
export function assertStreamId(streamId: string): void {
  if (!isValidStreamId(streamId)) throw new InvalidInput('streamId', `"${String(streamId).slice(0, 80)}" is not <category>-<id>`);
}
