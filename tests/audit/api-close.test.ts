import { spawn } from 'node:child_process';
import path from 'node:path';
import { startTestApi, type TestApi } from '../support/api';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
}, 60_000);
afterAll(() => api.close());

/**
 * Runs the child and resolves with its last line and how it ended; rejects if it is still
 * alive `graceMs` after printing its report (or `limitMs` after starting).
 */
function runChild(args: string[], limitMs: number, graceMs: number): Promise<{ code: number | null; last: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'api-close.child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout;
    const giveUp = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the child was still alive ${ms / 1000} s after ${what} (a handle left open?); it printed: ${out}${err}`));
      }, ms);
    };
    giveUp(limitMs, 'starting');
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"open"')) giveUp(graceMs, 'closing');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, last: out.trim().split('\n').at(-1) ?? '', err });
    });
  });
}

describe('closing the API', () => {
  it('leaves nothing that keeps the process alive: it ends by itself after serving an export and a verification', async () => {
    const { code, last, err } = await runChild([api.database.connectionString, api.dataDir], 90_000, 10_000);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(last) as { statuses: number[]; lines: number; verify: { ok: boolean }; open: string[] };
    expect(report.statuses).toEqual([201, 200, 200, 503]);
    expect(report.lines).toBeGreaterThan(0);
    expect(report.verify.ok).toBe(true);
    // only its own stdout and stderr pipes are left, which do not hold a process
    expect(report.open.filter((kind) => kind !== 'PipeWrap' && kind !== 'TTYWrap')).toEqual([]);
  }, 120_000);
});
