import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { environmentSchema, environmentVariableNames } from './configuration.js';

interface ConfigRow {
  name: string;
  defaultCell: string;
  meaning: string;
}

function read(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
}

/** The lines under "## Configuration", up to the next "## " heading. */
function configurationSection(markdown: string, file: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === '## Configuration');
  if (start < 0) throw new Error(`${file} has no "## Configuration" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The table rows of the section whose first cell is a `VARIABLE` (every table in it). */
function configRows(section: string[]): ConfigRow[] {
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

/** Rows naming a variable the schema does not read, or read twice. */
function unknownOrRepeated(rows: ConfigRow[]): string[] {
  const read = new Set(environmentVariableNames);
  const names = rows.map((row) => row.name);
  return [
    ...names.filter((name) => !read.has(name)).map((name) => `${name}: not in the schema`),
    ...names.filter((name, i) => names.indexOf(name) !== i).map((name) => `${name}: twice`),
  ];
}

/** Rows whose Default column does not state the schema's default, or with an empty cell. */
function wrongDefaultsOrEmpty(rows: ConfigRow[]): string[] {
  const wrong: string[] = [];
  for (const row of rows) {
    const field = environmentSchema.shape[row.name as keyof typeof environmentSchema.shape];
    if (!field) continue;
    const parsed: unknown = field.parse(undefined);
    const schemaDefault =
      parsed === undefined ? undefined : JSON.stringify(parsed).replace(/^"|"$/g, '');
    if (schemaDefault !== undefined && !row.defaultCell.includes(`\`${schemaDefault}\``))
      wrong.push(`${row.name}: default ${schemaDefault}, the table says ${row.defaultCell}`);
    if (row.defaultCell === '' || row.meaning === '') wrong.push(`${row.name}: empty cell`);
  }
  return wrong;
}

describe("docs/operations.md's configuration reference", () => {
  const rows = configRows(configurationSection(read('docs/operations.md'), 'docs/operations.md'));

  it('has a row for every variable of the config schema', () => {
    const documented = new Set(rows.map((row) => row.name));
    expect(environmentVariableNames.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('lists only variables of the config schema, each once', () => {
    expect(unknownOrRepeated(rows)).toEqual([]);
  });

  it("states each schema default in the row's Default column and explains every variable", () => {
    expect(wrongDefaultsOrEmpty(rows)).toEqual([]);
  });

  it('is found by the parser (guards the checks above against an empty match)', () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.map((row) => row.name)).toContain('DATABASE_URL');
  });
});

describe("README's configuration section", () => {
  const section = configurationSection(read('README.md'), 'README.md');
  const rows = configRows(section);

  it('points to the full reference', () => {
    expect(section.join('\n')).toContain('(docs/operations.md)');
  });

  it('shows only variables of the schema, with their defaults', () => {
    expect(rows.length).toBeGreaterThan(0);
    expect([...unknownOrRepeated(rows), ...wrongDefaultsOrEmpty(rows)]).toEqual([]);
  });
});
