import { createLogger } from '../../src/platform/logger';
import { Teardown } from '../../src/platform/teardown';

function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('Teardown', () => {
  it('closes in reverse order of opening and logs each step', async () => {
    const { logger, records } = capturedLogger();
    const closed: string[] = [];
    const teardown = new Teardown(logger);
    teardown.add('database', async () => void closed.push('database'));
    teardown.add('HTTP server', () => void closed.push('HTTP server'));
    expect(await teardown.run()).toBe(true);
    expect(closed).toEqual(['HTTP server', 'database']);
    expect(records()).toEqual([
      expect.objectContaining({ level: 'info', step: 'HTTP server', msg: 'closed HTTP server', durationMs: expect.any(Number) }),
      expect.objectContaining({ level: 'info', step: 'database', msg: 'closed database' }),
    ]);
  });

  it('runs every step when one fails, and reports the failure', async () => {
    const { logger, records } = capturedLogger();
    const closed: string[] = [];
    const teardown = new Teardown(logger);
    teardown.add('database', () => void closed.push('database'));
    teardown.add('Redis client', () => Promise.reject(new Error('socket hang up')));
    expect(await teardown.run()).toBe(false);
    expect(closed).toEqual(['database']);
    expect(records()[0]).toMatchObject({ level: 'error', step: 'Redis client', msg: 'closing Redis client failed', err: { message: 'socket hang up' } });
  });

  it('runs each step once', async () => {
    const { logger } = capturedLogger();
    const close = jest.fn();
    const teardown = new Teardown(logger);
    teardown.add('x', close);
    await teardown.run();
    expect(await teardown.run()).toBe(true);
    expect(close).toHaveBeenCalledTimes(1);
  });
});
