import { Partitioners } from 'kafkajs';
import { partitionOf } from '../../src/streaming/partitioning';

describe('partitionOf', () => {
  it("chooses the partition kafkajs's default (Java-compatible) partitioner chooses, for keys of every length", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'post-0b6c7c1e-8e59-4f4f-9d7c-4f8b1b2d3e4f', 'ünïcødé ✓', ...Array.from({ length: 200 }, (_, i) => `stream-${i}`)];
    for (const key of keys) {
      expect([key, partitionOf(key, 7)]).toEqual([key, kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } })]);
    }
  });

  it('spreads keys over every partition', () => {
    const used = new Set(Array.from({ length: 100 }, (_, i) => partitionOf(`k-${i}`, 4)));
    expect([...used].sort()).toEqual([0, 1, 2, 3]);
  });
});
