/**
 * A reference AI worker: it consumes content-generation requests (`GenerationRequested` on
 * `postledger.generation`) and answers each on `postledger.ai.generation-results`. Its
 * "model" is a trivial generator; what it shows is the contract (README "Kafka for the AI
 * team and publisher workers").
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npx tsx examples/ai-worker.ts
 */
import { brokersFromEnv, type Answer, type Envelope, type RunningWorker, runWorker, type WorkerOptions } from './worker-kit';

/** Where requests come from and answers go. */
export const AI_TOPICS = { requests: 'postledger.generation', results: 'postledger.ai.generation-results' } as const;

/** `data` of a GenerationRequested event. */
export interface GenerationRequested {
  generationId: string;
  workspaceId: string;
  kind: 'caption' | 'hashtags' | 'rewrite' | 'image';
  prompt: string;
  postId?: string;
  platform?: string;
}

/** The payload sent on `postledger.ai.generation-results` (key = generationId). */
export type GenerationResult =
  | { generationId: string; workspaceId: string; status: 'completed'; output: { text?: string; hashtags?: string[]; imageUrl?: string } }
  | { generationId: string; workspaceId: string; status: 'failed'; error: string };

/**
 * The "model": each kind returns what Postledger expects of it (text for caption and rewrite,
 * hashtags, or an image URL).
 *
 * ```ts
 * generate({ generationId, workspaceId, kind: 'hashtags', prompt: 'Launch of the planner' });
 * // { …, status: 'completed', output: { hashtags: ['launch', 'planner'] } }
 * ```
 */
export function generate(request: GenerationRequested): GenerationResult {
  const ids = { generationId: request.generationId, workspaceId: request.workspaceId };
  const words = request.prompt.toLowerCase().match(/[a-z0-9]{4,}/g) ?? [];
  switch (request.kind) {
    case 'caption':
      return { ...ids, status: 'completed', output: { text: `${request.prompt.trim()} ✨` } };
    case 'rewrite':
      return { ...ids, status: 'completed', output: { text: `Rewritten: ${request.prompt.trim()}` } };
    case 'hashtags':
      if (words.length === 0) return { ...ids, status: 'failed', error: 'the prompt has no word to make a hashtag of' };
      return { ...ids, status: 'completed', output: { hashtags: [...new Set(words)].slice(0, 30) } };
    case 'image':
      return { ...ids, status: 'completed', output: { imageUrl: `https://images.example.com/generated/${request.generationId}.png` } };
  }
}

/**
 * Starts the worker; it answers until `stop()`.
 *
 * ```ts
 * const worker = await startAiWorker({ brokers: ['127.0.0.1:9092'], groupId: 'ai-worker' });
 * ```
 */
export function startAiWorker(options: WorkerOptions): Promise<RunningWorker> {
  return runWorker('example-ai-worker', options, {
    topic: AI_TOPICS.requests,
    eventType: 'GenerationRequested',
    answerTopic: AI_TOPICS.results,
    answer(envelope): Answer {
      const request = (envelope as Envelope<GenerationRequested>).data;
      return { key: request.generationId, payload: generate(request), correlationId: envelope.metadata.correlationId };
    },
  });
}

if (require.main === module) {
  startAiWorker({ brokers: brokersFromEnv(), groupId: 'example-ai-worker', onAnswer: (a) => console.log(`answered generation ${a.key}`) })
    .then((worker) => {
      console.log(`example AI worker: ${AI_TOPICS.requests} → ${AI_TOPICS.results}; Ctrl-C stops it`);
      process.once('SIGINT', () => void worker.stop().then(() => process.exit(0)));
      process.once('SIGTERM', () => void worker.stop().then(() => process.exit(0)));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
