/**
 * Reads a V8 CPU profile of the service (commands-profiler.ts) and says where its CPU went: self
 * time by place (this project's files, each package, Node internals, GC) and inclusive time
 * of this project's functions. Only the synchronous work shows: time spent waiting for
 * PostgreSQL is idle time here (it is in the PostgreSQL column of the CPU split instead).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { markdownTable } from './lib/results';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function place(url: string, repoRoot: string): string {
  if (url === '') return '(native / V8)';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = path.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.startsWith('node:')) return 'node internals';
  if (path.startsWith(repoRoot)) return relative(repoRoot, path);
  return path;
}

export interface ProfileReport {
  /** Profiled wall time, seconds. */
  seconds: number;
  /** CPU busy (not idle), % of the profiled wall time of one core. */
  busyPct: number;
  text: string;
}

/** Summarises the `.cpuprofile` files given (one window each, added up). */
export function summarizeProfiles(files: readonly string[], repoRoot: string, top = 20): ProfileReport {
  const selfByPlace = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    for (const [id, us] of selfUs) {
      const node = byId.get(id)!;
      const { functionName, url, lineNumber } = node.callFrame;
      totalUs += us;
      if (functionName === '(idle)') {
        idleUs += us;
        continue;
      }
      const where = functionName.startsWith('(') ? functionName : place(url, repoRoot);
      selfByPlace.set(where, (selfByPlace.get(where) ?? 0) + us);
      const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
      selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + us);
      // inclusive: every distinct project function on the stack gets this sample's time once
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame;
        const p = place(frame.url, repoRoot);
        if (!p.startsWith('src/')) continue;
        const key = `${frame.functionName || '(anonymous)'} ${p}:${frame.lineNumber + 1}`;
        if (seen.has(key)) continue;
        seen.add(key);
        inclusiveByFunction.set(key, (inclusiveByFunction.get(key) ?? 0) + us);
      }
    }
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1)}%`;
  const ms = (us: number) => (us / 1000).toFixed(0);
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, ms(us), pct(us)]);
  const text = [
    `${(totalUs / 1e6).toFixed(1)} s profiled, busy ${((100 * busyUs) / totalUs).toFixed(0)}% of one core; shares below are of the busy time.`,
    '',
    '#### Self time by place',
    '',
    markdownTable(['place', 'self ms', 'share'], rows(selfByPlace), ['l', 'r', 'r']),
    '',
    '#### Self time by function',
    '',
    markdownTable(['function', 'self ms', 'share'], rows(selfByFunction), ['l', 'r', 'r']),
    '',
    "#### Inclusive time of this project's functions (synchronous part)",
    '',
    markdownTable(['function', 'inclusive ms', 'share'], rows(inclusiveByFunction), ['l', 'r', 'r']),
  ].join('\n');
  return { seconds: totalUs / 1e6, busyPct: (100 * busyUs) / totalUs, text };
}
