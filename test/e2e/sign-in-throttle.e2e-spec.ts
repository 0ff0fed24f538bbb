import type { TestingModuleBuilder } from '@nestjs/testing';
import type { Response } from 'supertest';
import { OIDC_FETCH } from '../../src/auth/oidc/oidc-fetch.js';
import { PasswordHasher } from '../../src/common/password-hasher.js';
import { addMember, createWorkspace, PASSWORD } from '../support/fixtures.js';
import { TestOpenIdProvider } from '../support/oidc-provider.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { itWithConcurrentConnections } from '../support/test-database.js';

const WINDOW_SECONDS = 900;
const LIMIT = 5;

/** The real hasher, counting the passwords it checks (decoys for unknown accounts included). */
class CountingPasswordHasher extends PasswordHasher {
  checked = 0;
  matched = 0;

  override async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    const matches = await super.verify(hash, password);
    this.checked++;
    if (matches) this.matched++;
    return matches;
  }

  reset(): void {
    this.checked = 0;
    this.matched = 0;
  }
}

/** Two app instances on one database, as behind a load balancer. */
async function startPair(env: Record<string, string>, hasher?: PasswordHasher) {
  const options = {
    overrides: hasher
      ? (builder: TestingModuleBuilder) => builder.overrideProvider(PasswordHasher).useValue(hasher)
      : undefined,
  };
  const first = await startTestApp(env, options);
  const second = await startTestApp(env, { ...options, sameDatabaseAs: first });
  return [first, second] as const;
}

function expectRetryAfter(res: Response): void {
  expect({ status: res.status, code: res.body.code }).toEqual({
    status: 429,
    code: 'TOO_MANY_ATTEMPTS',
  });
  const header = res.headers['retry-after'];
  expect(header).toMatch(/^\d+$/);
  expect(Number(header)).toBe(res.body.retryAfterSeconds);
  expect(Number(header)).toBeGreaterThan(0);
  expect(Number(header)).toBeLessThanOrEqual(WINDOW_SECONDS);
  const cookies = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  expect(cookies.filter((c) => c.startsWith('gatehouse_session='))).toEqual([]);
}

async function failedSignIns(t: TestApp, ws: string): Promise<{ reason: string }[]> {
  const res = await t.http
    .get(`/api/workspaces/${ws}/audit-events?action=auth.sign_in_failed&limit=100`)
    .set('Authorization', t.internal)
    .expect(200);
  return (res.body.items as { details: { reason: string } }[]).map((e) => e.details);
}

describe('password sign-in throttle per account, across two instances', () => {
  const hasher = new CountingPasswordHasher();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await startPair(
      {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: String(LIMIT),
        LOGIN_MAX_FAILURES_PER_IP: '1000',
        LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      },
      hasher,
    );
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const login = (t: TestApp, workspace: string, email: string, password: string) =>
    t.http.post('/auth/password/login').send({ workspace, email, password });

  itWithConcurrentConnections(
    'checks at most the limit of 50 concurrent wrong passwords, and a right one inside the burst resets nothing',
    async () => {
      const ws = await createWorkspace(a);
      hasher.reset();
      const attempts = Array.from({ length: 51 }, (_, i) =>
        login(
          i % 2 === 0 ? a : b,
          ws.slug,
          ws.adminEmail,
          i === 25 ? PASSWORD : `wrong password ${i}`,
        ),
      );
      const answers = await Promise.all(attempts);

      const wrongChecked = hasher.checked - hasher.matched;
      expect(wrongChecked).toBeLessThanOrEqual(LIMIT);
      expect(hasher.matched).toBeLessThanOrEqual(1);
      const wrong = answers.filter((_, i) => i !== 25);
      expect(wrong.filter((r) => r.status === 401)).toHaveLength(wrongChecked);
      const refused = wrong.filter((r) => r.status !== 401);
      expect(refused.length).toBeGreaterThanOrEqual(50 - LIMIT);
      for (const res of refused) expectRetryAfter(res);
      expect([200, 429]).toContain(answers[25]!.status);
      if (answers[25]!.status === 429) expectRetryAfter(answers[25]!);

      // Afterwards, on either instance, even the right password waits for the window.
      for (const t of [a, b]) expectRetryAfter(await login(t, ws.slug, ws.adminEmail, PASSWORD));
      expect(hasher.checked - hasher.matched).toBe(wrongChecked);
    },
  );

  it('a success gives back its own attempt only: it never resets the count', async () => {
    const ws = await createWorkspace(a);
    for (let i = 0; i < LIMIT - 1; i++) {
      await login(i % 2 ? a : b, ws.slug, ws.adminEmail, `wrong ${i} password`).expect(401);
    }
    await login(a, ws.slug, ws.adminEmail, PASSWORD).expect(200);
    // Had the success reset the count, LIMIT more wrong passwords would be checked here.
    await login(b, ws.slug, ws.adminEmail, 'one more wrong one').expect(401);
    expectRetryAfter(await login(a, ws.slug, ws.adminEmail, 'and another wrong one'));
    expectRetryAfter(await login(b, ws.slug, ws.adminEmail, PASSWORD));
  });

  it('does not count attempts that check no password (method disabled)', async () => {
    const ws = await createWorkspace(a);
    const other = await createWorkspace(a);
    await addMember(a, other.slug, ws.adminEmail);
    // Forced: no SAML provider and no Office365 here, so nothing else could sign anyone in.
    await a.http
      .patch(`/api/workspaces/${other.slug}/settings?force=true`)
      .set('Authorization', a.internal)
      .send({ signInMethods: { password: false } })
      .expect(200);
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await login(b, other.slug, ws.adminEmail, `wrong ${i} password`).expect(403);
      expect(res.body.code).toBe('SIGN_IN_METHOD_DISABLED');
    }
    await login(a, ws.slug, ws.adminEmail, PASSWORD).expect(200);
  });
});

