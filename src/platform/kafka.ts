import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { DependencyCheck } from './health';

export interface KafkaReadiness extends DependencyCheck {
  close(): Promise<void>;
}

/**
 * Readiness of the Kafka cluster: one admin client, connected on first use and kept, asks
 * the cluster to describe itself. After a failure it is dropped and the next check connects
 * afresh, so a broker that comes back is seen without restarting the service.
 *
 * ```ts
 * const kafka = kafkaReadiness(['kafka-1:9092', 'kafka-2:9092']);
 * await checkReadiness([kafka], 2000);
 * await kafka.close();
 * ```
 */
export function kafkaReadiness(brokers: string[]): KafkaReadiness {
  // no retries and short timeouts: readiness wants an answer now, not after kafkajs's backoff
  const kafka = new Kafka({
    clientId: 'postledger-readiness',
    brokers,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  let admin: { client: Admin; connected: Promise<void> } | undefined;
  return {
    name: 'kafka',
    async check() {
      if (!admin) {
        const client = kafka.admin();
        admin = { client, connected: client.connect() };
      }
      const current = admin;
      try {
        await current.connected;
        await current.client.describeCluster();
      } catch (error) {
        if (admin === current) admin = undefined;
        await current.client.disconnect().catch(() => undefined);
        throw error;
      }
    },
    async close() {
      const current = admin;
      admin = undefined;
      await current?.client.disconnect();
    },
  };
}
