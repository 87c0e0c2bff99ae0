import { isNativeError } from 'node:util/types';
import type { Gauge } from 'prom-client';
import { redactUrl } from './logger';

/** One dependency the service needs to serve requests; `check` throws when it cannot be used. */
export interface DependencyCheck {
  name: string;
  check(): Promise<void>;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  /** Why the dependency is down. */
  error?: string;
  latencyMs: number;
}

export interface Readiness {
  ok: boolean;
  dependencies: Record<string, DependencyStatus>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`, and records the outcome in the
 * `dependency_up` gauge when one is given.
 *
 * ```ts
 * const { ok, dependencies } = await checkReadiness([{ name: 'postgres', check: () => store.ping() }], 2000);
 * ```
 */
export async function checkReadiness(
  checks: readonly DependencyCheck[],
  timeoutMs: number,
  gauge?: Gauge<'dependency'>,
): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, DependencyStatus]> => {
      const started = performance.now();
      let error: string | undefined;
      try {
        await withTimeout(check(), timeoutMs);
      } catch (caught) {
        error = describeError(caught);
      }
      const latencyMs = Math.round(performance.now() - started);
      gauge?.set({ dependency: name }, error === undefined ? 1 : 0);
      return [name, error === undefined ? { status: 'up', latencyMs } : { status: 'down', error, latencyMs }];
    }),
  );
  return { ok: results.every(([, s]) => s.status === 'up'), dependencies: Object.fromEntries(results) };
}

async function withTimeout(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One line saying why `error` happened, credentials masked. A failed connect to several
 * addresses is an AggregateError with no message of its own: its first cause speaks for it.
 */
export function describeError(error: unknown): string {
  // isNativeError, not instanceof: errors raised by Node's own modules may come from another realm
  if (!isNativeError(error)) return redactUrl(String(error));
  const causes = (error as { errors?: unknown }).errors;
  const first = Array.isArray(causes) && isNativeError(causes[0]) ? causes[0] : undefined;
  const code = (error as { code?: unknown }).code;
  const message = error.message || first?.message || (typeof code === 'string' ? code : error.name);
  return redactUrl(message.split('\n')[0]!);
}
