import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  INTERNAL_TOKEN,
  startServerProcess,
  type RunningServer,
} from '../support/server-process.js';
import { waitFor } from '../support/polling.js';
import {
  cloneTestDatabase,
  usingEmbeddedDatabase,
  withAdminClient,
} from '../support/test-database.js';

const auth = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };

/** 'connected', or the code of the error a new TCP connection to the port meets. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

function sessionsOn(database: string): Promise<number> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return Number(rows[0]?.n);
  });
}

const describeWithServer = usingEmbeddedDatabase() ? describe.skip : describe;

describeWithServer('stopping the server (node dist/src/main.js)', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let server: RunningServer;
  let workspaceId: string;

  // Starting a server process can take over 30 s on a loaded 2-core machine.
  beforeEach(async () => {
    database = await cloneTestDatabase();
    server = await startServerProcess(
      { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '3' },
      50_000,
    );
    const created = await fetch(`${server.baseUrl}/api/workspaces`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Shutdown Inc' }),
    });
    expect(created.status).toBe(201);
    workspaceId = ((await created.json()) as { id: string }).id;
  }, 60_000);

  afterEach(async () => {
    server?.kill();
    await server?.exited;
    await database?.drop();
  });

  it('on SIGTERM refuses new connections, finishes the request in flight and exits 0 with the pool closed', async () => {
    // Hold the workspace's row lock so that a settings change is really in flight meanwhile.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM workspaces WHERE id = $1 FOR UPDATE', [workspaceId]);
    const inFlight = fetch(`${server.baseUrl}/api/workspaces/${workspaceId}/settings`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ sessionLifetimeSeconds: 7200 }),
    });
    await waitFor(
      'the PATCH to wait on the row lock',
      async () => {
        const { rows } = await locker.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [database.name],
        );
        return rows[0]?.n === '1';
      },
      10_000,
    );

    server.child.kill('SIGTERM');
    await waitFor(
      'the listener to close',
      async () => (await tryConnect(server.port)) === 'ECONNREFUSED',
      5000,
    );
    await sleep(300);
    expect(server.child.exitCode).toBeNull();

    await locker.query('COMMIT');
    await locker.end();
    const response = await inFlight;
    const answeredAt = Date.now();
    expect(response.status).toBe(200);
    expect(
      ((await response.json()) as { settings: { sessionLifetimeSeconds: number } }).settings
        .sessionLifetimeSeconds,
    ).toBe(7200);

    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Its keep-alive connection did not hold the exit up until it timed out.
    expect(Date.now() - answeredAt).toBeLessThan(3000);
    expect(server.output().stdout).toContain(
      'Gatehouse stopped (SIGTERM): requests finished, database pool closed',
    );
    expect(await sessionsOn(database.name)).toBe(0);
  }, 30_000);

  it('keeps serving after SIGUSR2', async () => {
    server.child.kill('SIGUSR2');
    await sleep(500);
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200);
    const workspace = await fetch(`${server.baseUrl}/api/workspaces/${workspaceId}`, {
      headers: auth,
    });
    expect(workspace.status).toBe(200);
  });
});
