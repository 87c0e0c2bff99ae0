/**
 * Preloaded (`--require`) into the child processes of `npm run bench -- commands` (the service,
 * the HTTP floor). Answers requests from the benchmark over the IPC channel: the event loop's
 * utilisation so far (is the service's one thread the limit?), its memory (the realtime
 * benchmark's memory per connection), and starting / stopping the V8
 * CPU profiler so that only the timed runs are profiled, not start-up (which under tsx is
 * mostly compiling TypeScript). It does nothing until asked.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';

export type ProbeRequest = { id: number } & ({ kind: 'elu' } | { kind: 'memory' } | { kind: 'profile-start' } | { kind: 'profile-stop'; file: string });
/** `memory`: process.memoryUsage() in bytes, after a full garbage collection when the child runs with --expose-gc. */
export type ProbeResponse = { id: number; error?: string; elu?: { idle: number; active: number }; memory?: NodeJS.MemoryUsage };

const send = process.send?.bind(process);
if (send) {
  let session: Session | undefined;
  process.on('message', (request: ProbeRequest) => {
    const reply = (response: Omit<ProbeResponse, 'id'>) => send({ id: request.id, ...response });
    try {
      switch (request.kind) {
        case 'elu': {
          const { idle, active } = performance.eventLoopUtilization();
          reply({ elu: { idle, active } });
          return;
        }
        case 'memory': {
          const gc = (globalThis as { gc?: () => void }).gc;
          gc?.();
          gc?.();
          reply({ memory: process.memoryUsage() });
          return;
        }
        case 'profile-start':
          session ??= new Session();
          session.connect();
          session.post('Profiler.enable');
          session.post('Profiler.start', (error) => reply(error ? { error: error.message } : {}));
          return;
        case 'profile-stop':
          if (!session) throw new Error('the profiler was not started');
          session.post('Profiler.stop', (error, result) => {
            if (error) return reply({ error: error.message });
            writeFileSync(request.file, JSON.stringify(result.profile));
            session!.disconnect();
            reply({});
          });
          return;
      }
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    }
  });
  // the channel must not keep the process alive on its own: the service exits when it is done
  process.channel?.unref();
}
