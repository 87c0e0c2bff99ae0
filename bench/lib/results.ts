import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const PREAMBLE = `# Benchmark results

Written by \`npm run bench -- <name>\`: each run replaces its own dated section
(\`## <name>, <date>\`) and leaves the others. Figures are medians of repetitions on the
machine described in each section; ratios compare contenders measured in the same run.

On the 2-core development machines, run-to-run spread is large even with disturbed
repetitions re-run: latency-bound figures (concurrency 1) and the raw multi-row INSERT
move by ±20% between runs, so a ratio within ~15% of its target can PASS in one run
and MISS in the next. Compare several runs before concluding.
`;

/** A markdown table from a header row and body rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Today as YYYY-MM-DD (UTC). */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Puts `body` under the heading `## <name>, <date>` in `file`, replacing a section with the
 * same heading (a re-run on the same day) and appending otherwise.
 */
export function upsertSection(file: string, name: string, date: string, body: string): void {
  const heading = `## ${name}, ${date}`;
  const section = `${heading}\n\n${body.trim()}\n`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : PREAMBLE;
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  let next: string;
  if (start === -1) {
    next = `${text.trimEnd()}\n\n${section}`;
  } else {
    let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
    if (end === -1) end = lines.length;
    const before = lines.slice(0, start).join('\n').trimEnd();
    const after = lines.slice(end).join('\n').trim();
    next = `${before}\n\n${section}${after ? `\n${after}\n` : ''}`;
  }
  writeFileSync(file, next);
}
