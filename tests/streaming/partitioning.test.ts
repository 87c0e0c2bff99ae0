import { Partitioners } from 'kafkajs';
import { keyPartitioner, partitionOf } from '../../src/streaming/partitioning';

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

describe('keyPartitioner', () => {
  const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  const keys = ['', 'x', 'post-0b6c7c1e-8e59-4f4f-9d7c-4f8b1b2d3e4f', 'ünïcødé ✓', ...Array.from({ length: 100 }, (_, i) => `user-${i}`)];

  it("chooses kafkajs's default partition for string and Buffer keys", () => {
    const ours = keyPartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const key of keys) {
      const expected = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
      expect([key, ours({ topic: 't', partitionMetadata, message: { key, value: null } })]).toEqual([key, expected]);
      expect([key, ours({ topic: 't', partitionMetadata, message: { key: Buffer.from(key), value: null } })]).toEqual([key, expected]);
    }
  });

  it('keeps an explicit partition, and spreads keyless messages over the partitions', () => {
    const ours = keyPartitioner();
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'post-1', partition: 4, value: null } })).toBe(4);
    const keyless = new Set(Array.from({ length: 12 }, () => ours({ topic: 't', partitionMetadata, message: { key: null, value: null } })));
    expect(keyless.size).toBe(6);
  });
});
