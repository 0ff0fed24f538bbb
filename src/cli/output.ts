import type { CliIo, OutputStream } from './cli-io.js';
import type { CliFailure } from './exit-codes.js';

/** What a command produced: the document `--json` prints, and the lines a person reads. */
export interface Outcome {
  data: unknown;
  text: string | string[];
}

export interface Output {
  result(outcome: Outcome): void;
  failure(failure: CliFailure): void;
}

function write(stream: OutputStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `--json`: one JSON document on stdout; a failure is `{"error": {...}}` on stderr. */
export function jsonOutput({ stdout, stderr }: Pick<CliIo, 'stdout' | 'stderr'>): Output {
  return {
    result: ({ data }) => write(stdout, JSON.stringify(data, null, 2)),
    failure: ({ code, message, exitCode, details, hint }) =>
      write(
        stderr,
        JSON.stringify({ error: { code, message, exitCode, ...details, ...(hint && { hint }) } }),
      ),
  };
}

export function humanOutput({ stdout, stderr }: Pick<CliIo, 'stdout' | 'stderr'>): Output {
  return {
    result: ({ text }) => write(stdout, Array.isArray(text) ? text.join('\n') : text),
    failure: ({ code, message, details, hint }) => {
      const lines = [`gatehouse: ${message} (${code})`];
      // A validation failure's message already names each field and its problems.
      for (const [key, value] of Object.entries(details ?? {})) {
        if (key !== 'errors') lines.push(`  ${key}: ${show(value)}`);
      }
      if (hint) lines.push(`  hint: ${hint}`);
      write(stderr, lines.join('\n'));
    },
  };
}

/** Rows as aligned columns under a header (no borders: easy to grep and to cut). */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)];
}

/** `key: value` lines, the keys aligned. */
export function fields(entries: [string, unknown][]): string[] {
  const width = Math.max(...entries.map(([key]) => key.length)) + 1;
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width)} ${show(value)}`);
}

export function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : JSON.stringify(value);
}
