import { kafkaReadiness } from '../../src/platform/kafka';
import { unusedPort } from '../support/ports';


describe('kafkaReadiness', () => {
  it('fails fast naming the connection error when no broker answers, and tries again on the next check', async () => {
    const port = await unusedPort();
    const kafka = kafkaReadiness([`127.0.0.1:${port}`]);
    try {
      expect(kafka.name).toBe('kafka');
      const started = Date.now();
      await expect(kafka.check()).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(2000);
      // two checks at once share one connection attempt, and both fail
      const results = await Promise.allSettled([kafka.check(), kafka.check()]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    } finally {
      await kafka.close();
    }
  });

  it('closes without having connected', async () => {
    await expect(kafkaReadiness(['127.0.0.1:9']).close()).resolves.toBeUndefined();
  });

  // A broker is needed for the "up" path: .ci/run starts one and sets KAFKA_BROKERS; without it
  // this one test cannot run here (there is no in-memory Kafka worth testing against).
  const brokers = process.env.KAFKA_BROKERS?.split(',');
  (brokers ? it : it.skip)('answers while a real broker is up, reusing one connection (needs KAFKA_BROKERS)', async () => {
    const kafka = kafkaReadiness(brokers!);
    try {
      await kafka.check();
      await kafka.check();
    } finally {
      await kafka.close();
    }
  });
});
