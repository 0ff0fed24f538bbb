import { runServerToExit } from '../support/server-process.js';
import { startSilentServer, TcpProxy, unusedPort } from '../support/tcp-proxy.js';
import { SERVER_URL, usingEmbeddedDatabase } from '../support/test-database.js';

/** The password every URL below carries: it must never be printed. */
const PASSWORD = 'pw-Never-Printed-42';

function withCredentials(url: string, user: string, database: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = PASSWORD;
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `node dist/src/main.js` with DATABASE_URL and checks the one-line, non-zero failure. */
async function expectStartupFailure(databaseUrl: string, cause: RegExp, env = {}) {
  const result = await runServerToExit({ DATABASE_URL: databaseUrl, ...env });
  expect(result.code).toBe(1);
  // Within seconds, not the minutes a hanging start would take (generous: a loaded machine).
  expect(result.elapsedMs).toBeLessThan(15_000);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^DATABASE_URL: cannot connect to postgres:\/\/\w+@[^ ]+: /);
  expect(lines[0]).toMatch(cause);
  expect(result.stderr).not.toContain(PASSWORD);
  return { line: lines[0] };
}

const itWithServer = usingEmbeddedDatabase() ? it.skip : it;

describe('start-up with a wrong DATABASE_URL', () => {
  it('stops at once on an unknown host, naming it', async () => {
    const { line } = await expectStartupFailure(
      `postgres://gatehouse:${PASSWORD}@db.invalid:5432/gatehouse`,
      /host not found \(ENOTFOUND\)$/,
    );
    expect(line).toContain('postgres://gatehouse@db.invalid:5432/gatehouse');
    // Not retried: a retried failure says "gave up after N attempts" (see the refused case),
    // which the cause's pattern above, anchored at the end of the line, leaves no room for.
    expect(line).not.toMatch(/gave up after/);
  });

  it('retries a refused connection briefly, then stops', async () => {
    const port = await unusedPort();
    const { line } = await expectStartupFailure(
      `postgres://gatehouse:${PASSWORD}@127.0.0.1:${port}/gatehouse`,
      /connection refused \(ECONNREFUSED\); gave up after \d+ attempts in [\d.]+ s$/,
    );
    expect(line).toContain(`127.0.0.1:${port}/gatehouse`);
  });

  it('gives up on a server that never answers', async () => {
    const silent = await startSilentServer();
    try {
      await expectStartupFailure(
        `postgres://gatehouse:${PASSWORD}@127.0.0.1:${silent.port}/gatehouse`,
        /no answer in time \(timeout\); gave up after/,
        { DATABASE_CONNECT_TIMEOUT_MS: '1000' },
      );
    } finally {
      await silent.close();
    }
  });

  describe('against a real PostgreSQL, through a proxy that counts connections', () => {
    let proxy: TcpProxy;
    beforeEach(async () => {
      proxy = new TcpProxy(Number(new URL(SERVER_URL).port || 5432), new URL(SERVER_URL).hostname);
      await proxy.start();
    });
    afterEach(() => proxy.stop());

    itWithServer('stops on an unknown database after one attempt', async () => {
      const user = new URL(SERVER_URL).username;
      const url = withCredentials(`postgres://127.0.0.1:${proxy.port}`, user, 'no_such_db');
      await expectStartupFailure(url, /: database "no_such_db" does not exist \(3D000\)$/);
      expect(proxy.accepted).toBe(1);
    });

    itWithServer('stops on an unknown role after one attempt', async () => {
      const database = new URL(SERVER_URL).pathname.slice(1);
      const url = withCredentials(
        `postgres://127.0.0.1:${proxy.port}`,
        'gatehouse_no_such_role',
        database,
      );
      await expectStartupFailure(url, /: role "gatehouse_no_such_role" does not exist \(28000\)$/);
      expect(proxy.accepted).toBe(1);
    });
  });

  it.each(['mysql://gatehouse@db.example/gatehouse', 'http://db.example/gatehouse'])(
    'refuses a URL that is not PostgreSQL: %s',
    async (url) => {
      const result = await runServerToExit({ DATABASE_URL: url });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DATABASE_URL: must be a postgres:// (or postgresql://) URL');
    },
  );
});
