import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStore } from '../eventstore/port';
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

/** What the lag metrics read: the log's head and the first event a projection has not passed. */
export interface LagSources {
  store: Pick<EventStore, 'headPosition' | 'readAll'>;
  now?: () => number;
}

/**
 * Per projection, read at each scrape: `projection_checkpoint{projection}` (position of the
 * last applied event), `projection_state{projection, state}` (1 for its current state),
 * `projection_events_total{projection}` (events applied by this process),
 * `projection_events_per_second{projection}` (applied since the previous scrape, per second)
 * and, given the log, `projection_lag_events{projection}` (log positions between the head and
 * how far the projection has read: events with the PostgreSQL log) and
 * `projection_lag_seconds{projection}` (age of the oldest event it has not yet passed; 0 when
 * caught up), reported by the instance that leads the projection (a standby has no lag of its own).
 */
export function registerProjectionMetrics(registry: Registry, projectors: readonly Projector[], lag?: LagSources): void {
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
  const counted = new Map<string, number>();
  new Counter({
    name: 'projection_events_total',
    help: 'Events the projection applied in this process',
    labelNames: ['projection'],
    registers: [registry],
    collect() {
      for (const p of projectors) {
        const applied = p.status.eventsApplied;
        this.inc({ projection: p.name }, applied - (counted.get(p.name) ?? 0));
        counted.set(p.name, applied);
      }
    },
  });
  const previous = new Map<string, { at: number; applied: number }>();
  new Gauge({
    name: 'projection_events_per_second',
    help: 'Events the projection applied per second since the previous scrape',
    labelNames: ['projection'],
    registers: [registry],
    collect() {
      const at = Date.now();
      for (const p of projectors) {
        const applied = p.status.eventsApplied;
        const last = previous.get(p.name);
        previous.set(p.name, { at, applied });
        const seconds = last ? (at - last.at) / 1000 : 0;
        this.set({ projection: p.name }, seconds > 0 ? (applied - last!.applied) / seconds : 0);
      }
    },
  });
  if (!lag) return;
  const now = lag.now ?? Date.now;
  // both gauges are collected in the same scrape: read the log once for them
  let reading: Promise<Map<string, { events: number; seconds: number }>> | undefined;
  const lagOf = () =>
    (reading ??= readLag(lag.store, projectors, now).finally(() => {
      setImmediate(() => (reading = undefined));
    }));
  new Gauge({
    name: 'projection_lag_events',
    help: 'Log positions between the head of the log and how far the projection has read it (events, with the PostgreSQL log)',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      const lagByProjection = await lagOf();
      // only the leading instance has a lag to report: drop what an earlier scrape set
      this.reset();
      for (const [projection, { events }] of lagByProjection) this.set({ projection }, events);
    },
  });
  new Gauge({
    name: 'projection_lag_seconds',
    help: 'Age of the oldest event the projection has not yet passed; 0 when caught up',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      const lagByProjection = await lagOf();
      // only the leading instance has a lag to report: drop what an earlier scrape set
      this.reset();
      for (const [projection, { seconds }] of lagByProjection) this.set({ projection }, seconds);
    },
  });
}

async function readLag(store: LagSources['store'], projectors: readonly Projector[], now: () => number): Promise<Map<string, { events: number; seconds: number }>> {
  const head = (await store.headPosition()) ?? 0n;
  const lag = new Map<string, { events: number; seconds: number }>();
  for (const p of projectors) {
    if (p.status.state !== 'running') continue;
    const passed = p.status.readPosition;
    const behind = head > passed ? head - passed : 0n;
    const [oldest] = behind > 0n ? await store.readAll({ after: passed, maxCount: 1 }) : [];
    lag.set(p.name, { events: Number(behind), seconds: oldest ? Math.max(0, now() - oldest.occurredAt.getTime()) / 1000 : 0 });
  }
  return lag;
}
