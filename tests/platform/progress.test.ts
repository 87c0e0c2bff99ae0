import { createLogger } from '../../src/platform/logger';
import { Progress } from '../../src/platform/progress';

/** A logger whose JSON lines are captured. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A fake terminal: what was written, and a clock the test moves. */
function terminal(isTTY: boolean) {
  let text = '';
  return { stream: { isTTY, write: (t: string) => (text += t) }, text: () => text };
}

describe('Progress', () => {
  it('draws a bar in place on a terminal, redrawn at most once per interval, and ends it with a newline', () => {
    const { logger, lines } = capturedLogger();
    const tty = terminal(true);
    let now = 0;
    const progress = new Progress({ label: 'rebuild posts', unit: 'events', stream: tty.stream, logger, intervalMs: 100, now: () => now });
    now = 1000;
    progress.update(500, 2000);
    now = 1050;
    progress.update(700); // within the interval: not drawn
    now = 1200;
    progress.update(1000);
    expect(progress.barOpen).toBe(true);
    const drawn = tty.text().split('\r').filter(Boolean);
    expect(drawn).toHaveLength(2);
    expect(drawn[0]).toBe('rebuild posts [#####---------------] 25% 500/2,000 events 500/s ETA 3s\x1b[K');
    expect(drawn[1]).toBe('rebuild posts [##########----------] 50% 1,000/2,000 events 833/s ETA 2s\x1b[K');
    now = 2000;
    progress.update(2000);
    const summary = progress.finish();
    expect(progress.barOpen).toBe(false);
    expect(tty.text().endsWith('rebuild posts [####################] 100% 2,000/2,000 events 1,000/s\n')).toBe(true);
    expect(summary).toEqual({ done: 2000, total: 2000, rate: 1000, elapsedMs: 2000 });
    // on a terminal the only log line is the summary
    expect(lines).toEqual([expect.objectContaining({ msg: 'rebuild posts: done', operation: 'rebuild posts', done: 2000, perSecond: 1000, seconds: 2 })]);
  });

  it('writes structured progress lines to the logs when stderr is not a terminal', () => {
    const { logger, lines } = capturedLogger();
    const pipe = terminal(false);
    let now = 0;
    const progress = new Progress({ label: 'replay', unit: 'events', stream: pipe.stream, logger, now: () => now });
    now = 1000;
    progress.update(10, 40);
    now = 2000;
    progress.update(20); // within the default 5 s for logs
    now = 7000;
    progress.update(30);
    progress.finish('replayed');
    expect(pipe.text()).toBe('');
    expect(lines.map((l) => [l.msg, l.done, l.percent])).toEqual([
      ['replay: progress', 10, 25],
      ['replay: progress', 30, 75],
      ['replay: replayed', 30, undefined],
    ]);
  });

  it('counts without a total and without a stream', () => {
    const { logger, lines } = capturedLogger();
    const progress = new Progress({ label: 'scan', logger, intervalMs: 0 });
    progress.update(5);
    expect(lines[0]).toMatchObject({ msg: 'scan: progress', done: 5, unit: 'items' });
    expect(lines[0]!.total).toBeUndefined();
    const tty = terminal(true);
    const bar = new Progress({ label: 'scan', stream: tty.stream, logger, intervalMs: 0, now: () => 0 });
    bar.update(5);
    expect(tty.text()).toBe('\rscan 5 items 0/s\x1b[K');
  });
});
