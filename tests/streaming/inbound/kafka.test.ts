import { KafkaBus } from '../../../src/streaming/kafka-bus';
import { inboundSuite } from './inbound-suite';

// .ci/run starts a broker and sets KAFKA_BROKERS; without one this suite is skipped and says why.
const brokers = process.env.KAFKA_BROKERS?.split(',');

inboundSuite(
  'Kafka',
  brokers ? { create: async () => new KafkaBus({ brokers, partitions: 3, retryMs: 10, maxRetryMs: 500 }) } : undefined,
  'KAFKA_BROKERS is not set: start a broker with `npm run kafka` and set KAFKA_BROKERS=127.0.0.1:9092',
);
