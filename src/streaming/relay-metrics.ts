import type { Pool } from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStore } from '../eventstore/port';
import { type Relay, RELAY_STATES } from './relay';
import { readRelayCheckpoint } from './relay-checkpoint';

/**
 * The relay's metrics, read at each scrape. Lag comes from the shared checkpoint, so every
 * process running the relay role shows it, active or standby:
 * - `relay_lag_events`: positions between the log's head and the last acknowledged event;
 * - `relay_lag_seconds`: age of the oldest event not yet acknowledged (0 when caught up);
 * - `relay_checkpoint`: position of the last acknowledged event;
 * - `relay_state{state}`: 1 for this process's state (`broker_unavailable` during an outage);
 * - `relay_published_events_total`: events this process published and checkpointed.
 *
 * ```ts
 * registerRelayMetrics(metrics.registry, { relay, store, pool });
 * ```
 */
export function registerRelayMetrics(registry: Registry, { relay, store, pool }: { relay: Relay; store: EventStore; pool: Pool }): void {
  const lag = async () => {
    const [checkpoint, head] = await Promise.all([readRelayCheckpoint(pool, relay.status.name), store.headPosition()]);
    const at = checkpoint?.position ?? 0n;
    const events = head === undefined || head <= at ? 0n : head - at;
    if (events === 0n) return { events: 0, seconds: 0, at };
    const [oldest] = await store.readAll({ after: checkpoint?.position, maxCount: 1 });
    return { events: Number(events), seconds: oldest ? Math.max(0, (Date.now() - oldest.occurredAt.getTime()) / 1000) : 0, at };
  };
  let pending: ReturnType<typeof lag> | undefined;
  // the three gauges of one scrape share one reading
  const reading = () => (pending ??= lag().finally(() => setImmediate(() => (pending = undefined))));
  new Gauge({
    name: 'relay_lag_events',
    help: 'Events in the log after the last one the broker acknowledged',
    registers: [registry],
    async collect() {
      this.set((await reading()).events);
    },
  });
  new Gauge({
    name: 'relay_lag_seconds',
    help: 'Age of the oldest event the broker has not acknowledged yet (0 when caught up)',
    registers: [registry],
    async collect() {
      this.set((await reading()).seconds);
    },
  });
  new Gauge({
    name: 'relay_checkpoint',
    help: 'Global position of the last event the broker acknowledged',
    registers: [registry],
    async collect() {
      this.set(Number((await reading()).at));
    },
  });
  new Gauge({
    name: 'relay_state',
    help: 'The relay in this process is in this state (1) or not (0); standby means another process relays',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of RELAY_STATES) this.set({ state }, relay.status.state === state ? 1 : 0);
    },
  });
  new Counter({
    name: 'relay_published_events_total',
    help: 'Events this process published and checkpointed',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(relay.status.published);
    },
  });
}
