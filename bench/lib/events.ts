import { randomUUID } from 'node:crypto';

/** The event every contender writes: a `PostDrafted` whose data is ≈ 300 bytes of JSON. */
export const EVENT_TYPE = 'PostDrafted';

const WORKSPACE = '5b0e7a52-3f1c-4a8e-9d61-0c2b7f4e8a19';
const AUTHOR = '9e3d1c7a-6b2f-4d0e-8a5c-1f7b3e9d2c40';
const BODY = 'Launch week recap: thanks to all who tried the new scheduler.';

/** A type alias (not an interface) so it is assignable to Record<string, unknown>. */
export type PostDraftedData = {
  postId: string;
  workspaceId: string;
  authorId: string;
  channel: string;
  title: string;
  body: string;
  tags: string[];
  seq: number;
};

export interface BenchMetadata {
  actor: { type: 'user'; id: string };
  workspaceId: string;
  correlationId: string;
  [key: string]: unknown;
}

export function eventData(seq: number, postId: string = randomUUID()): PostDraftedData {
  return {
    postId,
    workspaceId: WORKSPACE,
    authorId: AUTHOR,
    channel: 'linkedin',
    title: `Weekly update #${seq % 1000}`,
    body: BODY,
    tags: ['launch', 'recap'],
    seq,
  };
}

export function eventMetadata(): BenchMetadata {
  return { actor: { type: 'user', id: AUTHOR }, workspaceId: WORKSPACE, correlationId: randomUUID() };
}

/** A stream id accepted by every contender: `<category>-<uuid>`. */
export function newStreamId(): string {
  return `post-${randomUUID()}`;
}

/** Bytes of the data JSON of a typical event (printed with the results). */
export function typicalDataBytes(): number {
  return Buffer.byteLength(JSON.stringify(eventData(123456)));
}
