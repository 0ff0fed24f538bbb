import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  INTERNAL_TOKEN,
  startServerProcess,
  type RunningServer,
} from '../support/server-process.js';
import { unusedPort } from '../support/tcp-proxy.js';
import { cloneTestDatabase } from '../support/test-database.js';

/**
 * Runs the README's walk-through as written: every ```sh block of its section, in order, in one
 * bash with `set -euo pipefail`, against a started Gatehouse, so the README cannot drift.
 *
 * What the test changes, and only this: the `export GH=` and `export TOKEN=` lines get this
 * server's URL and token; `curl` fails on an HTTP error (`--fail-with-body`, unless the command
 * already says `-f`), so a refused step stops the run; `npm run dev:idp` runs the already built
 * `dist/scripts/dev-idp.js` (the test run built it; a second build here would rewrite `dist/`
 * under the other test files), on a free port through `DEV_IDP_PORT`.
 */
const SECTION = '## A walk-through with curl';

function walkthroughBlocks(readme: string): string[] {
  const start = readme.indexOf(SECTION);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = readme.slice(start + SECTION.length);
  const section = rest.slice(0, rest.search(/\n## /));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

const PRELUDE = `set -euo pipefail
curl() {
  local arg
  for arg in "$@"; do
    case "$arg" in -f | -sf | -fs | --fail | --fail-with-body) command curl "$@"; return;; esac
  done
  command curl --fail-with-body "$@"
}
npm() {
  if [ "$1" = run ] && [ "$2" = dev:idp ]; then
    shift 2; if [ "\${1:-}" = -- ]; then shift; fi
    node "$DEV_IDP_JS" "$@"
  else
    echo "the walk-through ran npm $*, which this test does not know" >&2; return 1
  fi
}
`;

// A server, a bash and the dev IdP's processes: minutes on a loaded 2-core machine.
jest.setTimeout(300_000);

describe('the README walk-through', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let server: RunningServer;
  let baseUrl: string;
  const workdir = mkdtempSync(join(tmpdir(), 'gatehouse-walkthrough-'));

  beforeAll(async () => {
    database = await cloneTestDatabase();
    const port = await unusedPort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = await startServerProcess(
      {
        DATABASE_URL: database.url,
        PORT: String(port),
        PUBLIC_URL: baseUrl,
        DATABASE_POOL_SIZE: '3',
      },
      120_000,
    );
  });

  afterAll(async () => {
    server?.kill();
    await server?.exited;
    await database?.drop();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('runs every command of it, in order, without an error', async () => {
    const blocks = walkthroughBlocks(readFileSync('README.md', 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    let script = blocks.join('\n');
    for (const [name, value] of [
      ['GH', baseUrl],
      ['TOKEN', INTERNAL_TOKEN],
    ] as const) {
      const line = new RegExp(`^export ${name}=.*$`, 'm');
      expect(script).toMatch(line);
      script = script.replace(line, `export ${name}=${value}`);
    }
    const bash = spawn('bash', ['-c', PRELUDE + script], {
      cwd: workdir,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: workdir,
        DEV_IDP_JS: resolve('dist/scripts/dev-idp.js'),
        DEV_IDP_PORT: String(await unusedPort()),
      },
    });
    let stdout = '';
    let stderr = '';
    bash.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    bash.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => bash.on('exit', done));
    try {
      process.kill(-bash.pid!, 'SIGKILL'); // the dev IdP, if the walk-through left it running
    } catch {
      // The group is gone: `kill %1` stopped the IdP.
    }
    const log = `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    expect({ code, log }).toMatchObject({ code: 0 });

    // What each part showed, in the order the README says it.
    const sessions = [
      ...stdout.matchAll(/\{"user":\{[^}]*"email":"([^"]+)"[^]*?"method":"(\w+)"/g),
    ];
    expect(sessions.map((m) => `${m[1]} ${m[2]}`)).toEqual([
      'ada@acme.com password', // the sign-in's answer
      'ada@acme.com password', // GET /auth/session
      'ada@acme.com saml',
      'alan@acme.com saml',
    ]);
    expect(stdout).toContain('"subject":"You are invited to join Acme"');
    expect(stdout).toMatch(/"member":\{[^}]*"email":"grace@acme.com"[^}]*"source":"invite"/);
    expect(stdout).toMatch(/"domain":"acme.com","status":"verified"/);
    expect(stdout.match(/302\n/g)).toHaveLength(2); // the two SAML sign-ins' redirects
    expect(stdout).toMatch(/"email":"alan@acme.com"[^}]*"source":"saml","scimManaged":true/);
    expect(stdout).toContain('Pushed 3 people and 1 groups through SCIM.');
    expect(stdout).toMatch(/"token":"[A-Za-z0-9_-]{20,}"/);
    const devIdpLog = readFileSync(join(workdir, 'dev-idp.log'), 'utf8');
    expect(devIdpLog).toContain('Registered as "Local dev IdP" of workspace acme.');
  });
});
