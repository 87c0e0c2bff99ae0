import { Gauge, type Registry } from 'prom-client';
import type { DependencyCheck } from '../platform/health';
import type { Projector } from './projector';

/**
 * A readiness check that fails while a projection is stopped in its `failed` state, naming
 * it, so a projection that cannot apply an event is visible in `/readyz` (and, through the
 * `dependency_up{dependency="projections"}` gauge, in `/metrics`).
 *
 * ```ts
 * readinessChecks.push(projectionsCheck(projectors));
 * ```
 */
export function projectionsCheck(projectors: readonly Projector[]): DependencyCheck {
  return {
    name: 'projections',
    async check() {
      const failed = projectors.filter((p) => p.status.state === 'failed').map((p) => p.name);
      if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')} (see pl_projection_checkpoints.error; fix and restart)`);
    },
  };
}

/**
 * Per projection, read at each scrape: `projection_checkpoint{projection}` (position of the
 * last applied event) and `projection_state{projection, state}` (1 for its current state).
 */
export function registerProjectionMetrics(registry: Registry, projectors: readonly Projector[]): void {
  const states = ['standby', 'running', 'failed', 'stopped'] as const;
  new Gauge({
    name: 'projection_checkpoint',
    help: 'Global position of the last event the projection applied',
    labelNames: ['projection'],
    registers: [registry],
    collect() {
      for (const p of projectors) this.set({ projection: p.name }, Number(p.status.checkpoint));
    },
  });
  new Gauge({
    name: 'projection_state',
    help: 'The projection is in this state (1) or not (0); standby means another instance leads',
    labelNames: ['projection', 'state'],
    registers: [registry],
    collect() {
      for (const p of projectors) for (const state of states) this.set({ projection: p.name, state }, p.status.state === state ? 1 : 0);
    },
  });
}
