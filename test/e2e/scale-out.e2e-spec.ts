import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { PASSWORD } from '../support/fixtures.js';
import {
  freePort,
  HAPROXY,
  haproxyConfig,
  haveHaproxy,
  startHaproxy,
  type RunningHaproxy,
} from '../support/haproxy.js';
import { waitFor } from '../support/polling.js';
import { idpKeys } from '../support/saml-fixtures.js';
import { PATCH_SCHEMA, USER_SCHEMA } from '../support/scim-fixtures.js';
import {
  INTERNAL_TOKEN,
  startServerProcess,
  type RunningServer,
} from '../support/server-process.js';
import { cloneTestDatabase, usingEmbeddedDatabase } from '../support/test-database.js';

/**
 * Two Gatehouse processes on one database behind Debian's HAProxy, configured as
 * docs/operations.md shows. Traffic runs through HAProxy while one instance is stopped as an
 * orchestrator stops it (SIGTERM), then while one is killed (SIGKILL).
 */

if (!haveHaproxy()) {
  process.stdout.write(
    `\nNo HAProxy at ${HAPROXY}: the scale-out test is skipped (apt-get install haproxy).\n`,
  );
}
const describeScaleOut = haveHaproxy() && !usingEmbeddedDatabase() ? describe : describe.skip;

