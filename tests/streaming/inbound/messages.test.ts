import { randomUUID } from 'node:crypto';
import { ResourceNotFound } from '../../../src/commands/errors';
import { PublicationAttemptMismatch } from '../../../src/commands/publication-reports';
import { GenerationAlreadySettled, GenerationNotFound, InvalidGenerationOutput } from '../../../src/domain/generation';
import { IdempotencyConflict, InvalidInput } from '../../../src/eventstore/errors';
import type { ConsumedMessage } from '../../../src/streaming/bus';
import { DEAD_LETTER_HEADERS, deadLetter, UnprocessableMessage } from '../../../src/streaming/inbound/dead-letters';
import { parsePayload, unprocessable } from '../../../src/streaming/inbound/inbound-consumer';
import { generationResultMessage, publishResultMessage } from '../../../src/streaming/inbound/messages';

const ids = () => ({ workspaceId: randomUUID() });

/** The reason parsePayload gives a value, or the parsed payload. */
function parseReason(schema: typeof generationResultMessage | typeof publishResultMessage, value: string): { reason: string; detail: string } | 'parsed' {
  try {
    parsePayload(schema, value);
    return 'parsed';
  } catch (error) {
    if (!(error instanceof UnprocessableMessage)) throw error;
    return { reason: error.reason, detail: error.detail };
  }
}

describe('inbound payloads', () => {
  it('accepts the documented generation results and ignores fields a sender adds', () => {
    const completed = { generationId: randomUUID(), ...ids(), status: 'completed', output: { hashtags: ['#launch'] }, model: 'example-1' };
    expect(parsePayload(generationResultMessage, JSON.stringify(completed))).toEqual({ ...completed, model: undefined, output: { hashtags: ['#launch'] } });
    const failed = { generationId: randomUUID(), ...ids(), status: 'failed', error: ' content policy ' };
    expect(parsePayload(generationResultMessage, JSON.stringify(failed))).toMatchObject({ status: 'failed', error: 'content policy' });
  });

  it('accepts the documented publish reports', () => {
    const published = { postId: randomUUID(), ...ids(), attempt: 1, status: 'published', externalId: '1789', url: 'https://x.com/acme/status/1789' };
    expect(parsePayload(publishResultMessage, JSON.stringify(published))).toEqual(published);
    const failed = { postId: randomUUID(), ...ids(), attempt: 2, status: 'failed', error: 'HTTP 503', retryable: true };
    expect(parsePayload(publishResultMessage, JSON.stringify(failed))).toEqual(failed);
  });

  it('calls a value that is not JSON malformed-json', () => {
    expect(parseReason(generationResultMessage, '{"generationId": ')).toEqual({ reason: 'malformed-json', detail: expect.stringContaining('JSON') });
    expect(parseReason(publishResultMessage, '')).toMatchObject({ reason: 'malformed-json' });
  });

  it('calls JSON that fails the schema invalid-payload, naming each field at fault', () => {
    const noWorkspace = { generationId: randomUUID(), status: 'completed', output: { text: 'Hi' } };
    expect(parseReason(generationResultMessage, JSON.stringify(noWorkspace))).toEqual({ reason: 'invalid-payload', detail: expect.stringMatching(/^workspaceId: /) });
    const badReport = { postId: 'not-a-uuid', ...ids(), attempt: 0, status: 'published', externalId: '', url: 'ftp://x' };
    const result = parseReason(publishResultMessage, JSON.stringify(badReport));
    expect(result).toMatchObject({ reason: 'invalid-payload' });
    const fields = (result as { detail: string }).detail.split('; ').map((issue) => issue.split(':')[0]);
    expect(fields.sort()).toEqual(['attempt', 'externalId', 'postId', 'url']);
    expect(parseReason(publishResultMessage, JSON.stringify({ ...badReport, status: 'lost' }))).toMatchObject({ reason: 'invalid-payload', detail: expect.stringMatching(/^status: /) });
    expect(parseReason(generationResultMessage, '[1, 2]')).toMatchObject({ reason: 'invalid-payload', detail: expect.stringMatching(/^\(root\): /) });
  });
});

describe('unprocessable', () => {
  it('maps what can never succeed to its dead-letter reason', () => {
    expect(unprocessable(new ResourceNotFound('The post'), 'unknown-post')).toMatchObject({ reason: 'unknown-post', detail: 'The post was not found' });
    expect(unprocessable(new GenerationNotFound(), 'unknown-generation')).toMatchObject({ reason: 'unknown-generation' });
    expect(unprocessable(new GenerationAlreadySettled('timed_out'), 'unknown-generation')).toMatchObject({
      reason: 'illegal-transition',
      detail: 'GenerationAlreadySettled: the generation is already timed_out',
    });
    expect(unprocessable(new InvalidGenerationOutput('output.text', 'a caption generation returns text'), 'unknown-generation')).toMatchObject({ reason: 'invalid-result' });
    expect(unprocessable(new PublicationAttemptMismatch(1, 2), 'unknown-post')).toMatchObject({ reason: 'attempt-mismatch', detail: expect.stringContaining('attempt 1') });
    expect(unprocessable(new IdempotencyConflict('post-1', ['a']), 'unknown-post')).toMatchObject({ reason: 'illegal-transition' });
    expect(unprocessable(new InvalidInput('events[0]', 'event is 2000000 bytes, over the limit of 1048576'), 'unknown-generation')).toMatchObject({ reason: 'invalid-result' });
    const given = new UnprocessableMessage('malformed-json', 'Unexpected end of JSON input');
    expect(unprocessable(given, 'unknown-post')).toBe(given);
  });

  it('leaves transient failures (a database that is down, a conflict that outlasted the retries) to be retried', () => {
    expect(unprocessable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'unknown-post')).toBeUndefined();
    expect(unprocessable('not even an error', 'unknown-post')).toBeUndefined();
  });
});

describe('deadLetter', () => {
  const message: ConsumedMessage = {
    topic: 'postledger.publish-results',
    partition: 2,
    offset: '41',
    key: 'post-key',
    value: '{"oops"',
    headers: { 'correlation-id': 'c-1', 'content-type': 'application/json' },
  };

  it('keeps the key, value and headers, and adds the reason and where the message came from', () => {
    const at = new Date('2025-03-01T09:30:00Z');
    const letter = deadLetter(message, new UnprocessableMessage('malformed-json', 'Unexpected end of JSON input'), { consumer: 'group-1', at });
    expect(letter).toEqual({
      key: 'post-key',
      value: '{"oops"',
      headers: {
        'correlation-id': 'c-1',
        'content-type': 'application/json',
        [DEAD_LETTER_HEADERS.reason]: 'malformed-json',
        [DEAD_LETTER_HEADERS.detail]: 'Unexpected end of JSON input',
        [DEAD_LETTER_HEADERS.topic]: 'postledger.publish-results',
        [DEAD_LETTER_HEADERS.partition]: '2',
        [DEAD_LETTER_HEADERS.offset]: '41',
        [DEAD_LETTER_HEADERS.consumer]: 'group-1',
        [DEAD_LETTER_HEADERS.failedAt]: '2025-03-01T09:30:00.000Z',
      },
    });
  });

  it('cuts a long detail to 1000 characters', () => {
    const letter = deadLetter(message, new UnprocessableMessage('invalid-payload', 'x'.repeat(5000)), { consumer: 'g', at: new Date() });
    expect(letter.headers[DEAD_LETTER_HEADERS.detail]).toHaveLength(1000);
    expect(letter.headers[DEAD_LETTER_HEADERS.detail]!.endsWith('…')).toBe(true);
  });
});
