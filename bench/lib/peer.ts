import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type EventStoreTask, type PeerRequest, type PeerResponse, PROTOCOL_PREFIX } from './tasks';

/**
 * A benchmark peer living in its own Node process (`<script> serve`), driven one task at a
 * time over stdin/stdout. The child is started with `node --import tsx` from `cwd`.
 */
export class PeerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private exited: Error | undefined;

  constructor(
    readonly name: string,
    script: string,
    cwd: string,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', script, 'serve'], { cwd, stdio: 'pipe', env: process.env });
    this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`${name} peer exited (code ${code}, signal ${signal})`);
      for (const { reject } of this.pending.values()) reject(this.exited);
      this.pending.clear();
    });
  }

  private onLine(line: string): void {
    if (!line.startsWith(PROTOCOL_PREFIX)) {
      if (line.trim()) process.stderr.write(`[${this.name}] ${line}\n`);
      return;
    }
    const response = JSON.parse(line.slice(PROTOCOL_PREFIX.length)) as PeerResponse;
    const waiter = this.pending.get(response.id);
    if (!waiter) return;
    this.pending.delete(response.id);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(new Error(`${this.name}: ${response.error ?? 'failed'}`));
  }

  run(task: EventStoreTask): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const request: PeerRequest = { id: this.nextId++, task };
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Ends stdin so the child leaves its loop; kills it if it has not exited after `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
