/**
 * Run by export-memory.test.ts in a process of its own (`node --expose-gc --import tsx`):
 * serves the API over the given schema, downloads `GET /v1/events` with a slow reader, and
 * prints what the heap did meanwhile as one JSON line. A process of its own, so that nothing
 * else the test runner holds moves the heap.
 */
import http, { ServerResponse } from 'node:http';
import { serveApi } from './serve-api';

async function main(): Promise<void> {
  const [connectionString, apiKey, dataDir] = process.argv.slice(2);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!connectionString || !apiKey || !dataDir || !gc) throw new Error('usage: node --expose-gc --import tsx export-memory.child.ts <connection string> <api key> <data dir>');
  const { pool, store, assembly, server, port } = await serveApi(connectionString, dataDir, { keyCacheSize: 10_000 });

  // counts the writes the route had to wait after: backpressure was met, not just hoped for
  let fullWrites = 0;
  const write = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function (this: ServerResponse, ...args: Parameters<typeof write>) {
    const ok = write.apply(this, args);
    if (!ok) fullWrites++;
    return ok;
  } as typeof write;

  gc();
  const before = process.memoryUsage().heapUsed;
  // the heap that stays after a collection, sampled while the export runs: what the export holds
  let peak = before;
  const sampler = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 200);
  let bytes = 0;
  let lines = 0;
  let chunks = 0;
  let status = 0;
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v1/events', headers: { Authorization: `ApiKey ${apiKey}` } }, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        // a slow reader, now and then: the server must wait for it rather than buffer
        // (not at every chunk: on a busy machine a timer per chunk takes minutes)
        if (++chunks % 32 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  clearInterval(sampler);
  gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(`${JSON.stringify({ status, lines, bytes, before, peak, after, fullWrites })}\n`);
  server.close();
  await assembly.close();
  await store.close();
  await pool.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
