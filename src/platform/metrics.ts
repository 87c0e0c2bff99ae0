import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The service's metrics; each service instance (and each test) gets its own registry. */
export interface Metrics {
  registry: Registry;
  /** 1 when the dependency answered its last readiness check, 0 when it did not. */
  dependencyUp: Gauge<'dependency'>;
  /** Time to answer an HTTP request, by route pattern (never the raw path) and status. */
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Analytics answers served from the cache (`hit`) or computed (`miss`). */
  analyticsCacheRequests: Counter<'result'>;
  /** Open WebSocket connections of the realtime gateway. */
  realtimeConnections: Gauge;
  /** Messages the gateway sent, by message type (event, caught-up, metrics, error). */
  realtimeMessagesSent: Counter<'type'>;
  /** Connections the gateway closed on the client: `slow` (send buffer over the limit), `dead` (no pong), `expired` (token). */
  realtimeDrops: Counter<'reason'>;
  /** From an event's append (`occurredAt`) to its fan-out to the connections, per event. */
  realtimeDeliveryLag: Histogram;
}

/**
 * A registry with the default process metrics (CPU, memory, event-loop lag, handles) and the
 * service's own.
 *
 * ```ts
 * const metrics = createMetrics();
 * metrics.dependencyUp.set({ dependency: 'redis' }, 1);
 * res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
 * ```
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    dependencyUp: new Gauge({
      name: 'dependency_up',
      help: 'Whether a dependency answered its last readiness check (1) or not (0)',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    analyticsCacheRequests: new Counter({
      name: 'analytics_cache_requests_total',
      help: 'Analytics answers served from the cache (hit) or computed (miss)',
      labelNames: ['result'],
      registers: [registry],
    }),
    realtimeConnections: new Gauge({ name: 'realtime_connections', help: 'Open WebSocket connections of the realtime gateway', registers: [registry] }),
    realtimeMessagesSent: new Counter({
      name: 'realtime_messages_sent_total',
      help: 'Messages the realtime gateway sent, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    realtimeDrops: new Counter({
      name: 'realtime_drops_total',
      help: 'Connections the realtime gateway closed: slow (send buffer over the limit), dead (no pong), expired (token)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    realtimeDeliveryLag: new Histogram({
      name: 'realtime_delivery_lag_seconds',
      help: 'From an event\'s append to its fan-out to the realtime connections',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
