import childProcess, { type ChildProcess } from 'node:child_process';
import { inOwnProcessGroup, stopServer, type StoppableServer } from '../../src/platform/embedded-postgres';

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

describe('starting the embedded PostgreSQL in a process group of its own', () => {
  /** The process group of a child spawned through the named import, as embedded-postgres spawns. */
  async function groupOf(spawnIt: () => ChildProcess): Promise<{ pid: number; group: number }> {
    const child = spawnIt();
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    return { pid: child.pid!, group: Number(out.trim()) };
  }
  const script = ['-c', 'ps -o pgid= -p $$'];

  it('detaches what is spawned meanwhile, with or without arguments, and only meanwhile', async () => {
    const spawnWithArgs = () => childProcess.spawn('sh', script, { stdio: ['ignore', 'pipe', 'inherit'] });
    // not detached: the child stays in this process's group
    const ours = (await groupOf(spawnWithArgs)).group;
    const inside = await inOwnProcessGroup(async () => groupOf(spawnWithArgs));
    expect(inside.group).toBe(inside.pid);
    const noArgs = await inOwnProcessGroup(async () => groupOf(() => childProcess.spawn('ps -o pgid= -p $$', { shell: true, stdio: ['ignore', 'pipe', 'inherit'] })));
    expect(noArgs.group).toBe(noArgs.pid);
    expect([inside.group, noArgs.group]).not.toContain(ours);
    const after = await groupOf(spawnWithArgs);
    expect(after.group).toBe(ours);
  });

  it('puts spawn back when the start fails', async () => {
    const original = childProcess.spawn;
    await expect(inOwnProcessGroup(async () => Promise.reject(new Error('no start')))).rejects.toThrow('no start');
    expect(childProcess.spawn).toBe(original);
  });
});
