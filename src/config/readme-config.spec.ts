import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { environmentSchema, environmentVariableNames } from './configuration.js';

interface ConfigRow {
  name: string;
  defaultCell: string;
  meaning: string;
}

/** The rows of the table under "## Configuration" whose first cell is a `VARIABLE`. */
function readmeConfigRows(markdown: string): ConfigRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === '## Configuration');
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  const rows: ConfigRow[] = [];
  for (const line of section) {
    if (!line.trim().startsWith('|')) continue;
    const cells = line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
    const name = /^`([A-Z0-9_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (name) rows.push({ name, defaultCell: cells[1] ?? '', meaning: cells[2] ?? '' });
  }
  return rows;
}

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const rows = readmeConfigRows(readme);

describe("README's configuration table", () => {
  it('has a row for every variable of the config schema', () => {
    const documented = new Set(rows.map((row) => row.name));
    const missing = environmentVariableNames.filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('lists only variables of the config schema, each once', () => {
    const read = new Set(environmentVariableNames);
    expect(rows.map((row) => row.name).filter((name) => !read.has(name))).toEqual([]);
    const seen = rows.map((row) => row.name);
    expect(seen.filter((name, i) => seen.indexOf(name) !== i)).toEqual([]);
  });

  it("states each schema default in the row's Default column and explains every variable", () => {
    const wrong: string[] = [];
    for (const row of rows) {
      const field = environmentSchema.shape[row.name as keyof typeof environmentSchema.shape];
      if (!field) continue;
      const parsed: unknown = field.parse(undefined);
      const schemaDefault =
        parsed === undefined ? undefined : JSON.stringify(parsed).replace(/^"|"$/g, '');
      if (schemaDefault !== undefined && !row.defaultCell.includes(`\`${schemaDefault}\``))
        wrong.push(`${row.name}: default ${schemaDefault}, README says ${row.defaultCell}`);
      if (row.defaultCell === '' || row.meaning === '') wrong.push(`${row.name}: empty cell`);
    }
    expect(wrong).toEqual([]);
  });

  it('is found by the parser (guards the checks above against an empty match)', () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.map((row) => row.name)).toContain('DATABASE_URL');
  });
});
