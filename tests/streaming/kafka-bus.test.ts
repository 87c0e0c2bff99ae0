import { KafkaBus } from '../../src/streaming/kafka-bus';
import { busContract } from './bus-contract';

// .ci/run starts a broker (scripts/kafka-broker.sh) and sets KAFKA_BROKERS; without one these skip.
const brokers = process.env.KAFKA_BROKERS?.split(',');

busContract(
  'Kafka',
  brokers ? { create: async () => new KafkaBus({ brokers, partitions: 3, retryMs: 10 }) } : undefined,
  'KAFKA_BROKERS is not set: start a broker with `npm run kafka` and set KAFKA_BROKERS=127.0.0.1:9092',
);
