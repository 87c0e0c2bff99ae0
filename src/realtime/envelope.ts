import type { EventMetadata, RecordedEvent } from '../eventstore/port';

const DIGITS = /^\d{1,19}$/;

function bigintOf(value: unknown): bigint | undefined {
  if (typeof value === 'string' && DIGITS.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An envelope as the relay publishes it to `postledger.<category>` (the JSON of a
 * RecordedEvent, positions and revisions as decimal strings or integers), or undefined when the
 * value is not one.
 *
 * ```ts
 * parseEnvelope(message.value)?.position; // 42n
 * ```
 */
export function parseEnvelope(value: string): RecordedEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isObject(json)) return undefined;
  const { id, type, schemaVersion, streamId, data } = json;
  const revision = bigintOf(json.revision);
  const position = bigintOf(json.position);
  const occurredAt = typeof json.occurredAt === 'string' ? new Date(json.occurredAt) : undefined;
  const metadata = json.metadata === undefined ? {} : json.metadata;
  if (typeof id !== 'string' || typeof type !== 'string' || typeof streamId !== 'string' || revision === undefined || position === undefined) return undefined;
  if (occurredAt === undefined || Number.isNaN(occurredAt.getTime()) || !isObject(metadata)) return undefined;
  return {
    id,
    type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    streamId,
    revision,
    position,
    occurredAt,
    data,
    metadata: metadata as EventMetadata,
  };
}
