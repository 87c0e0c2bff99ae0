import type { SocialPlatform } from '../../src/domain/account';
import { InvalidPlatform } from '../../src/domain/account';
import { InvalidTimestamp } from '../../src/domain/errors';
import {
  GenerationAlreadyRequested,
  GenerationAlreadySettled,
  generationDecider,
  type GenerationEvent,
  generationEvents,
  type GenerationKind,
  GenerationNotCompleted,
  GenerationNotFound,
  generationOutputAsContent,
  InvalidGenerationError,
  InvalidGenerationKind,
  InvalidGenerationOutput,
  InvalidPrompt,
  type RequestGeneration,
} from '../../src/domain/generation';
import { expectEveryTypeEmitted, given, stateAfter } from './support/given';

const NOW = '2025-03-01T09:00:00.000Z';
const request: RequestGeneration = { type: 'RequestGeneration', generationId: 'gen-1', workspaceId: 'ws-1', kind: 'caption', prompt: ' A launch caption ', by: 'carl', now: NOW };
const requested = (kind: GenerationKind = 'caption'): Extract<GenerationEvent, { type: 'GenerationRequested' }> => ({
  type: 'GenerationRequested',
  data: { generationId: 'gen-1', workspaceId: 'ws-1', kind, prompt: 'A launch caption', requestedBy: 'carl', requestedAt: NOW },
});
const completed: GenerationEvent = { type: 'GenerationCompleted', data: { output: { text: 'We launched!' }, completedAt: NOW } };
const failed: GenerationEvent = { type: 'GenerationFailed', data: { error: 'model overloaded' } };
const timedOut: GenerationEvent = { type: 'GenerationTimedOut', data: { timedOutAt: NOW } };
const complete = (output: object) => ({ type: 'CompleteGeneration', output, now: NOW }) as const;

