/**
 * A reference publisher worker: it consumes publish requests (`PostPublishRequested` on
 * `postledger.post`, sent when a post becomes publishing: "publish now", a due schedule or an
 * automatic retry) and reports each attempt's outcome on `postledger.publish-results`. It
 * pretends to post to the platform; what it shows is the contract (README "Kafka for the AI
 * team and publisher workers").
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npx tsx examples/publisher-worker.ts
 */
import { brokersFromEnv, type Answer, type Envelope, type RunningWorker, runWorker, type WorkerOptions } from './worker-kit';

export const PUBLISH_TOPICS = { requests: 'postledger.post', results: 'postledger.publish-results' } as const;

/** `data` of a PostPublishRequested event; the post id is the stream's (`post-<postId>`), the workspace in the metadata. */
export interface PostPublishRequested {
  attempt: number;
  requestedAt: string;
  trigger: 'manual' | 'schedule' | 'retry';
  accountId: string;
  content: string;
  media: string[];
}

export interface PublishRequest extends PostPublishRequested {
  postId: string;
  workspaceId: string;
}

/** The payload sent on `postledger.publish-results` (key = postId). */
export type PublishResult = { postId: string; workspaceId: string; attempt: number } & (
  | { status: 'published'; externalId: string; url: string }
  | { status: 'failed'; error: string; retryable: boolean }
);

/**
 * The "platform": every post goes out, under a made-up id.
 *
 * ```ts
 * publish(request); // { postId, workspaceId, attempt: 1, status: 'published', externalId: 'example-…-1', url: 'https://social.example.com/…' }
 * ```
 */
export function publish(request: PublishRequest): PublishResult {
  const externalId = `example-${request.postId}-${request.attempt}`;
  return { postId: request.postId, workspaceId: request.workspaceId, attempt: request.attempt, status: 'published', externalId, url: `https://social.example.com/posts/${externalId}` };
}

/** The publish request an envelope carries, or undefined when it lacks its workspace. */
export function publishRequestOf(envelope: Envelope<PostPublishRequested>): PublishRequest | undefined {
  const workspaceId = envelope.metadata.workspaceId;
  if (workspaceId === undefined) return undefined;
  return { ...envelope.data, postId: envelope.streamId.slice('post-'.length), workspaceId };
}

/**
 * Starts the worker; `outcome` stands in for the platform call (default: `publish`).
 *
 * ```ts
 * const worker = await startPublisherWorker({ brokers: ['127.0.0.1:9092'], groupId: 'publisher' });
 * ```
 */
export function startPublisherWorker(options: WorkerOptions & { outcome?: (request: PublishRequest) => PublishResult }): Promise<RunningWorker> {
  const outcome = options.outcome ?? publish;
  return runWorker('example-publisher-worker', options, {
    topic: PUBLISH_TOPICS.requests,
    eventType: 'PostPublishRequested',
    answerTopic: PUBLISH_TOPICS.results,
    answer(envelope): Answer | undefined {
      const request = publishRequestOf(envelope as Envelope<PostPublishRequested>);
      if (request === undefined) return undefined;
      return { key: request.postId, payload: outcome(request), correlationId: envelope.metadata.correlationId };
    },
  });
}

if (require.main === module) {
  startPublisherWorker({ brokers: brokersFromEnv(), groupId: 'example-publisher-worker', onAnswer: (a) => console.log(`reported on post ${a.key}`) })
    .then((worker) => {
      console.log(`example publisher worker: ${PUBLISH_TOPICS.requests} → ${PUBLISH_TOPICS.results}; Ctrl-C stops it`);
      process.once('SIGINT', () => void worker.stop().then(() => process.exit(0)));
      process.once('SIGTERM', () => void worker.stop().then(() => process.exit(0)));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