describe('password sign-in throttle per client address, across two instances', () => {
  const hasher = new CountingPasswordHasher();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await startPair(
      { LOGIN_MAX_FAILURES_PER_IP: String(LIMIT), LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' },
      hasher,
    );
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  itWithConcurrentConnections(
    'checks at most the limit of 30 concurrent guesses at different accounts',
    async () => {
      const ws = await createWorkspace(a);
      hasher.reset();
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? a : b).http
            .post('/auth/password/login')
            .send({ workspace: ws.slug, email: `guess${i}@example.com`, password: 'guess guess' }),
        ),
      );
      expect(hasher.checked).toBeLessThanOrEqual(LIMIT);
      expect(answers.filter((r) => r.status === 401)).toHaveLength(hasher.checked);
      const refused = answers.filter((r) => r.status !== 401);
      expect(refused.length).toBeGreaterThanOrEqual(30 - LIMIT);
      for (const res of refused) expectRetryAfter(res);
    },
  );
});

describe('password sign-in throttle behind a proxy that appends to X-Forwarded-For (TRUST_PROXY=true)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES_PER_IP: String(LIMIT),
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A guess whose header the client forged (left) and its proxy appended to (right). */
  const guess = (ws: string, i: number, forged: string, client: string) =>
    app.http
      .post('/auth/password/login')
      .set('X-Forwarded-For', `${forged}, ${client}`)
      .send({ workspace: ws, email: `guess${i}@example.com`, password: 'guess guess' });

  it('counts a client by the address its proxy saw, whatever address it forges in front', async () => {
    const ws = await createWorkspace(app);
    const answers: Response[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      answers.push(await guess(ws.slug, i, `10.66.0.${i + 1}`, '198.51.100.7'));
    }
    expect(answers.slice(0, LIMIT).map((r) => r.status)).toEqual(Array(LIMIT).fill(401));
    for (const res of answers.slice(LIMIT)) expectRetryAfter(res);
  });

  it('still tells two clients of the proxy apart', async () => {
    const ws = await createWorkspace(app);
    for (let i = 0; i < LIMIT; i++) {
      await guess(ws.slug, i, '10.66.1.1', '198.51.100.8').expect(401);
    }
    expectRetryAfter(await guess(ws.slug, LIMIT, '10.66.1.1', '198.51.100.8'));
    await guess(ws.slug, LIMIT + 1, '198.51.100.8', '198.51.100.9').expect(401);
  });
});

