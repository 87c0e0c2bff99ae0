/** A positive number from the environment, or `fallback` when unset; anything else stops the benchmark. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
  return value;
}

/** A progress line of a benchmark, on stderr (stdout carries the results). */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
