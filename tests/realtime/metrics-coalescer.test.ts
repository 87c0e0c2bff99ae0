import { MetricsCoalescer } from '../../src/realtime/metrics-coalescer';

describe('MetricsCoalescer', () => {
  let now = 0;
  let sent: [number, string, number][];
  let coalescer: MetricsCoalescer;
  const advance = (ms: number) => {
    now += ms;
    jest.advanceTimersByTime(ms);
  };

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    sent = [];
    coalescer = new MetricsCoalescer(1000, (postId, totals) => sent.push([now, postId, totals.likes!]), () => now);
  });
  afterEach(() => {
    coalescer.stop();
    jest.useRealTimers();
  });

  it('sends a post\'s first change at once and at most one message per post per second, the latest totals winning', () => {
    coalescer.offer('a', { likes: 1 });
    advance(100);
    coalescer.offer('a', { likes: 2 });
    coalescer.offer('b', { likes: 10 });
    advance(400);
    coalescer.offer('a', { likes: 3 });
    advance(500);
    advance(100);
    coalescer.offer('b', { likes: 11 });
    advance(2000);
    expect(sent).toEqual([
      [0, 'a', 1],
      [100, 'b', 10],
      [1000, 'a', 3],
      [1100, 'b', 11],
    ]);
    for (const post of ['a', 'b']) {
      const times = sent.filter(([, p]) => p === post).map(([t]) => t);
      expect(times.every((t, i) => i === 0 || t - times[i - 1]! >= 1000)).toBe(true);
    }
  });

  it('sends at once again after a quiet second, and nothing after stop', () => {
    coalescer.offer('a', { likes: 1 });
    advance(1500);
    coalescer.offer('a', { likes: 2 });
    coalescer.offer('a', { likes: 3 });
    coalescer.stop();
    advance(5000);
    expect(sent).toEqual([
      [0, 'a', 1],
      [1500, 'a', 2],
    ]);
  });
});
