import { Counter, type Registry } from 'prom-client';

/** What the inbound consumers count, by topic. */
export interface InboundMetrics {
  /** Messages whose command succeeded (including redeliveries that changed nothing). */
  processed: Counter<'topic'>;
  /** Messages sent to the DLQ, by reason. */
  deadLettered: Counter<'topic' | 'reason'>;
  /** Tries that failed for a transient cause (the message is retried). */
  failures: Counter<'topic'>;
}

/**
 * Registers the inbound consumers' counters in the service's registry.
 *
 * ```ts
 * const metrics = inboundMetrics(service.metrics.registry);
 * metrics.processed.inc({ topic: 'postledger.publish-results' });
 * ```
 */
export function inboundMetrics(registry: Registry): InboundMetrics {
  return {
    processed: new Counter({
      name: 'inbound_messages_processed_total',
      help: 'Inbound messages whose command succeeded (a redelivery that changed nothing included)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'inbound_messages_dead_lettered_total',
      help: 'Inbound messages sent to postledger.dlq, by reason',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'inbound_message_failures_total',
      help: 'Inbound message tries that failed for a transient cause; the message is retried',
      labelNames: ['topic'],
      registers: [registry],
    }),
  };
}
