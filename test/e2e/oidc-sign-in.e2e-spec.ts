import type { Response } from 'supertest';
import { OIDC_FETCH } from '../../src/auth/oidc/oidc-fetch.js';
import { addMember, createWorkspace, signIn, verifyDomain } from '../support/fixtures.js';
import { cookiePair, expectRefusal } from '../support/http.js';
import {
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_OIDC_REDIRECT_URI,
  type TestAccount,
  TestOpenIdProvider,
} from '../support/oidc-provider.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';
const FLOW_COOKIE = 'gatehouse_oidc_flow';
const FRONTEND = 'http://app.gatehouse.test';

describe('generic OpenID Connect sign-in (a workspace`s own provider)', () => {
  let op: TestOpenIdProvider;
  let t: TestApp;

  beforeAll(async () => {
    op = await TestOpenIdProvider.start({ mode: 'plain' });
    t = await startTestApp(
      { FRONTEND_URL: FRONTEND },
      { overrides: (builder) => builder.overrideProvider(OIDC_FETCH).useValue(op.fetch) },
    );
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });
  afterEach(() => {
    op.tamperIdToken = null;
  });

  function configure(ws: string, body: Record<string, unknown> = {}, auth = t.internal) {
    return t.http
      .put(`/api/workspaces/${ws}/oidc-provider`)
      .set(auth.startsWith('Bearer') ? 'Authorization' : 'Cookie', auth)
      .send({
        issuer: op.issuer,
        clientId: TEST_CLIENT_ID,
        clientSecret: TEST_CLIENT_SECRET,
        ...body,
      });
  }

  function setMethods(ws: string, signInMethods: Record<string, boolean>) {
    return t.http
      .patch(`/api/workspaces/${ws}/settings`)
      .set('Authorization', t.internal)
      .send({ signInMethods });
  }

  /** A workspace with its provider configured and the method on. */
  async function oidcWorkspace() {
    const ws = await createWorkspace(t);
    await configure(ws.slug).expect(200);
    await setMethods(ws.slug, { oidc: true }).expect(200);
    return ws;
  }

  async function throughProvider(workspace: string, account: TestAccount) {
    const login = await t.http.get('/auth/oidc/login').query({ workspace }).expect(302);
    const authorizationUrl = new URL(login.headers.location!);
    const back = await op.authorize(authorizationUrl.href, account.id);
    return {
      authorizationUrl,
      flowCookie: cookiePair(login, FLOW_COOKIE),
      callbackPath: `${back.pathname}${back.search}`,
    };
  }

  function callback(flow: { callbackPath: string; flowCookie: string }) {
    return t.http.get(flow.callbackPath).set('Cookie', flow.flowCookie);
  }

  async function signInWithOidc(workspace: string, account: TestAccount): Promise<Response> {
    return callback(await throughProvider(workspace, account));
  }

  async function failures(ws: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws}/audit-events?action=auth.sign_in_failed`)
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as { details: Record<string, unknown> }[];
  }

  async function accountExists(email: string): Promise<boolean> {
    const rows: unknown[] = await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [
      email,
    ]);
    return rows.length > 0;
  }

  describe('the admin API', () => {
    it('configures the provider: the view shows where to register, never the secret', async () => {
      const ws = await createWorkspace(t);
      const res = await configure(ws.slug).expect(200);
      expect(res.body).toEqual({
        issuer: op.issuer,
        clientId: TEST_CLIENT_ID,
        clientSecretSet: true,
        redirectUri: TEST_OIDC_REDIRECT_URI,
        loginUrl: `http://gatehouse.test/auth/oidc/login?workspace=${ws.slug}`,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const shown = await t.http
        .get(`/api/workspaces/${ws.slug}/oidc-provider`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(JSON.stringify(shown.body)).not.toContain(TEST_CLIENT_SECRET);
      const audit = await t.http
        .get(`/api/workspaces/${ws.slug}/audit-events?action=oidc_configuration.created`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(audit.body.items).toHaveLength(1);
      expect(JSON.stringify(audit.body.items)).not.toContain(TEST_CLIENT_SECRET);
    });

    it('keeps the client secret sealed at rest, not in plain text', async () => {
      const ws = await createWorkspace(t);
      await configure(ws.slug).expect(200);
      const [row]: { client_secret_sealed: string }[] = await t.dataSource.query(
        `SELECT c.client_secret_sealed FROM oidc_configurations c
           JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = $1`,
        [ws.slug],
      );
      expect(row!.client_secret_sealed).not.toContain(TEST_CLIENT_SECRET);
      expect(Buffer.from(row!.client_secret_sealed, 'base64url').toString('latin1')).not.toContain(
        TEST_CLIENT_SECRET,
      );
      expect(row!.client_secret_sealed.length).toBeGreaterThan(TEST_CLIENT_SECRET.length);
    });

    it.each([
      ['ftp://idp.example.com', 'OIDC_INVALID_ISSUER'],
      ['not a url', 'OIDC_INVALID_ISSUER'],
      ['http://idp.example.com', 'OIDC_INVALID_ISSUER'],
      ['https://user:pw@idp.example.com', 'OIDC_INVALID_ISSUER'],
      ['https://idp.example.com/?tenant=1', 'OIDC_INVALID_ISSUER'],
      ['https://169.254.169.254', 'OIDC_INVALID_ISSUER'],
      ['https://10.20.30.40/realms/acme', 'OIDC_INVALID_ISSUER'],
    ])('refuses the issuer %s (%s) and saves nothing', async (issuer, code) => {
      const ws = await createWorkspace(t);
      const res = await configure(ws.slug, { issuer });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code });
      await t.http
        .get(`/api/workspaces/${ws.slug}/oidc-provider`)
        .set('Authorization', t.internal)
        .expect(404);
    });

    it('refuses an issuer whose discovery document does not name it (422), and saves nothing', async () => {
      const ws = await createWorkspace(t);
      const res = await configure(ws.slug, { issuer: `${op.issuer}/elsewhere` });
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 422,
        code: 'OIDC_DISCOVERY_FAILED',
      });
      await t.http
        .get(`/api/workspaces/${ws.slug}/oidc-provider`)
        .set('Authorization', t.internal)
        .expect(404);
    });

    it('refuses a body without the secret (400)', async () => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .put(`/api/workspaces/${ws.slug}/oidc-provider`)
        .set('Authorization', t.internal)
        .send({ issuer: op.issuer, clientId: TEST_CLIENT_ID });
      expect(res.status).toBe(400);
    });

    it('refuses a member who is not an admin (403)', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, `member@${ws.slug}.example.com`);
      const cookie = await signIn(t, ws.slug, `member@${ws.slug}.example.com`);
      const res = await configure(ws.slug, {}, cookie);
      expect(res.status).toBe(403);
    });

    it('warns while the method is on without a provider, and refuses it as the only method', async () => {
      const ws = await createWorkspace(t);
      const on = await setMethods(ws.slug, { oidc: true }).expect(200);
      expect(on.body.warnings.map((w: { code: string }) => w.code)).toContain(
        'OIDC_WITHOUT_CONFIGURATION',
      );
      const only = await setMethods(ws.slug, { password: false, office365: false, saml: false });
      expect({ status: only.status, code: only.body.code }).toEqual({
        status: 409,
        code: 'NO_USABLE_SIGN_IN_METHOD',
      });
    });

    it('refuses removing the provider of the only usable method, unless forced', async () => {
      const ws = await oidcWorkspace();
      await setMethods(ws.slug, { password: false, office365: false, saml: false }).expect(200);
      const refused = await t.http
        .delete(`/api/workspaces/${ws.slug}/oidc-provider`)
        .set('Authorization', t.internal);
      expect({ status: refused.status, code: refused.body.code }).toEqual({
        status: 409,
        code: 'NO_USABLE_SIGN_IN_METHOD',
      });
      await t.http
        .delete(`/api/workspaces/${ws.slug}/oidc-provider?force=true`)
        .set('Authorization', t.internal)
        .expect(204);
      await t.http
        .get(`/api/workspaces/${ws.slug}/oidc-provider`)
        .set('Authorization', t.internal)
        .expect(404);
    });
  });

  describe('signing in', () => {
    it('signs in a member whose provider verified the email: session, 302, method oidc', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'ada@oidc.example');
      const ada = op.account({ email: 'Ada@oidc.example', email_verified: true, name: 'Ada' });
      const flow = await throughProvider(ws.slug, ada);
      expect(Object.fromEntries(flow.authorizationUrl.searchParams)).toMatchObject({
        client_id: TEST_CLIENT_ID,
        redirect_uri: TEST_OIDC_REDIRECT_URI,
        response_type: 'code',
        code_challenge_method: 'S256',
      });
      const res = await callback(flow).expect(302);
      expect(res.headers.location).toBe(`${FRONTEND}/`);
      const me = await t.http
        .get('/auth/session')
        .set('Cookie', cookiePair(res, 'gatehouse_session'))
        .expect(200);
      expect(me.body).toMatchObject({
        user: { email: 'ada@oidc.example' },
        workspace: { slug: ws.slug },
        method: 'oidc',
      });
    });

    it('creates an account just in time for a verified email in a verified claimed domain', async () => {
      const ws = await oidcWorkspace();
      const domain = `${ws.slug}.example.org`;
      await verifyDomain(t, ws.slug, domain);
      const grace = op.account({ email: `grace@${domain}`, email_verified: true, name: 'Grace' });
      const res = await signInWithOidc(ws.slug, grace);
      expect(res.status).toBe(302);
      const members = await t.http
        .get(`/api/workspaces/${ws.slug}/members?email=grace@${domain}`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(members.body.items).toEqual([
        expect.objectContaining({ email: `grace@${domain}`, role: 'member', source: 'oidc' }),
      ]);
    });

    it('refuses someone new whose email is outside the claimed domains, and creates nothing', async () => {
      const ws = await oidcWorkspace();
      await verifyDomain(t, ws.slug, `${ws.slug}.example.org`);
      const email = `mallory@elsewhere-${ws.slug}.example`;
      const mallory = op.account({ email, email_verified: true });
      expectRefusal(await signInWithOidc(ws.slug, mallory), 403, 'NOT_A_MEMBER');
      expect(await accountExists(email)).toBe(false);
    });

    it('refuses an email the provider did not verify (OIDC_EMAIL_UNVERIFIED), even a member`s', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'unverified@oidc.example');
      for (const claims of [
        { email: 'unverified@oidc.example', email_verified: false },
        { email: 'unverified@oidc.example' },
      ]) {
        const account = op.account(claims);
        expectRefusal(await signInWithOidc(ws.slug, account), 403, 'OIDC_EMAIL_UNVERIFIED');
      }
      const [failed] = await failures(ws.slug);
      expect(failed!.details).toMatchObject({
        method: 'oidc',
        reason: 'OIDC_EMAIL_UNVERIFIED',
        email: 'unverified@oidc.example',
        emailVerified: false,
      });
    });

    it('refuses an account without an email (OIDC_NO_EMAIL)', async () => {
      const ws = await oidcWorkspace();
      const account = op.account({ name: 'No Mail' });
      expectRefusal(await signInWithOidc(ws.slug, account), 400, 'OIDC_NO_EMAIL');
    });

    it('refuses a deactivated member (MEMBERSHIP_DEACTIVATED), with no session', async () => {
      const ws = await oidcWorkspace();
      const userId = await addMember(t, ws.slug, 'gone@oidc.example');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${userId}`)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      const gone = op.account({ email: 'gone@oidc.example', email_verified: true });
      expectRefusal(await signInWithOidc(ws.slug, gone), 403, 'MEMBERSHIP_DEACTIVATED');
      const sessions: unknown[] = await t.dataSource.query(
        `SELECT 1 FROM sessions WHERE user_id = $1`,
        [userId],
      );
      expect(sessions).toHaveLength(0);
    });

    it('creates nobody just in time while only SCIM may provision the workspace', async () => {
      const ws = await oidcWorkspace();
      const domain = `${ws.slug}.example.org`;
      await verifyDomain(t, ws.slug, domain);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ scimOnlyProvisioning: true })
        .expect(200);
      const email = `late@${domain}`;
      const late = op.account({ email, email_verified: true });
      expectRefusal(await signInWithOidc(ws.slug, late), 403, 'NOT_A_MEMBER');
      expect(await accountExists(email)).toBe(false);
    });

    it('reports a refusal at the provider (access_denied) as 400 OIDC_IDP_ERROR', async () => {
      const ws = await oidcWorkspace();
      const account = op.account({ email: 'cancel@oidc.example', email_verified: true });
      const login = await t.http.get('/auth/oidc/login').query({ workspace: ws.slug }).expect(302);
      const back = await op.authorize(login.headers.location!, account.id, { abort: true });
      const res = await callback({
        callbackPath: `${back.pathname}${back.search}`,
        flowCookie: cookiePair(login, FLOW_COOKIE),
      });
      expectRefusal(res, 400, 'OIDC_IDP_ERROR');
      expect(res.body.idpError).toBe('access_denied');
      expect(res.body.message).toContain('identity provider');
    });
  });

  describe('a disabled or missing method', () => {
    it('refuses with the exact message at login when the method is off (the default)', async () => {
      const ws = await createWorkspace(t);
      await configure(ws.slug).expect(200);
      const res = await t.http.get('/auth/oidc/login').query({ workspace: ws.slug });
      expectRefusal(res, 403, 'SIGN_IN_METHOD_DISABLED');
      expect(res.body.message).toBe(DISABLED_MESSAGE);
    });

    it('refuses with the exact message when the method is switched off before the callback', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'late@oidc.example');
      const late = op.account({ email: 'late@oidc.example', email_verified: true });
      const flow = await throughProvider(ws.slug, late);
      await setMethods(ws.slug, { oidc: false }).expect(200);
      const res = await callback(flow);
      expectRefusal(res, 403, 'SIGN_IN_METHOD_DISABLED');
      expect(res.body.message).toBe(DISABLED_MESSAGE);
    });

    it('answers 404 OIDC_NOT_CONFIGURED when the method is on without a provider', async () => {
      const ws = await createWorkspace(t);
      await setMethods(ws.slug, { oidc: true }).expect(200);
      const res = await t.http.get('/auth/oidc/login').query({ workspace: ws.slug });
      expectRefusal(res, 404, 'OIDC_NOT_CONFIGURED');
    });

    it('signs out the sessions made with it when the method is switched off', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'out@oidc.example');
      const out = op.account({ email: 'out@oidc.example', email_verified: true });
      const res = await signInWithOidc(ws.slug, out);
      const cookie = cookiePair(res, 'gatehouse_session');
      await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      await setMethods(ws.slug, { oidc: false }).expect(200);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    });
  });

  describe('answers that are not for us', () => {
    it.each([
      ['another issuer', { iss: 'http://127.0.0.1:9/not-the-issuer' }, /"iss"/],
      ['another audience', { aud: 'someone-else' }, /"aud"/],
      ['another nonce', { nonce: 'not-the-nonce' }, /"nonce"/],
    ])(
      'refuses an ID token with %s (OIDC_CALLBACK_FAILED), signing nobody in',
      async (_, wrong, why) => {
        const ws = await oidcWorkspace();
        const email = `victim-${Object.keys(wrong)[0]}@oidc.example`;
        await addMember(t, ws.slug, email);
        const victim = op.account({ email, email_verified: true });
        const flow = await throughProvider(ws.slug, victim);
        op.tamperIdToken = (claims) => ({ ...claims, ...wrong });
        expectRefusal(await callback(flow), 400, 'OIDC_CALLBACK_FAILED');
        const [failed] = await failures(ws.slug);
        expect(failed!.details).toMatchObject({ method: 'oidc', reason: 'OIDC_CALLBACK_FAILED' });
        expect(failed!.details.error).toMatch(why);
      },
    );

    it('accepts an ID token signed again with its claims untouched (the tampering hook is sound)', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'control@oidc.example');
      const control = op.account({ email: 'control@oidc.example', email_verified: true });
      const flow = await throughProvider(ws.slug, control);
      op.tamperIdToken = (claims) => claims;
      await callback(flow).expect(302);
    });

    it('signs nobody into another workspace: a flow started for workspace A stays in A', async () => {
      const a = await oidcWorkspace();
      const b = await oidcWorkspace();
      const email = `bob-${b.slug}@oidc.example`;
      await addMember(t, b.slug, email);
      const bob = op.account({ email, email_verified: true });
      // Bob is B's member only: authenticated through A's flow, A refuses him...
      expectRefusal(await signInWithOidc(a.slug, bob), 403, 'NOT_A_MEMBER');
      // ...and B's flow cookie cannot carry A's answer into B.
      const intoA = await throughProvider(a.slug, bob);
      const intoB = await throughProvider(b.slug, bob);
      expectRefusal(
        await callback({ callbackPath: intoA.callbackPath, flowCookie: intoB.flowCookie }),
        400,
        'OIDC_STATE_MISMATCH',
      );
      const sessions: unknown[] = await t.dataSource.query(
        `SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1`,
        [email],
      );
      expect(sessions).toEqual([]);
    });

    it('refuses an answer meant for another sign-in attempt (state mismatch)', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'csrf@oidc.example');
      const attacker = op.account({ email: 'csrf@oidc.example', email_verified: true });
      const attackerFlow = await throughProvider(ws.slug, attacker);
      const victimLogin = await t.http
        .get('/auth/oidc/login')
        .query({ workspace: ws.slug })
        .expect(302);
      const res = await callback({
        callbackPath: attackerFlow.callbackPath,
        flowCookie: cookiePair(victimLogin, FLOW_COOKIE),
      });
      expectRefusal(res, 400, 'OIDC_STATE_MISMATCH');
    });

    it('refuses a flow cookie of the Office365 method, or none (OIDC_FLOW_INVALID)', async () => {
      const ws = await oidcWorkspace();
      await addMember(t, ws.slug, 'cookie@oidc.example');
      const account = op.account({ email: 'cookie@oidc.example', email_verified: true });
      const flow = await throughProvider(ws.slug, account);
      const value = flow.flowCookie.split('=')[1]!;
      expectRefusal(
        await t.http.get(flow.callbackPath).set('Cookie', `gatehouse_office365_flow=${value}`),
        400,
        'OIDC_FLOW_INVALID',
      );
      expectRefusal(await t.http.get(flow.callbackPath), 400, 'OIDC_FLOW_INVALID');
    });

    it('answers 503 OIDC_UNAVAILABLE while the provider is unreachable', async () => {
      const ws = await createWorkspace(t);
      await configure(ws.slug).expect(200);
      await setMethods(ws.slug, { oidc: true }).expect(200);
      op.offline = true;
      try {
        const res = await t.http.get('/auth/oidc/login').query({ workspace: ws.slug });
        expectRefusal(res, 503, 'OIDC_UNAVAILABLE');
      } finally {
        op.offline = false;
      }
      await t.http.get('/auth/oidc/login').query({ workspace: ws.slug }).expect(302);
    });
  });
});