describe("docs/operations.md's HAProxy configuration", () => {
  it('is the one this test runs, with the addresses of a deployment', () => {
    const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const shown = /```haproxy\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(shown).toBe(
      haproxyConfig({
        bind: ':8080',
        statsBind: '127.0.0.1:8404',
        servers: [
          { name: 'gatehouse-1', address: 'gatehouse-1:3000' },
          { name: 'gatehouse-2', address: 'gatehouse-2:3000' },
        ],
      }),
    );
  });
});

const SHUTDOWN_DRAIN_MS = 5000;
const SIGN_IN_ACCOUNTS = 3;
const SCIM_WORKERS = 3;
/** How long to wait for another process (or HAProxy) to get somewhere, on a loaded machine. */
const WAIT_MS = 90_000;

type InstanceName = 'a' | 'b';

interface Instance {
  name: InstanceName;
  port: number;
  server: RunningServer;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The instance that answered (HAProxy's X-Served-By), null when HAProxy answered itself. */
  servedBy: string | null;
  setCookie: string[];
  /** Set when no HTTP answer came at all (status 0). */
  error?: string;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: options.headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(90_000),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { text };
    }
    return {
      status: response.status,
      body,
      servedBy: response.headers.get('x-served-by'),
      setCookie: response.headers.getSetCookie(),
    };
  } catch (error) {
    return { status: 0, body: {}, servedBy: null, setCookie: [], error: String(error) };
  }
}

const internal = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };
const json = { 'content-type': 'application/json' };

function cookieOf(answer: Answer): string {
  return answer.setCookie.map((cookie) => cookie.split(';')[0]).join('; ');
}

function scimUser(userName: string) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Scale', familyName: 'Out' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    active: true,
  };
}

function displayNamePatch(displayName: string) {
  return {
    schemas: [PATCH_SCHEMA],
    Operations: [{ op: 'replace', path: 'displayName', value: displayName }],
  };
}

type Kind = 'sign-in' | 'session' | 'scim-create' | 'scim-patch';

interface Outcome {
  kind: Kind;
  status: number;
  servedBy: string | null;
  startedAt: number;
  endedAt: number;
  error?: string;
  account?: string;
  cookie?: string;
  userName?: string;
  userId?: string;
  displayName?: string;
}

const SUCCESS: Record<Kind, number> = {
  'sign-in': 200,
  session: 200,
  'scim-create': 201,
  'scim-patch': 200,
};

const succeeded = (outcome: Outcome) => outcome.status === SUCCESS[outcome.kind];

/** Sends the request and notes how it went. */
async function timed(
  kind: Kind,
  request: () => Promise<Answer>,
  extra: Partial<Outcome> = {},
): Promise<{ answer: Answer; outcome: Outcome }> {
  const startedAt = Date.now();
  const answer = await request();
  const outcome: Outcome = {
    kind,
    status: answer.status,
    servedBy: answer.servedBy,
    startedAt,
    endedAt: Date.now(),
    ...(answer.error ? { error: answer.error } : {}),
    ...extra,
  };
  return { answer, outcome };
}

/** A client waits a little before it carries on after a failure. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 100));

/**
 * Clients that keep calling through the load balancer until stopped: each sign-in account signs
 * in and checks its new session, again and again; each SCIM worker creates a user (a new
 * userName each time) and then changes its displayName. At most one request per client is in
 * flight at any time.
 */
class Traffic {
  readonly outcomes: Outcome[] = [];
  private stopping = false;
  private readonly clients: Promise<void>[];

  constructor(
    private readonly base: string,
    private readonly round: string,
    private readonly passwordWorkspace: string,
    accounts: string[],
    private readonly scimAuth: string,
  ) {
    this.clients = [
      ...accounts.map((account) => this.signInClient(account)),
      ...Array.from({ length: SCIM_WORKERS }, (_, i) => this.scimClient(i)),
    ];
  }

  /** Successful outcomes of `kind` that started at or after `since`. */
  count(kind: Kind, since = 0, servedBy?: string): number {
    return this.outcomes.filter(
      (o) =>
        o.kind === kind &&
        succeeded(o) &&
        o.startedAt >= since &&
        (servedBy === undefined || o.servedBy === servedBy),
    ).length;
  }

  async stop(): Promise<Outcome[]> {
    this.stopping = true;
    await Promise.all(this.clients);
    return this.outcomes;
  }

  private async record(
    kind: Kind,
    request: () => Promise<Answer>,
    extra: Partial<Outcome> = {},
  ): Promise<{ answer: Answer; outcome: Outcome }> {
    const timing = await timed(kind, request, extra);
    this.outcomes.push(timing.outcome);
    return timing;
  }

  private async signInClient(account: string): Promise<void> {
    while (!this.stopping) {
      const { answer: signedIn, outcome } = await this.record(
        'sign-in',
        () =>
          call(this.base, 'POST', '/auth/password/login', {
            headers: json,
            body: { workspace: this.passwordWorkspace, email: account, password: PASSWORD },
          }),
        { account },
      );
      if (signedIn.status !== 200) {
        await pause();
        continue;
      }
      const cookie = cookieOf(signedIn);
      outcome.cookie = cookie;
      await this.record(
        'session',
        () => call(this.base, 'GET', '/auth/session', { headers: { cookie } }),
        { account, cookie },
      );
    }
  }

  private async scimClient(worker: number): Promise<void> {
    const scim = { authorization: this.scimAuth, 'content-type': 'application/scim+json' };
    for (let n = 0; !this.stopping; n++) {
      const userName = `${this.round}-${worker}-${n}@scale.test`;
      const { answer: created, outcome } = await this.record(
        'scim-create',
        () =>
          call(this.base, 'POST', '/scim/v2/Users', { headers: scim, body: scimUser(userName) }),
        { userName },
      );
      if (created.status !== 201) {
        await pause();
        continue;
      }
      const userId = created.body.id as string;
      outcome.userId = userId;
      const displayName = `${userName} v2`;
      await this.record(
        'scim-patch',
        () =>
          call(this.base, 'PATCH', `/scim/v2/Users/${userId}`, {
            headers: scim,
            body: displayNamePatch(displayName),
          }),
        { userName, userId, displayName },
      );
    }
  }
}

describeScaleOut('two instances on one database behind HAProxy', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let db: pg.Client;
  let lb: RunningHaproxy;
  const instances = {} as Record<InstanceName, Instance>;
  let passwordWorkspace: string;
  let accounts: string[];
  let scimWorkspaceId: string;
  let scimAuth: string;
  /** The traffic and the lock holders of the running test, ended after it whatever happened. */
  let traffic: Traffic | undefined;
  const lockers: pg.Client[] = [];
  const scimHeaders = () => ({ authorization: scimAuth, 'content-type': 'application/scim+json' });

  function start(name: InstanceName, port: number): Promise<RunningServer> {
    return startServerProcess(
      {
        PORT: String(port),
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '4',
        TRUST_PROXY: 'true',
        // Every client here is 127.0.0.1; a sign-in killed mid-way never gives its point back.
        LOGIN_MAX_FAILURES_PER_IP: '10000',
        // Well over HAProxy's 2 failed checks 300 ms apart, even on a loaded machine.
        SHUTDOWN_DRAIN_MS: String(SHUTDOWN_DRAIN_MS),
      },
      60_000,
    ).then((server) => {
      instances[name] = { name, port, server };
      return server;
    });
  }

  const running = (instance: Instance) =>
    instance.server.child.exitCode === null && instance.server.child.signalCode === null;

  /** Both instances running and in HAProxy's rotation (a stopped one is started again). */
  async function bothUp(): Promise<void> {
    for (const instance of Object.values(instances)) {
      if (!running(instance)) await start(instance.name, instance.port);
    }
    await lb.waitForStatus(['a', 'b'], 'UP', 60_000);
  }

  beforeAll(async () => {
    database = await cloneTestDatabase();
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const [portA, portB] = [await freePort(), await freePort()];
    await Promise.all([start('a', portA), start('b', portB)]);
    lb = await startHaproxy([
      { name: 'a', port: portA },
      { name: 'b', port: portB },
    ]);
    await lb.waitForStatus(['a', 'b'], 'UP', 60_000);

    passwordWorkspace = `scale-${Date.now()}`;
    accounts = Array.from({ length: SIGN_IN_ACCOUNTS }, (_, i) => `person${i}@scale.test`);
    const created = await call(lb.url, 'POST', '/api/workspaces', {
      headers: internal,
      body: {
        name: 'Scale Out',
        slug: passwordWorkspace,
        firstAdmin: { email: 'admin@scale.test', password: PASSWORD },
      },
    });
    expect(created.status).toBe(201);
    for (const email of accounts) {
      const member = await call(lb.url, 'POST', `/api/workspaces/${passwordWorkspace}/members`, {
        headers: internal,
        body: { email, role: 'member', password: PASSWORD },
      });
      expect(member.status).toBe(201);
    }
    ({ id: scimWorkspaceId, auth: scimAuth } = await scimWorkspace(lb.url));
  }, 180_000);

  afterEach(async () => {
    await traffic?.stop();
    traffic = undefined;
    for (const locker of lockers.splice(0)) await locker.end().catch(() => undefined);
  });

  afterAll(async () => {
    // HAProxy's request log, for a failure's post-mortem.
    if (process.env.SCALE_OUT_HAPROXY_LOG && lb)
      writeFileSync(process.env.SCALE_OUT_HAPROXY_LOG, lb.log());
    await lb?.stop();
    for (const instance of Object.values(instances)) {
      instance.server.kill();
      await instance.server.exited;
    }
    await db?.end();
    await database?.drop();
  });

  /** A SAML-only workspace with SCIM on: SCIM needs SAML as the only sign-in method. */
  async function scimWorkspace(base: string): Promise<{ id: string; auth: string }> {
    const slug = `scim-${Date.now()}`;
    const created = await call(base, 'POST', '/api/workspaces', {
      headers: internal,
      body: {
        name: 'Scale Out SCIM',
        slug,
        firstAdmin: { email: 'admin@scim.scale.test', password: PASSWORD },
      },
    });
    expect(created.status).toBe(201);
    const [key] = await idpKeys();
    const provider = await call(base, 'POST', `/api/workspaces/${slug}/saml-providers`, {
      headers: internal,
      body: {
        name: 'IdP',
        idpEntityId: 'https://idp.scale.test/saml',
        idpSsoUrl: 'https://idp.scale.test/sso',
        idpCertificates: [key!.certificatePem],
      },
    });
    expect(provider.status).toBe(201);
    const settings = await call(base, 'PATCH', `/api/workspaces/${slug}/settings`, {
      headers: internal,
      body: { signInMethods: { password: false, office365: false, saml: true } },
    });
    expect(settings.status).toBe(200);
    const scim = await call(base, 'POST', `/api/workspaces/${slug}/scim`, {
      headers: internal,
      body: { provider: 'generic' },
    });
    expect(scim.status).toBe(201);
    return { id: created.body.id as string, auth: `Bearer ${scim.body.token as string}` };
  }

  /**
   * A SCIM POST held in flight through HAProxy: a transaction of the test inserts the person's
   * email first and keeps it uncommitted, so the instance's insert waits on the unique index.
   * Returns the request, the instance it waits on, and the release (the test rolls back).
   */
  async function holdScimCreate(userName: string) {
    const locker = new pg.Client({ connectionString: database.url });
    locker.on('error', () => undefined);
    lockers.push(locker);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('INSERT INTO users (email) VALUES ($1)', [userName]);
    const request = timed(
      'scim-create',
      () =>
        call(lb.url, 'POST', '/scim/v2/Users', {
          headers: scimHeaders(),
          body: scimUser(userName),
        }),
      { userName },
    ).then(({ answer, outcome }) => ({ ...outcome, userId: answer.body.id as string | undefined }));
    await waitFor(
      'the held SCIM POST to wait on the lock',
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [database.name],
        );
        return rows[0]!.n === 1;
      },
      WAIT_MS,
    );
    let holder: InstanceName | undefined;
    await waitFor(
      'HAProxy to show which instance holds it',
      async () => {
        const stats = await lb.stats();
        const busy = (['a', 'b'] as const).filter((name) => (stats.get(name)?.current ?? 0) > 0);
        holder = busy.length === 1 ? busy[0] : undefined;
        return holder !== undefined;
      },
      WAIT_MS,
    );
    return {
      request,
      holder: holder!,
      release: () => locker.query('ROLLBACK'),
    };
  }

  async function membershipsNamed(userName: string): Promise<string[]> {
    const { rows } = await db.query<{ user_id: string }>(
      `SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_name_key = lower($2)`,
      [scimWorkspaceId, userName],
    );
    return rows.map((row) => row.user_id);
  }

  /** Every acknowledged SCIM write is in the database and served by `survivor`. */
  async function expectNoAcknowledgedWriteLost(outcomes: Outcome[], survivor: Instance) {
    const lost: string[] = [];
    const patched = new Map(
      outcomes
        .filter((o) => o.kind === 'scim-patch' && succeeded(o))
        .map((o) => [o.userId!, o.displayName!]),
    );
    const created = outcomes.filter((o) => o.kind === 'scim-create' && succeeded(o));
    for (const { userName, userId } of created) {
      const rows = await membershipsNamed(userName!);
      if (rows.length !== 1 || rows[0] !== userId) lost.push(`${userName}: rows ${rows.join()}`);
      const read = await call(survivor.server.baseUrl, 'GET', `/scim/v2/Users/${userId}`, {
        headers: scimHeaders(),
      });
      if (read.status !== 200 || read.body.userName !== userName) {
        lost.push(`${userName}: GET ${read.status}`);
      }
      const displayName = patched.get(userId!);
      if (displayName !== undefined && read.body.displayName !== displayName) {
        lost.push(`${userName}: displayName ${String(read.body.displayName)}, not ${displayName}`);
      }
    }
    expect(lost).toEqual([]);
    return created.length;
  }

  /** Every session the round made, on whichever instance, is accepted by `survivor`. */
  async function expectSessionsAcceptedBy(outcomes: Outcome[], survivor: Instance) {
    const signIns = outcomes.filter((o) => o.kind === 'sign-in' && succeeded(o));
    const refused: string[] = [];
    for (const { cookie, account, servedBy } of signIns) {
      const session = await call(survivor.server.baseUrl, 'GET', '/auth/session', {
        headers: { cookie: cookie! },
      });
      if (session.status !== 200 || (session.body.user as { email?: string })?.email !== account) {
        refused.push(`${account} (signed in on ${servedBy}): ${session.status}`);
      }
    }
    expect(refused).toEqual([]);
    return signIns;
  }

  const other = (name: InstanceName): Instance => instances[name === 'a' ? 'b' : 'a'];

  it('a session made on one instance is accepted by the other, and a sign-out on either ends it on both', async () => {
    await bothUp();
    const { a, b } = instances;
    const signedIn = await call(a.server.baseUrl, 'POST', '/auth/password/login', {
      headers: json,
      body: { workspace: passwordWorkspace, email: accounts[0], password: PASSWORD },
    });
    expect(signedIn.status).toBe(200);
    const cookie = cookieOf(signedIn);
    for (const instance of [a, b]) {
      const session = await call(instance.server.baseUrl, 'GET', '/auth/session', {
        headers: { cookie },
      });
      expect([instance.name, session.status]).toEqual([instance.name, 200]);
    }
    const signedOut = await call(b.server.baseUrl, 'POST', '/auth/logout', { headers: { cookie } });
    expect(signedOut.status).toBeLessThan(300);
    for (const instance of [a, b]) {
      const session = await call(instance.server.baseUrl, 'GET', '/auth/session', {
        headers: { cookie },
      });
      expect([instance.name, session.status]).toEqual([instance.name, 401]);
    }
  });

  it("records the client's address, not one the client claims in X-Forwarded-For", async () => {
    await bothUp();
    const signedIn = await call(lb.url, 'POST', '/auth/password/login', {
      headers: { ...json, 'x-forwarded-for': '203.0.113.7' },
      body: { workspace: passwordWorkspace, email: accounts[1], password: PASSWORD },
    });
    expect(signedIn.status).toBe(200);
    const { rows } = await db.query<{ ip_address: string }>(
      `SELECT DISTINCT ip_address FROM sessions WHERE user_id = $1`,
      [(signedIn.body.user as { id: string }).id],
    );
    expect(rows).toEqual([{ ip_address: '127.0.0.1' }]);
  });

  it('SIGTERM to one instance mid-traffic, then its restart: no failed sign-in, no failed or lost SCIM write', async () => {
    await bothUp();
    const held = await holdScimCreate('held-term@scale.test');
    const stopped = instances[held.holder];
    const survivor = other(held.holder);
    const run = (traffic = new Traffic(lb.url, 'term', passwordWorkspace, accounts, scimAuth));
    await waitFor(
      'traffic on both instances',
      () =>
        run.count('scim-create', 0, stopped.name) >= 3 &&
        run.count('sign-in', 0, stopped.name) >= 2 &&
        run.count('scim-create', 0, survivor.name) >= 3,
      WAIT_MS,
    );

    stopped.server.child.kill('SIGTERM');
    await lb.waitForStatus([stopped.name], 'DOWN', 30_000);
    // Out of the rotation because its readiness check failed, while it still accepted
    // connections: nothing was sent to a closed listener.
    const ready = await call(stopped.server.baseUrl, 'GET', '/health/ready');
    expect([ready.status, ready.body.code]).toEqual([503, 'SHUTTING_DOWN']);
    // The stopped instance still finishes what it had started.
    await held.release();
    const heldCreate = await held.request;
    expect([heldCreate.status, heldCreate.servedBy]).toEqual([201, stopped.name]);
    expect(await stopped.server.exited).toEqual({ code: 0, signal: null });

    const exitedAt = Date.now();
    await waitFor(
      'traffic served by the other instance alone',
      () => run.count('scim-create', exitedAt) >= 5 && run.count('sign-in', exitedAt) >= 3,
      WAIT_MS,
    );
    // A rolling restart: it joins again (once ready) while the traffic goes on.
    const restartedAt = Date.now();
    await start(stopped.name, stopped.port);
    await lb.waitForStatus([stopped.name], 'UP', 60_000);
    await waitFor(
      'traffic on the restarted instance',
      () =>
        run.count('scim-create', restartedAt, stopped.name) >= 3 &&
        run.count('sign-in', restartedAt, stopped.name) >= 1,
      WAIT_MS,
    );
    const outcomes = await run.stop();
    traffic = undefined;

    expect(outcomes.filter((o) => !succeeded(o))).toEqual([]);
    const afterExit = outcomes.filter((o) => o.startedAt >= exitedAt && o.startedAt < restartedAt);
    expect(afterExit.filter((o) => o.servedBy !== survivor.name)).toEqual([]);
    const created = await expectNoAcknowledgedWriteLost([heldCreate, ...outcomes], survivor);
    expect(created).toBeGreaterThanOrEqual(12);
    const signIns = await expectSessionsAcceptedBy(outcomes, survivor);
    expect(signIns.some((o) => o.servedBy === stopped.name)).toBe(true);
  }, 300_000);

  it('SIGKILL of one instance mid-traffic: only requests in flight on it fail (HAProxy answers 502 or closes the connection); nothing acknowledged is lost; a retried SCIM POST creates the user or answers 409 uniqueness, never a duplicate', async () => {
    await bothUp();
    const held = await holdScimCreate('held-kill@scale.test');
    const killed = instances[held.holder];
    const survivor = other(held.holder);
    const run = (traffic = new Traffic(lb.url, 'kill', passwordWorkspace, accounts, scimAuth));
    await waitFor(
      'traffic on both instances',
      () =>
        run.count('scim-create', 0, killed.name) >= 3 &&
        run.count('sign-in', 0, killed.name) >= 2 &&
        run.count('scim-create', 0, survivor.name) >= 3,
      WAIT_MS,
    );

    // Until its process is gone, the killed instance's listener can still take connections.
    let diedAt = Infinity;
    killed.server.child.once('exit', () => (diedAt = Date.now()));
    const killedAt = Date.now();
    killed.server.child.kill('SIGKILL');
    // The held POST was in flight on it: it fails at HAProxy (see below), never sent elsewhere.
    const heldCreate = await held.request;
    expect(heldCreate.servedBy).toBeNull();
    expect([0, 502]).toContain(heldCreate.status);
    await killed.server.exited;
    await held.release();
    await lb.waitForStatus([killed.name], 'DOWN', 30_000);
    const downAt = Date.now();
    await waitFor(
      'traffic served by the other instance alone',
      () => run.count('scim-create', downAt) >= 5 && run.count('sign-in', downAt) >= 3,
      WAIT_MS,
    );
    const outcomes = await run.stop();
    traffic = undefined;

    // What failed was in flight on the killed instance: sent before its process was gone,
    // answered after the kill. HAProxy answers 502 for the first request of a client
    // connection, and closes the connection without an answer for a later one (so that a
    // browser may retry it): status 0 here.
    const failed = [heldCreate, ...outcomes.filter((o) => !succeeded(o))];
    expect(
      failed.filter(
        (o) => ![0, 502].includes(o.status) || o.startedAt > diedAt || o.endedAt < killedAt,
      ),
    ).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(1 + SIGN_IN_ACCOUNTS + SCIM_WORKERS);
    expect(outcomes.filter((o) => o.startedAt > downAt && o.servedBy !== survivor.name)).toEqual(
      [],
    );

    await expectNoAcknowledgedWriteLost(outcomes, survivor);
    const signIns = await expectSessionsAcceptedBy(outcomes, survivor);
    expect(signIns.some((o) => o.servedBy === killed.name)).toBe(true);

    // The client retries what failed: a SCIM POST creates the user or finds it made (409).
    for (const { userName } of failed.filter((o) => o.kind === 'scim-create')) {
      const retry = await call(lb.url, 'POST', '/scim/v2/Users', {
        headers: scimHeaders(),
        body: scimUser(userName!),
      });
      const outcome =
        retry.status === 201 ? '201' : `${retry.status} ${String(retry.body.scimType)}`;
      expect(['201', '409 uniqueness']).toContain(outcome);
      expect([userName, (await membershipsNamed(userName!)).length]).toEqual([userName, 1]);
    }
    for (const o of failed.filter((f) => f.kind === 'scim-patch')) {
      const retry = await call(lb.url, 'PATCH', `/scim/v2/Users/${o.userId}`, {
        headers: scimHeaders(),
        body: displayNamePatch(o.displayName!),
      });
      expect(retry.status).toBe(200);
    }
    // A sign-in or a session check sent again just works (a session check that failed was of a
    // session made before, which the other instance accepts).
    for (const o of failed.filter((f) => f.kind === 'sign-in')) {
      const retry = await call(lb.url, 'POST', '/auth/password/login', {
        headers: json,
        body: { workspace: passwordWorkspace, email: o.account, password: PASSWORD },
      });
      expect([o.account, retry.status]).toEqual([o.account, 200]);
    }
    for (const o of failed.filter((f) => f.kind === 'session')) {
      const retry = await call(lb.url, 'GET', '/auth/session', { headers: { cookie: o.cookie! } });
      expect(retry.status).toBe(200);
    }
    // And a POST whose 201 the client never saw answers 409 when sent again: never a duplicate.
    for (const o of outcomes.filter((c) => c.kind === 'scim-create' && succeeded(c))) {
      const again = await call(lb.url, 'POST', '/scim/v2/Users', {
        headers: scimHeaders(),
        body: scimUser(o.userName!),
      });
      expect([o.userName, again.status, again.body.scimType]).toEqual([
        o.userName,
        409,
        'uniqueness',
      ]);
      expect(await membershipsNamed(o.userName!)).toEqual([o.userId]);
    }
  }, 300_000);
});
