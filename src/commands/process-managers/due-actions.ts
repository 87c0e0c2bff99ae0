import type { Kysely } from 'kysely';
import type { ClientConfig } from 'pg';
import { generationDecider } from '../../domain/generation/decider';
import { PostIsDeleted } from '../../domain/post/errors';
import { postDecider } from '../../domain/post/decider';
import type { EventMetadata } from '../../eventstore/port';
import type { Logger } from '../../platform/logger';
import { SessionLock } from '../../platform/session-lock';
import type { ReadModels } from '../../projections/read-models';
import type { CommandHandler } from '../command-handler';

export interface DueActionsOptions {
  db: Kysely<ReadModels>;
  commands: CommandHandler;
  /** Settings of the connection that holds the leadership lock. */
  lockConnection: ClientConfig;
  logger: Logger;
  intervalMs: number;
  generationTimeoutMs: number;
  now?: () => Date;
  /** Most actions of each kind per tick. */
  batch?: number;
}

export interface TickResult {
  publishesStarted: number;
  generationsTimedOut: number;
}

/**
 * The process managers: moves due posts (scheduled, or waiting for a publish retry) to
 * publishing, and times out generations with no result after GENERATION_TIMEOUT. One
 * instance acts at a time (a session advisory lock); even so each action is a command
 * decided on the aggregate's current state with an expected revision, so a due action
 * happens once however many instances run.
 */
export class DueActions {
  private timer: NodeJS.Timeout | undefined;
  private readonly lock: SessionLock;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly options: DueActionsOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.logger.child({ component: 'process-managers' });
    this.lock = new SessionLock(options.lockConnection, 'process-managers');
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.lock.release();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tickIfLeader()
        .catch((error: unknown) => this.log.error({ err: error }, 'process manager tick failed'))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  /** Acts only while holding the lock; another instance may hold it. */
  async tickIfLeader(): Promise<TickResult | undefined> {
    if (!(await this.isLeader())) return undefined;
    return this.tick();
  }

  private async isLeader(): Promise<boolean> {
    const wasLeader = this.lock.isHeld;
    const leader = await this.lock.tryAcquire();
    if (leader && !wasLeader) this.log.info('process managers active in this instance');
    return leader;
  }

  /** One pass over everything due now. */
  async tick(): Promise<TickResult> {
    const now = this.now();
    const batch = this.options.batch ?? 100;
    const due = await this.options.db.selectFrom('rm_post_schedule').select(['post_id', 'workspace_id']).where('due_at', '<=', now).orderBy('due_at').limit(batch).execute();
    let publishesStarted = 0;
    for (const row of due) {
      try {
        const result = await this.options.commands.handle({
          streamId: `post-${row.post_id}`,
          decider: postDecider,
          command: { type: 'StartScheduledPublish', now: now.toISOString() },
          metadata: systemMetadata('scheduler', row.workspace_id, row.post_id),
        });
        publishesStarted += result.events.length > 0 ? 1 : 0;
      } catch (error) {
        if (!(error instanceof PostIsDeleted)) this.log.error({ err: error, postId: row.post_id }, 'could not start a due publish');
      }
    }
    const cutoff = new Date(now.getTime() - this.options.generationTimeoutMs);
    const stale = await this.options.db
      .selectFrom('rm_pending_generations')
      .select(['generation_id', 'workspace_id'])
      .where('requested_at', '<=', cutoff)
      .orderBy('requested_at')
      .limit(batch)
      .execute();
    let generationsTimedOut = 0;
    for (const row of stale) {
      try {
        const result = await this.options.commands.handle({
          streamId: `generation-${row.generation_id}`,
          decider: generationDecider,
          command: { type: 'TimeOutGeneration', now: now.toISOString() },
          metadata: systemMetadata('generation-timeout', row.workspace_id, row.generation_id),
        });
        generationsTimedOut += result.events.length > 0 ? 1 : 0;
      } catch (error) {
        this.log.error({ err: error, generationId: row.generation_id }, 'could not time out a generation');
      }
    }
    if (publishesStarted + generationsTimedOut > 0) this.log.info({ publishesStarted, generationsTimedOut }, 'due actions done');
    return { publishesStarted, generationsTimedOut };
  }
}

function systemMetadata(id: string, workspaceId: string | null, correlationId: string): EventMetadata {
  return { actor: { type: 'system', id }, ...(workspaceId ? { workspaceId } : {}), correlationId, causationId: correlationId };
}
