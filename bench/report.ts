/** The bench's one table, printed and written to bench/results/<date>-<sizes>.{json,md}. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';

export interface Figure {
  size: number;
  scenario: string;
  /** req/s (higher is better), or ms / s / MiB (lower is better). */
  unit: string;
  gatehouse: number;
  /** The same-run reference (floor-server.ts, or node:http hello for the framework row). */
  floor?: number;
  note?: string;
}

const format = (n: number) =>
  n >= 100 ? Math.round(n).toLocaleString('en') : n >= 10 ? n.toFixed(1) : n.toFixed(2);

export function markdownTable(figures: Figure[]): string {
  const lines = [
    '| members | scenario | unit | Gatehouse | floor (reference) | Gatehouse ÷ floor | note |',
    '|---:|---|---|---:|---:|---:|---|',
  ];
  for (const f of figures) {
    lines.push(
      `| ${f.size.toLocaleString('en')} | ${f.scenario} | ${f.unit} | ${format(f.gatehouse)} | ` +
        `${f.floor === undefined ? '' : format(f.floor)} | ` +
        `${f.floor ? `${(f.gatehouse / f.floor).toFixed(3)}×` : ''} | ${f.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** Written as `npm run lint` (prettier --check) wants it. */
export async function writeResults(
  meta: Record<string, unknown> & { sizes: number[] },
  figures: Figure[],
) {
  const dir = new URL('../../bench/results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const base = `${new Date().toISOString().slice(0, 10)}-${meta.sizes.join('-')}`;
  // A second run of the day with the same sizes keeps the first: its name gets the commit.
  const name = existsSync(new URL(`${base}.json`, dir)) ? `${base}-${String(meta.commit)}` : base;
  const markdown =
    `Gatehouse bench, ${String(meta.date)}, commit ${String(meta.commit)}` +
    `${(meta.uncommittedInSrc as string[]).length ? ' (with uncommitted changes in src/ or migrations/ of the shared tree)' : ''}; ` +
    `Node ${String(meta.node)}, PostgreSQL ${String(meta.postgres)}, ${String(meta.cpus)} CPUs, ` +
    `${String(meta.connections)} connections, ${String(meta.secondsPerLoad)} s per load; ` +
    `load average ${(meta.loadAverageAtStart as string[]).join(' ')} at start, ` +
    `${(meta.loadAverageAtEnd as string[]).join(' ')} at end (a shared machine).\n` +
    `For req/s a ratio below 1 is slower than the floor; for ms, s and MiB above 1 is.\n\n` +
    markdownTable(figures) +
    '\n';
  const paths = [new URL(`${name}.json`, dir), new URL(`${name}.md`, dir)].map((u) => u.pathname);
  const options = (await prettier.resolveConfig(paths[1]!)) ?? {};
  const json = JSON.stringify({ ...meta, figures }, null, 2);
  writeFileSync(paths[0]!, await prettier.format(json, { ...options, parser: 'json' }));
  writeFileSync(paths[1]!, await prettier.format(markdown, { ...options, parser: 'markdown' }));
  return { markdown, paths };
}
