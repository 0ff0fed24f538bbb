import { setTimeout as sleep } from 'node:timers/promises';
import {
  INTERNAL_TOKEN,
  startServerProcess,
  type RunningServer,
} from '../support/server-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { cloneTestDatabase, SERVER_URL, usingEmbeddedDatabase } from '../support/test-database.js';

const internal = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };

interface Answer {
  status: number;
  body: Record<string, unknown>;
  ms: number;
}

const describeWithServer = usingEmbeddedDatabase() ? describe.skip : describe;

describeWithServer('PostgreSQL unreachable for a while (through a proxy the test stops)', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let proxy: TcpProxy;
  let server: RunningServer;
  let workspace: { id: string; slug: string };

  async function call(path: string, init: RequestInit = {}): Promise<Answer> {
    const started = Date.now();
    const response = await fetch(`${server.baseUrl}${path}`, init);
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      ms: Date.now() - started,
    };
  }

  /** The calls that need the database: admin API, sign-in, SCIM (bearer lookup). */
  const getWorkspace = () => call(`/api/workspaces/${workspace.id}`, { headers: internal });
  const signIn = () =>
    call('/auth/password/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        workspace: workspace.slug,
        email: 'nobody@outage.example',
        password: 'not the password',
      }),
    });
  const scimUsers = () =>
    call('/scim/v2/Users', { headers: { authorization: 'Bearer not-a-known-scim-token' } });

  async function expectUnavailable() {
    const ready = await call('/health/ready');
    expect(ready).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
    expect(ready.ms).toBeLessThan(3500);
    for (const answer of [await getWorkspace(), await signIn()]) {
      expect(answer).toMatchObject({
        status: 503,
        body: { statusCode: 503, code: 'DATABASE_UNAVAILABLE' },
      });
      expect(answer.ms).toBeLessThan(2500);
    }
    const scim = await scimUsers();
    expect(scim).toMatchObject({
      status: 503,
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' },
    });
    expect(scim.ms).toBeLessThan(2500);
    // The process itself is fine.
    expect((await call('/health/live')).status).toBe(200);
  }

  async function expectRecovered() {
    const deadline = Date.now() + 10_000;
    while ((await call('/health/ready')).status !== 200) {
      if (Date.now() > deadline) throw new Error('not ready again within 10 s');
      await sleep(200);
    }
    expect(await getWorkspace()).toMatchObject({ status: 200, body: { id: workspace.id } });
    expect(await signIn()).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
    expect((await scimUsers()).status).toBe(401);
  }

  beforeAll(async () => {
    database = await cloneTestDatabase();
    const target = new URL(SERVER_URL);
    proxy = new TcpProxy(Number(target.port || 5432), target.hostname);
    await proxy.start();
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    server = await startServerProcess({
      DATABASE_URL: viaProxy.toString(),
      DATABASE_POOL_SIZE: '4',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    const created = await call('/api/workspaces', {
      method: 'POST',
      headers: internal,
      body: JSON.stringify({ name: 'Outage Ltd' }),
    });
    expect(created.status).toBe(201);
    workspace = created.body as { id: string; slug: string };
  });

  afterAll(async () => {
    server?.kill();
    await server?.exited;
    await proxy?.stop();
    await database?.drop();
  });

  it('answers 503 fast while the database is gone and recovers without a restart', async () => {
    expect((await call('/health/ready')).status).toBe(200);
    expect((await getWorkspace()).status).toBe(200);

    await proxy.stop();
    await expectUnavailable();

    await proxy.start();
    await expectRecovered();
    expect(server.child.exitCode).toBeNull();
  }, 60_000);

  it('answers 503 within the connect timeout while the database accepts but never answers', async () => {
    proxy.silent = true;
    proxy.cutConnections();
    await expectUnavailable();

    proxy.silent = false;
    await expectRecovered();
    expect(server.child.exitCode).toBeNull();
  }, 60_000);
});
