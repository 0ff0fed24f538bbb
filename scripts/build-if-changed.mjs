// `npm start` (and the other scripts that need dist/) build only when a source changed since the
// last build: a start with nothing changed takes no compile. Plain JavaScript: it runs before
// anything is compiled.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-stamp';
// What tsconfig.build.json compiles, and what changes how it compiles.
const INPUTS = [
  'src',
  'migrations',
  'bench',
  'scripts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

/** The newest modification under `path`; a directory's own time counts (a deleted file moves it). */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let time = stat.mtimeMs;
  for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

const builtAt = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changed = INPUTS.filter((input) => existsSync(input) && newest(input) > builtAt);
if (changed.length === 0 && process.argv[2] !== '--force') {
  process.stdout.write('dist/ is up to date (nothing changed since the last build)\n');
} else {
  // The stamp takes the time the build started: a file saved during the build builds again.
  const startedAt = new Date();
  process.stdout.write(`Building dist/ (changed: ${changed.join(', ') || 'forced'})...\n`);
  try {
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
      {
        stdio: 'inherit',
      },
    );
  } catch {
    process.exit(1);
  }
  mkdirSync('dist', { recursive: true });
  writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
  utimesSync(STAMP, startedAt, startedAt);
}
