import { currentSchemaVersion, parseEvent } from '../domain/catalogue';
import type { EventCodec } from './command-handler';

/** The domain catalogue as the command handler's codec: validates and upcasts on read. */
export const domainEventCodec: EventCodec = {
  decode: (recorded) => parseEvent(recorded.type, recorded.schemaVersion, recorded.data),
  schemaVersionOf: (type) => currentSchemaVersion(type),
};
