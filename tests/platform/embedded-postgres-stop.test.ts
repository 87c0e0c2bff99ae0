import { stopServer, type StoppableServer } from '../../src/platform/embedded-postgres';

/** A server whose process is in the given state; records whether `stop` was called. */
function server(process: StoppableServer['process']): StoppableServer & { stopped: number } {
  const fake = {
    process,
    stopped: 0,
    stop: async () => {
      fake.stopped += 1;
    },
  };
  return fake;
}

describe('stopping the embedded PostgreSQL', () => {
  it('stops a server whose process is running, or that has none to look at', async () => {
    const running = server({ exitCode: null, signalCode: null });
    await stopServer(running);
    expect(running.stopped).toBe(1);
    const unknown = server(undefined);
    await stopServer(unknown);
    expect(unknown.stopped).toBe(1);
  });

  it('does not wait for a server that already shut itself down (Ctrl-C reached it too)', async () => {
    const exited = server({ exitCode: 0, signalCode: null });
    const signalled = server({ exitCode: null, signalCode: 'SIGINT' });
    await stopServer(exited);
    await stopServer(signalled);
    expect([exited.stopped, signalled.stopped]).toEqual([0, 0]);
  });
});