describe('SAML and Office365 refusals count per client address, across two instances', () => {
  let op: TestOpenIdProvider;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    op = await TestOpenIdProvider.start({
      mode: 'entra',
      tenants: ['0b6f3c1e-8a4d-4f7e-9c2b-5d1a7e3f9a01'],
    });
    const env = op.appEnv({ LOGIN_MAX_FAILURES_PER_IP: String(LIMIT) });
    const overrides = (builder: TestingModuleBuilder) =>
      builder.overrideProvider(OIDC_FETCH).useValue(op.fetch);
    a = await startTestApp(env, { overrides });
    b = await startTestApp(env, { overrides, sameDatabaseAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await op?.close();
  });
  // Each test starts with a fresh allowance for 127.0.0.1.
  beforeEach(() => a.dataSource.query(`DELETE FROM sign_in_failures`));

  async function samlWorkspace() {
    const keys = await idpKeys();
    const ws = await createWorkspace(a);
    await addMember(a, ws.slug, 'ada@acme.test');
    const provider = await createProvider(a, ws.slug, { key: keys[0]! });
    return { ws, provider };
  }

  itWithConcurrentConnections(
    'SAML: checks at most the limit of 20 concurrent forged responses',
    async () => {
      const { ws, provider } = await samlWorkspace();
      const forged = await responseFor(provider, 'ada@acme.test', { sign: 'none' });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postToAcs(i % 2 ? a : b, provider, forged)),
      );
      const checked = answers.filter((r) => r.status === 400);
      expect(checked.length).toBeLessThanOrEqual(LIMIT);
      const failures = await failedSignIns(a, ws.slug);
      expect(failures).toHaveLength(checked.length);
      const refused = answers.filter((r) => r.status !== 400);
      expect(refused.length).toBeGreaterThanOrEqual(20 - LIMIT);
      for (const res of refused) expectRetryAfter(res);
    },
  );

  it('SAML: a sign-in gives back its own attempt only', async () => {
    const { provider } = await samlWorkspace();
    const forged = () => responseFor(provider, 'ada@acme.test', { sign: 'none' });
    for (let i = 0; i < LIMIT - 1; i++) {
      expect((await postToAcs(i % 2 ? a : b, provider, await forged())).status).toBe(400);
    }
    const signedIn = await postToAcs(a, provider, await responseFor(provider, 'ada@acme.test'));
    expect(signedIn.status).toBe(302);
    expect((await postToAcs(b, provider, await forged())).status).toBe(400);
    expectRetryAfter(await postToAcs(a, provider, await responseFor(provider, 'ada@acme.test')));
  });

  it('SAML: an unknown provider address counts too', async () => {
    for (let i = 0; i < LIMIT; i++) {
      await a.http
        .post(`/auth/saml/no-such-provider-${i}/acs`)
        .type('form')
        .set('Accept', 'application/json')
        .send({ SAMLResponse: 'bm90IHhtbA==' })
        .expect(404);
    }
    const { provider } = await samlWorkspace();
    expectRetryAfter(await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test')));
  });

  async function office365Flow(t: TestApp, workspace: string) {
    const login = await t.http.get('/auth/office365/login').query({ workspace }).expect(302);
    const cookie = (login.headers['set-cookie'] as unknown as string[])
      .find((c) => c.startsWith('gatehouse_office365_flow='))!
      .split(';')[0]!;
    return { authorizationUrl: login.headers.location!, cookie };
  }

  itWithConcurrentConnections(
    'Office365: checks at most the limit of 20 concurrent forged callbacks',
    async () => {
      const ws = await createWorkspace(a);
      const flow = await office365Flow(a, ws.slug);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).http
            .get(`/auth/office365/callback?code=forged-${i}&state=forged`)
            .set('Cookie', flow.cookie),
        ),
      );
      const checked = answers.filter((r) => r.status === 400);
      expect(checked.length).toBeLessThanOrEqual(LIMIT);
      for (const res of checked) expect(res.body.code).toBe('OIDC_STATE_MISMATCH');
      expect(await failedSignIns(a, ws.slug)).toHaveLength(checked.length);
      const refused = answers.filter((r) => r.status !== 400);
      expect(refused.length).toBeGreaterThanOrEqual(20 - LIMIT);
      for (const res of refused) expectRetryAfter(res);
    },
  );

  it('Office365: a sign-in gives back its own attempt only', async () => {
    const ws = await createWorkspace(a);
    await addMember(a, ws.slug, 'ada@contoso.example');
    const ada = op.account({ email: 'ada@contoso.example', xms_edov: true });
    const forged = async (t: TestApp) => {
      const flow = await office365Flow(t, ws.slug);
      return t.http.get('/auth/office365/callback?code=x&state=forged').set('Cookie', flow.cookie);
    };
    for (let i = 0; i < LIMIT - 1; i++) expect((await forged(i % 2 ? a : b)).status).toBe(400);
    const flow = await office365Flow(b, ws.slug);
    const callback = await op.authorize(flow.authorizationUrl, ada.id);
    await b.http
      .get(`${callback.pathname}${callback.search}`)
      .set('Cookie', flow.cookie)
      .expect(302);
    expect((await forged(a)).status).toBe(400);
    expectRetryAfter(await forged(b));
  });
});
