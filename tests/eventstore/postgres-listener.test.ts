import { NotificationListener } from '../../src/eventstore/postgres/listener';
import { databaseUrl } from '../support/database';

describe('NotificationListener', () => {
  it('keeps retrying while the server cannot be reached, and stops cleanly', async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    const listener = new NotificationListener({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 }, async () => 'pl_x', () => undefined, logger);
    await listener.start();
    await new Promise((r) => setTimeout(r, 400));
    await listener.stop();
    expect(warnings.length).toBeGreaterThanOrEqual(2);
  });

  it('does not keep a connection it finished opening after being stopped', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let notified = 0;
    const listener = new NotificationListener(
      { connectionString: databaseUrl() },
      async () => {
        await gate;
        return 'pl_stopped';
      },
      () => (notified += 1),
    );
    const starting = listener.start();
    const stopping = listener.stop();
    release();
    await starting;
    await stopping;
    expect(notified).toBe(0);
  });
});
