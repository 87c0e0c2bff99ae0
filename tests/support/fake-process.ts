import { EventEmitter } from 'node:events';
import type { HostProcess } from '../../src/serve';

/** Stands in for `process` where code takes a HostProcess: captures output, signals and exits. */
export class FakeProcess extends EventEmitter implements HostProcess {
  stdout = { text: '', write: (text: string) => (this.stdout.text += text) };
  stderr = { text: '', write: (text: string) => (this.stderr.text += text) };
  readonly exits: number[] = [];
  private exited: (code: number) => void = () => undefined;
  /** Resolves with the first exit code. */
  readonly exitCode = new Promise<number>((resolve) => (this.exited = resolve));

  constructor(readonly env: NodeJS.ProcessEnv = {}) {
    super();
  }

  exit(code: number): void {
    this.exits.push(code);
    this.exited(code);
  }
}