describe('content generation', () => {
  describe('requesting', () => {
    it('requests a generation', () => {
      const state = given(generationDecider).when(request).then([requested()]);
      expect(state.status).toBe('requested');
    });

    it('keeps the post and platform it is meant for', () => {
      given(generationDecider)
        .when({ ...request, postId: 'post-1', platform: 'linkedin' })
        .then([{ type: 'GenerationRequested', data: { ...requested().data, postId: 'post-1', platform: 'linkedin' } }]);
    });

    it.each([
      ['an unknown kind', { kind: 'video' as GenerationKind }, InvalidGenerationKind, 'kind'],
      ['a blank prompt', { prompt: '  ' }, InvalidPrompt, 'prompt'],
      ['a prompt over 4000 characters', { prompt: 'p'.repeat(4001) }, InvalidPrompt, 'prompt'],
      ['an unknown platform', { platform: 'orkut' as SocialPlatform }, InvalidPlatform, 'platform'],
      ['a malformed now', { now: 'now' }, InvalidTimestamp, 'now'],
    ])('refuses %s', (_case, change, error, field) => {
      given(generationDecider)
        .when({ ...request, ...change })
        .thenThrows(error, { kind: 'invalid', field });
    });

    it('refuses an existing generation', () => {
      given(generationDecider, [requested()]).when(request).thenThrows(GenerationAlreadyRequested, { kind: 'conflict' });
    });

    it('answers GenerationNotFound on a missing generation', () => {
      given(generationDecider).when({ type: 'FailGeneration', error: 'x' }).thenThrows(GenerationNotFound, { kind: 'notFound' });
    });
  });

  describe('completing', () => {
    it('completes with the output of its kind', () => {
      const state = given(generationDecider, [requested()]).when(complete({ text: ' We launched! ' })).then([completed]);
      expect(state).toMatchObject({ status: 'completed', output: { text: 'We launched!' } });
      given(generationDecider, [requested('hashtags')])
        .when(complete({ hashtags: ['#Launch', '# q3'] }))
        .then([{ type: 'GenerationCompleted', data: { output: { hashtags: ['Launch', 'q3'] }, completedAt: NOW } }]);
      given(generationDecider, [requested('image')])
        .when(complete({ imageUrl: 'https://cdn.example.com/gen.png', text: 'alt text' }))
        .then([{ type: 'GenerationCompleted', data: { output: { text: 'alt text', imageUrl: 'https://cdn.example.com/gen.png' }, completedAt: NOW } }]);
    });

    it.each([
      ['a caption without text', 'caption', { hashtags: ['a'] }, 'output.text'],
      ['an image without a URL', 'image', { text: 'x' }, 'output.imageUrl'],
      ['blank text', 'rewrite', { text: ' ' }, 'output.text'],
      ['no hashtags', 'hashtags', { hashtags: [] }, 'output.hashtags'],
      ['an empty hashtag', 'hashtags', { hashtags: ['#'] }, 'output.hashtags'],
      ['31 hashtags', 'hashtags', { hashtags: Array.from({ length: 31 }, (_, i) => `h${i}`) }, 'output.hashtags'],
      ['an image URL that is not http(s)', 'image', { imageUrl: 'data:image/png;base64,AAAA' }, 'output.imageUrl'],
    ] as const)('refuses %s', (_case, kind, output, field) => {
      given(generationDecider, [requested(kind)])
        .when(complete(output))
        .thenThrows(InvalidGenerationOutput, { kind: 'invalid', field });
    });

    it('ignores a redelivered completion', () => {
      given(generationDecider, [requested(), completed]).when(complete({ text: 'We launched!' })).then([]);
    });

    it('refuses another outcome once settled', () => {
      given(generationDecider, [requested(), completed]).when(complete({ text: 'Something else' })).thenThrows(GenerationAlreadySettled, { kind: 'conflict' });
      given(generationDecider, [requested(), failed]).when(complete({ text: 'We launched!' })).thenThrows(GenerationAlreadySettled);
      given(generationDecider, [requested(), timedOut]).when(complete({ text: 'We launched!' })).thenThrows(GenerationAlreadySettled);
      given(generationDecider, [requested(), completed]).when({ type: 'FailGeneration', error: 'late' }).thenThrows(GenerationAlreadySettled);
    });
  });

  describe('failing and timing out', () => {
    it('fails with the error', () => {
      const state = given(generationDecider, [requested()]).when({ type: 'FailGeneration', error: ' model overloaded ' }).then([failed]);
      expect(state).toMatchObject({ status: 'failed', error: 'model overloaded' });
    });

    it('ignores a redelivered failure and refuses another', () => {
      given(generationDecider, [requested(), failed]).when({ type: 'FailGeneration', error: 'model overloaded' }).then([]);
      given(generationDecider, [requested(), failed]).when({ type: 'FailGeneration', error: 'other' }).thenThrows(GenerationAlreadySettled);
    });

    it('refuses a blank error', () => {
      given(generationDecider, [requested()]).when({ type: 'FailGeneration', error: '' }).thenThrows(InvalidGenerationError, { kind: 'invalid', field: 'error' });
    });

    it('times out a generation still requested, and only that', () => {
      const state = given(generationDecider, [requested()]).when({ type: 'TimeOutGeneration', now: NOW }).then([timedOut]);
      expect(state.status).toBe('timed_out');
      given(generationDecider, [requested(), completed]).when({ type: 'TimeOutGeneration', now: NOW }).then([]);
      given(generationDecider, [requested(), timedOut]).when({ type: 'TimeOutGeneration', now: NOW }).then([]);
    });
  });

  describe('applying', () => {
    it('applies a completed generation, to as many posts as wanted', () => {
      const once = given(generationDecider, [requested(), completed]).when({ type: 'ApplyGeneration', postId: 'post-1', by: 'carl' }).then([{ type: 'GenerationApplied', data: { postId: 'post-1' } }]);
      expect(once).toMatchObject({ appliedTo: ['post-1'] });
      given(generationDecider, [requested(), completed, { type: 'GenerationApplied', data: { postId: 'post-1' } }])
        .when({ type: 'ApplyGeneration', postId: 'post-2', by: 'carl' })
        .then([{ type: 'GenerationApplied', data: { postId: 'post-2' } }]);
    });

    it('refuses a generation that is not completed', () => {
      given(generationDecider, [requested()]).when({ type: 'ApplyGeneration', postId: 'post-1', by: 'carl' }).thenThrows(GenerationNotCompleted, { kind: 'conflict' });
    });
  });

  describe('output as post content', () => {
    const post = { content: 'Old text', media: ['https://cdn.example.com/a.png'] };
    const after = (kind: GenerationKind, output: object) =>
      stateAfter(generationDecider, [requested(kind), { type: 'GenerationCompleted', data: { output, completedAt: NOW } }]);

    it('replaces the content with generated text', () => {
      expect(generationOutputAsContent(after('caption', { text: 'New text' }), post)).toEqual({ content: 'New text' });
    });

    it('appends hashtags to the content, or to the generated text', () => {
      expect(generationOutputAsContent(after('hashtags', { hashtags: ['launch', 'q3'] }), post)).toEqual({ content: 'Old text\n\n#launch #q3' });
      expect(generationOutputAsContent(after('caption', { text: 'New', hashtags: ['launch'] }), post)).toEqual({ content: 'New\n\n#launch' });
    });

    it('appends a generated image to the media', () => {
      expect(generationOutputAsContent(after('image', { imageUrl: 'https://cdn.example.com/gen.png' }), post)).toEqual({
        media: ['https://cdn.example.com/a.png', 'https://cdn.example.com/gen.png'],
      });
    });

    it('changes nothing without a completed output', () => {
      expect(generationOutputAsContent(stateAfter(generationDecider, [requested()]), post)).toEqual({});
    });
  });

  it('ignores events before the request when folding', () => {
    expect(generationDecider.evolve({ status: 'none' }, failed)).toEqual({ status: 'none' });
  });

  it('emits every generation event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(generationEvents));
  });
});
