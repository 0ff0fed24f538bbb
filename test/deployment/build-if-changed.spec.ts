import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve('scripts/build-if-changed.mjs');

/** A small project laid out like this one, built by the script as `npm start` builds it. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-build-'));
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = 1;\n');
  writeFileSync(join(dir, 'src/b.ts'), 'export const b: number = 2;\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { rootDir: '.', outDir: 'dist', strict: true, types: [] } }),
  );
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({ extends: './tsconfig.json', include: ['src'] }),
  );
  return dir;
}

const run = (dir: string) => {
  const { status, stdout } = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' });
  return { status, built: /^Building dist\//m.test(stdout), stdout };
};

/**
 * Dates the sources two minutes back and the last build one (file times can be coarser than a
 * test is fast): from here, only what the test writes is newer than the build.
 */
const settle = (dir: string) => {
  const sources = new Date(Date.now() - 120_000);
  const build = new Date(Date.now() - 60_000);
  for (const path of ['src', 'src/a.ts', 'src/b.ts', 'tsconfig.json', 'tsconfig.build.json']) {
    if (existsSync(join(dir, path))) utimesSync(join(dir, path), sources, sources);
  }
  utimesSync(join(dir, 'dist/.build-stamp'), build, build);
};

// Each case compiles a small project up to four times: minutes on a loaded 2-core machine.
jest.setTimeout(180_000);

describe('scripts/build-if-changed.mjs (npm start without a rebuild when nothing changed)', () => {
  let dir: string;
  beforeEach(() => {
    dir = project();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the first time, then not until a source changes', () => {
    expect(run(dir)).toMatchObject({ status: 0, built: true });
    expect(run(dir)).toMatchObject({ status: 0, built: false });
    settle(dir);
    expect(run(dir)).toMatchObject({ status: 0, built: false });
    writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = 3;\n');
    expect(run(dir)).toMatchObject({ status: 0, built: true });
    expect(run(dir)).toMatchObject({ status: 0, built: false });
  });

  it('builds again when a source is deleted (its folder changes)', () => {
    expect(run(dir)).toMatchObject({ status: 0, built: true });
    settle(dir);
    rmSync(join(dir, 'src/b.ts'));
    expect(run(dir)).toMatchObject({ status: 0, built: true });
  });

  it('fails on a compile error and keeps failing until it is fixed (no stamp for a failed build)', () => {
    expect(run(dir)).toMatchObject({ status: 0, built: true });
    settle(dir);
    writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = "one";\n');
    expect(run(dir)).toMatchObject({ status: 1, built: true });
    expect(run(dir)).toMatchObject({ status: 1, built: true });
    writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = 1;\n');
    expect(run(dir)).toMatchObject({ status: 0, built: true });
    expect(run(dir)).toMatchObject({ status: 0, built: false });
  });
});
