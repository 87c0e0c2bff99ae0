import { KafkaBus } from '../../src/streaming/kafka-bus';
import { busContract, freshTopic } from './bus-contract';

// .ci/run starts a broker (scripts/kafka-broker.sh) and sets KAFKA_BROKERS; without one these skip.
const brokers = process.env.KAFKA_BROKERS?.split(',');

busContract(
  'Kafka',
  brokers ? { create: async () => new KafkaBus({ brokers, partitions: 3, retryMs: 10 }) } : undefined,
  'KAFKA_BROKERS is not set: start a broker with `npm run kafka` and set KAFKA_BROKERS=127.0.0.1:9092',
);

(brokers ? describe : describe.skip)('KafkaBus requests', () => {
  it('sends publishes made together, to several topics, in one request', async () => {
    const bus = new KafkaBus({ brokers: brokers ?? [], partitions: 1 });
    const topics = [freshTopic(), freshTopic(), freshTopic()];
    try {
      // topics known first: this test is about the request, not about creating topics
      await Promise.all(topics.map((topic) => bus.publish(topic, [{ key: 'k', value: 'first', headers: {} }])));
      const send = jest.spyOn(bus['producer'], 'send');
      await Promise.all(topics.map((topic) => bus.publish(topic, [{ key: 'k', value: 'second', headers: {} }])));
      expect(send).toHaveBeenCalledTimes(1);
      expect(send.mock.calls[0]![0].map((t) => t.topic)).toEqual(topics);
    } finally {
      await bus.close();
    }
  });
});
