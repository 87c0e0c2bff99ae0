import { Registry } from 'prom-client';
import { projectionsCheck, registerProjectionMetrics } from '../../src/projections/health';
import type { Projector } from '../../src/projections/projector';

/** Stands in for projectors: only their name and status are read. */
const projector = (name: string, state: string, checkpoint: bigint) => ({ name, status: { state, checkpoint } }) as unknown as Projector;

describe('projection health', () => {
  it('is ready while no projection failed, and names the failed ones otherwise', async () => {
    await expect(projectionsCheck([projector('posts', 'running', 5n), projector('comments', 'standby', 0n)]).check()).resolves.toBeUndefined();
    await expect(projectionsCheck([projector('posts', 'failed', 5n), projector('engagement', 'failed', 9n), projector('comments', 'running', 1n)]).check()).rejects.toThrow(
      /failed: posts, engagement/,
    );
  });

  it('exposes each projection’s checkpoint and state in /metrics', async () => {
    const registry = new Registry();
    registerProjectionMetrics(registry, [projector('posts', 'running', 42n), projector('comments', 'failed', 7n)]);
    const text = await registry.metrics();
    expect(text).toContain('projection_checkpoint{projection="posts"} 42');
    expect(text).toContain('projection_state{projection="comments",state="failed"} 1');
    expect(text).toContain('projection_state{projection="comments",state="running"} 0');
  });
});
