import { jest } from '@jest/globals';
import type { Response } from 'supertest';
import { Office365SignIn } from '../../src/auth/office365/office365.method.js';
import { OIDC_FETCH } from '../../src/auth/oidc/oidc-fetch.js';
import {
  boundKeyOrThrow,
  linkableEmailOrThrow,
  office365IdentityFromClaims,
} from '../../src/auth/office365/office365-identity.js';
import { loadConfig } from '../../src/config/configuration.js';
import { addMember, createWorkspace, verifyDomain } from '../support/fixtures.js';
import { cookieHeader, cookiePair, expectRefusal } from '../support/http.js';
import {
  MICROSOFT_ORIGIN,
  TEST_CLIENT_ID,
  TEST_REDIRECT_URI,
  TestAccount,
  TestOpenIdProvider,
} from '../support/oidc-provider.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';
const TENANT_A = '0b6f3c1e-8a4d-4f7e-9c2b-5d1a7e3f9a01';
const TENANT_B = 'e4d2a9b7-3c5f-4e81-a6d0-2f9b8c7e1d02';
const FRONTEND = 'http://app.gatehouse.test';
const FLOW_COOKIE = 'gatehouse_office365_flow';

async function enableOffice365(t: TestApp, ws: string, enabled: boolean): Promise<void> {
  await t.http
    .patch(`/api/workspaces/${ws}/settings`)
    .set('Authorization', t.internal)
    .send({ signInMethods: { office365: enabled } })
    .expect(200);
}

async function auditEvents(t: TestApp, ws: string, action: string) {
  const res = await t.http
    .get(`/api/workspaces/${ws}/audit-events?action=${action}`)
    .set('Authorization', t.internal)
    .expect(200);
  return res.body.items as {
    channel: string;
    actorType: string;
    actorLabel: string;
    details: Record<string, unknown>;
  }[];
}

/** The bindings of a test account's object id. */
async function bindingsOf(
  t: TestApp,
  account: TestAccount,
): Promise<{ provider: string; tenant_id: string; subject: string; user_id: string }[]> {
  return t.dataSource.query(
    `SELECT provider, tenant_id, subject, user_id FROM external_identities WHERE subject = $1`,
    [account.claims.oid],
  );
}

/** The user id of the session a successful callback set. */
async function sessionUser(t: TestApp, res: Response): Promise<string> {
  const me = await t.http
    .get('/auth/session')
    .set('Cookie', cookiePair(res, 'gatehouse_session'))
    .expect(200);
  return me.body.user.id as string;
}

interface Flow {
  login: Response;
  /** `gatehouse_office365_flow=...` */
  flowCookie: string;
  authorizationUrl: URL;
  /** Where the provider sent the browser back (path and query on the app). */
  callbackPath: string;
}

/** GET /auth/office365/login, then the provider's pages as the account. */
async function throughProvider(
  t: TestApp,
  op: TestOpenIdProvider,
  workspace: string,
  account: TestAccount,
  options: { redirect?: string; abort?: boolean } = {},
): Promise<Flow> {
  const login = await t.http
    .get('/auth/office365/login')
    .query({ workspace, ...(options.redirect ? { redirect: options.redirect } : {}) })
    .expect(302);
  const authorizationUrl = new URL(login.headers.location!);
  const callback = await op.authorize(authorizationUrl.href, account.id, options);
  return {
    login,
    flowCookie: cookiePair(login, FLOW_COOKIE),
    authorizationUrl,
    callbackPath: `${callback.pathname}${callback.search}`,
  };
}

function callback(t: TestApp, flow: Pick<Flow, 'callbackPath' | 'flowCookie'>) {
  return t.http.get(flow.callbackPath).set('Cookie', flow.flowCookie);
}

/** The whole sign-in; returns the callback's response. */
async function signInWithOffice365(
  t: TestApp,
  op: TestOpenIdProvider,
  workspace: string,
  account: TestAccount,
  options: { redirect?: string } = {},
): Promise<Response> {
  return callback(t, await throughProvider(t, op, workspace, account, options));
}

/** The whole sign-in, which must succeed (302). */
async function signInOk(
  t: TestApp,
  op: TestOpenIdProvider,
  workspace: string,
  account: TestAccount,
  options: { redirect?: string } = {},
): Promise<Response> {
  const res = await signInWithOffice365(t, op, workspace, account, options);
  expect({ status: res.status, body: res.body }).toEqual({ status: 302, body: {} });
  return res;
}

describe('Office365 sign-in (Microsoft Entra ID emulated, multi-tenant /common issuer)', () => {
  let op: TestOpenIdProvider;
  let t: TestApp;

  beforeAll(async () => {
    op = await TestOpenIdProvider.start({ mode: 'entra', tenants: [TENANT_A, TENANT_B] });
    t = await startTestApp(op.appEnv({ FRONTEND_URL: FRONTEND }), {
      overrides: (builder) => builder.overrideProvider(OIDC_FETCH).useValue(op.fetch),
    });
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  describe('signing in', () => {
    it('signs in an active member: session cookie, 302 to the frontend, method office365', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'ada@contoso.example');
      const ada = op.account(
        {
          email: 'Ada@Contoso.example',
          xms_edov: true,
          name: 'Ada Lovelace',
          preferred_username: 'ada@contoso.example',
        },
        TENANT_A,
      );

      const flow = await throughProvider(t, op, ws.slug, ada);
      // The authorization request: code flow, PKCE S256, state, nonce, the registered callback.
      expect(flow.authorizationUrl.origin).toBe(MICROSOFT_ORIGIN);
      expect(flow.authorizationUrl.pathname.startsWith('/common/v2.0/')).toBe(true);
      const params = flow.authorizationUrl.searchParams;
      expect(Object.fromEntries(params)).toMatchObject({
        client_id: TEST_CLIENT_ID,
        response_type: 'code',
        scope: 'openid profile email',
        redirect_uri: TEST_REDIRECT_URI,
        code_challenge_method: 'S256',
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(flow.callbackPath).toMatch(/^\/auth\/office365\/callback\?code=/);

      const res = await callback(t, flow).expect(302);
      expect(res.headers.location).toBe(`${FRONTEND}/`);
      const session = cookieHeader(res, 'gatehouse_session')!;
      expect(session).toMatch(/^gatehouse_session=[A-Za-z0-9_-]{43};/);
      expect(session).toMatch(/HttpOnly/);
      expect(session).toMatch(/SameSite=Lax/);
      // The flow cookie is spent.
      expect(cookieHeader(res, FLOW_COOKIE)).toMatch(
        /^gatehouse_office365_flow=;.*Expires=Thu, 01 Jan 1970/,
      );

      const me = await t.http
        .get('/auth/session')
        .set('Cookie', cookiePair(res, 'gatehouse_session'))
        .expect(200);
      expect(me.body).toMatchObject({
        user: { id: userId, email: 'ada@contoso.example' },
        workspace: { id: ws.id, slug: ws.slug },
        role: 'member',
        method: 'office365',
      });

      const [created] = await auditEvents(t, ws.slug, 'session.created');
      expect(created).toMatchObject({
        channel: 'auth',
        actorType: 'idp',
        actorLabel: 'Office365',
        details: { method: 'office365', userId, email: 'ada@contoso.example', justInTime: false },
      });
    });

    it('keeps the flow in a sealed, HttpOnly, SameSite=Lax cookie scoped to /auth/office365', async () => {
      const ws = await createWorkspace(t);
      const login = await t.http
        .get('/auth/office365/login')
        .query({ workspace: ws.id })
        .expect(302);
      const header = cookieHeader(login, FLOW_COOKIE)!;
      expect(header).toMatch(/HttpOnly/);
      expect(header).toMatch(/SameSite=Lax/);
      expect(header).toMatch(/Path=\/auth\/office365(;|$)/);
      expect(header).toMatch(/Max-Age=600/);
      expect(header).not.toMatch(/Secure/); // PUBLIC_URL is http in this test app
      // Encrypted: neither the state nor anything readable is in it.
      const value = decodeURIComponent(cookiePair(login, FLOW_COOKIE).split('=')[1]!);
      const state = new URL(login.headers.location!).searchParams.get('state')!;
      const decoded = Buffer.from(value, 'base64url').toString('latin1');
      expect(value).not.toContain(state);
      expect(decoded).not.toContain(ws.id);
      expect(decoded).not.toContain('state');
    });

    it('signs in people of two different tenants through the one /common issuer', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'a@tenant-a.example');
      await addMember(t, ws.slug, 'b@tenant-b.example');
      const a = op.account({ email: 'a@tenant-a.example', xms_edov: true }, TENANT_A);
      const b = op.account({ email: 'b@tenant-b.example', xms_edov: true }, TENANT_B);
      await signInOk(t, op, ws.slug, a);
      await signInOk(t, op, ws.slug, b);
      const events = await auditEvents(t, ws.slug, 'session.created');
      expect(events.map((e) => e.details.email)).toEqual(
        expect.arrayContaining(['a@tenant-a.example', 'b@tenant-b.example']),
      );
      // Discovery happened once for the whole app, not per sign-in.
      const discoveries = op.appRequests.filter((r) => r.includes('openid-configuration'));
      expect(discoveries).toEqual([
        `GET ${MICROSOFT_ORIGIN}/common/v2.0/.well-known/openid-configuration`,
      ]);
    });

    it('keeps a redirect on the frontend origin and replaces one elsewhere', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'redirect@contoso.example');
      const account = op.account({ email: 'redirect@contoso.example', xms_edov: true });
      const kept = await signInOk(t, op, ws.slug, account, {
        redirect: '/members?page=2',
      });
      expect(kept.headers.location).toBe(`${FRONTEND}/members?page=2`);
      const absolute = await signInOk(t, op, ws.slug, account, {
        redirect: `${FRONTEND}/settings`,
      });
      expect(absolute.headers.location).toBe(`${FRONTEND}/settings`);
      for (const elsewhere of ['https://evil.example/phish', '//evil.example/x']) {
        const replaced = await signInOk(t, op, ws.slug, account, {
          redirect: elsewhere,
        });
        expect(replaced.headers.location).toBe(`${FRONTEND}/`);
      }
    });
  });

  describe('nOAuth: an identity is bound by tid + oid, an email links it only when verified', () => {
    it('refuses an attacker tenant whose unverified email names a member: no session, no binding', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'victim@contoso.example');
      for (const xmsEdov of [{ xms_edov: false }, {}]) {
        const attacker = op.account(
          {
            email: 'Victim@Contoso.example',
            ...xmsEdov,
            preferred_username: 'attacker@fabrikam.onmicrosoft.com',
          },
          TENANT_B,
        );
        const res = await signInWithOffice365(t, op, ws.slug, attacker);
        expectRefusal(res, 403, 'OFFICE365_EMAIL_UNVERIFIED');
        expect(await bindingsOf(t, attacker)).toEqual([]);
        const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
        expect(failed!.details).toMatchObject({
          method: 'office365',
          reason: 'OFFICE365_EMAIL_UNVERIFIED',
          tenantId: TENANT_B,
          objectId: attacker.claims.oid,
          email: 'victim@contoso.example',
          emailDomainVerified: false,
        });
      }
      expect(await auditEvents(t, ws.slug, 'session.created')).toEqual([]);
    });

    it('refuses a preferred_username naming a member when there is no email claim', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'upn-victim@contoso.example');
      const attacker = op.account({ preferred_username: 'UPN-Victim@contoso.example' }, TENANT_B);
      const res = await signInWithOffice365(t, op, ws.slug, attacker);
      expectRefusal(res, 403, 'OFFICE365_EMAIL_UNVERIFIED');
      expect(await bindingsOf(t, attacker)).toEqual([]);
    });

    it('links a Microsoft-verified email once; then tid + oid decide, whatever the email says', async () => {
      const ws = await createWorkspace(t);
      const adaId = await addMember(t, ws.slug, 'ada.bound@contoso.example');
      const graceId = await addMember(t, ws.slug, 'grace.bound@contoso.example');
      const ada = op.account({ email: 'ada.bound@contoso.example', xms_edov: true }, TENANT_A);

      const first = await signInOk(t, op, ws.slug, ada);
      expect(await sessionUser(t, first)).toBe(adaId);
      expect(await bindingsOf(t, ada)).toEqual([
        { provider: 'office365', tenant_id: TENANT_A, subject: ada.claims.oid, user_id: adaId },
      ]);
      const [linked] = await auditEvents(t, ws.slug, 'auth.identity_linked');
      expect(linked).toMatchObject({
        channel: 'auth',
        actorLabel: 'Office365',
        details: {
          method: 'office365',
          tenantId: TENANT_A,
          objectId: ada.claims.oid,
          email: 'ada.bound@contoso.example',
          via: 'microsoft_verified_email',
        },
      });

      // The tenant admin renames her mail to a colleague's address, then removes it entirely.
      ada.claims.email = 'grace.bound@contoso.example';
      const renamed = await signInOk(t, op, ws.slug, ada);
      expect(await sessionUser(t, renamed)).toBe(adaId);
      ada.claims.email = undefined;
      ada.claims.xms_edov = undefined;
      const noEmail = await signInOk(t, op, ws.slug, ada);
      expect(await sessionUser(t, noEmail)).toBe(adaId);

      // Nothing about the accounts changed, and grace was never signed in.
      const rows: { id: string; email: string }[] = await t.dataSource.query(
        `SELECT id, email FROM users WHERE id = ANY($1) ORDER BY email`,
        [[adaId, graceId]],
      );
      expect(rows).toEqual([
        { id: adaId, email: 'ada.bound@contoso.example' },
        { id: graceId, email: 'grace.bound@contoso.example' },
      ]);
      const sessions = await auditEvents(t, ws.slug, 'session.created');
      expect(sessions.map((e) => e.details.userId)).toEqual([adaId, adaId, adaId]);
      expect(await auditEvents(t, ws.slug, 'auth.identity_linked')).toHaveLength(1);
    });

    it('refuses another oid claiming a bound person`s email without verification', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'bound-victim@contoso.example');
      const victim = op.account(
        { email: 'bound-victim@contoso.example', xms_edov: true },
        TENANT_A,
      );
      await signInOk(t, op, ws.slug, victim);
      for (const [tenant, claims] of [
        [TENANT_B, { email: 'bound-victim@contoso.example', xms_edov: false }],
        [TENANT_B, { email: 'bound-victim@contoso.example' }],
        [TENANT_A, { email: 'bound-victim@contoso.example' }],
        [TENANT_B, { preferred_username: 'bound-victim@contoso.example' }],
      ] as const) {
        const attacker = op.account({ ...claims }, tenant);
        const res = await signInWithOffice365(t, op, ws.slug, attacker);
        expectRefusal(res, 403, 'OFFICE365_EMAIL_UNVERIFIED');
        expect(await bindingsOf(t, attacker)).toEqual([]);
      }
      const rows = await t.dataSource.query(
        `SELECT tenant_id, subject FROM external_identities WHERE user_id = $1`,
        [userId],
      );
      expect(rows).toEqual([{ tenant_id: TENANT_A, subject: victim.claims.oid }]);
    });

    it('refuses to bind an account bound in another tenant, even with a verified email', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'two-tenants@contoso.example');
      const home = op.account({ email: 'two-tenants@contoso.example', xms_edov: true }, TENANT_A);
      await signInOk(t, op, ws.slug, home);
      const other = op.account({ email: 'two-tenants@contoso.example', xms_edov: true }, TENANT_B);
      const res = await signInWithOffice365(t, op, ws.slug, other);
      expectRefusal(res, 403, 'OFFICE365_ACCOUNT_BOUND_TO_OTHER_TENANT');
      expect(await bindingsOf(t, other)).toEqual([]);
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({
        reason: 'OFFICE365_ACCOUNT_BOUND_TO_OTHER_TENANT',
        tenantId: TENANT_B,
        objectId: other.claims.oid,
      });
      // A new account of the same tenant (e.g. recreated) with the verified address still links.
      const recreated = op.account(
        { email: 'two-tenants@contoso.example', xms_edov: true },
        TENANT_A,
      );
      const again = await signInOk(t, op, ws.slug, recreated);
      expect(await sessionUser(t, again)).toBe(userId);
      expect(await bindingsOf(t, recreated)).toHaveLength(1);
    });

    it('never links a token without an object id (OFFICE365_IDENTITY_INCOMPLETE)', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'no-oid@contoso.example');
      const account = op.account({ email: 'no-oid@contoso.example', xms_edov: true, oid: null });
      const res = await signInWithOffice365(t, op, ws.slug, account);
      expectRefusal(res, 400, 'OFFICE365_IDENTITY_INCOMPLETE');
      const rows = await t.dataSource.query(
        `SELECT 1 FROM external_identities e JOIN users u ON u.id = e.user_id
          WHERE u.email = 'no-oid@contoso.example'`,
      );
      expect(rows).toEqual([]);
    });

    it('does not link a verified email of someone who is not a member', async () => {
      const a = await createWorkspace(t);
      const b = await createWorkspace(t);
      await addMember(t, a.slug, 'only-in-a@contoso.example');
      const account = op.account({ email: 'only-in-a@contoso.example', xms_edov: true });
      expectRefusal(await signInWithOffice365(t, op, b.slug, account), 403, 'NOT_A_MEMBER');
      expect(await bindingsOf(t, account)).toEqual([]);
    });
  });

  describe('refusals', () => {
    it('refuses an account without any email (OIDC_NO_EMAIL)', async () => {
      const ws = await createWorkspace(t);
      const account = op.account({ preferred_username: 'jdoe', name: 'J. Doe' });
      const res = await signInWithOffice365(t, op, ws.slug, account);
      expectRefusal(res, 400, 'OIDC_NO_EMAIL');
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed).toMatchObject({
        channel: 'auth',
        actorType: 'idp',
        actorLabel: 'Office365',
        details: { method: 'office365', reason: 'OIDC_NO_EMAIL', tenantId: TENANT_A },
      });
    });

    it('answers 404 for an unknown workspace, by slug or id', async () => {
      for (const workspace of ['no-such-workspace', '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b']) {
        const res = await t.http.get('/auth/office365/login').query({ workspace });
        expectRefusal(res, 404, 'WORKSPACE_NOT_FOUND');
        expect(cookieHeader(res, FLOW_COOKIE)).toBeUndefined();
      }
      const missing = await t.http.get('/auth/office365/login');
      expectRefusal(missing, 400, 'VALIDATION_FAILED');
    });

    it('refuses with the exact message when Office365 is disabled, at login', async () => {
      const ws = await createWorkspace(t);
      await enableOffice365(t, ws.slug, false);
      const res = await t.http.get('/auth/office365/login').query({ workspace: ws.slug });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        statusCode: 403,
        code: 'SIGN_IN_METHOD_DISABLED',
        message: DISABLED_MESSAGE,
        method: 'office365',
      });
      expect(cookieHeader(res, FLOW_COOKIE)).toBeUndefined();
    });

    it('refuses with the exact message when Office365 is disabled between login and callback', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'late@contoso.example');
      const account = op.account({ email: 'late@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account);
      await enableOffice365(t, ws.slug, false);
      const res = await callback(t, flow);
      expectRefusal(res, 403, 'SIGN_IN_METHOD_DISABLED');
      expect(res.body.message).toBe(DISABLED_MESSAGE);
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({
        method: 'office365',
        reason: 'SIGN_IN_METHOD_DISABLED',
      });
    });

    it('checks the method before the membership', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'both@contoso.example');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${userId}`)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      const account = op.account({ email: 'both@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account);
      await enableOffice365(t, ws.slug, false);
      expectRefusal(await callback(t, flow), 403, 'SIGN_IN_METHOD_DISABLED');
    });

    it('refuses a deactivated member (MEMBERSHIP_DEACTIVATED)', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'gone@contoso.example');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${userId}`)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      const account = op.account({ email: 'gone@contoso.example', xms_edov: true });
      const res = await signInWithOffice365(t, op, ws.slug, account);
      expectRefusal(res, 403, 'MEMBERSHIP_DEACTIVATED');
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({
        method: 'office365',
        reason: 'MEMBERSHIP_DEACTIVATED',
        email: 'gone@contoso.example',
      });
      const sessions: unknown[] = await t.dataSource.query(
        `SELECT 1 FROM sessions WHERE user_id = $1`,
        [userId],
      );
      expect(sessions).toHaveLength(0);
    });

    it('refuses a person who is not a member, and creates no account', async () => {
      const ws = await createWorkspace(t);
      const stranger = op.account({ email: 'stranger@contoso.example', xms_edov: true });
      const res = await signInWithOffice365(t, op, ws.slug, stranger);
      expectRefusal(res, 403, 'NOT_A_MEMBER');
      const users: unknown[] = await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [
        'stranger@contoso.example',
      ]);
      expect(users).toHaveLength(0);
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({
        method: 'office365',
        reason: 'NOT_A_MEMBER',
        email: 'stranger@contoso.example',
      });
    });

    it('refuses a callback without the flow cookie, or with a tampered one (400)', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'cookie@contoso.example');
      const account = op.account({ email: 'cookie@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account);

      const missing = await t.http.get(flow.callbackPath);
      expectRefusal(missing, 400, 'OIDC_FLOW_INVALID');

      const [name, value] = flow.flowCookie.split('=') as [string, string];
      const raw = Buffer.from(decodeURIComponent(value), 'base64url');
      raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 0x01, raw.length - 1);
      const tampered = await t.http
        .get(flow.callbackPath)
        .set('Cookie', `${name}=${raw.toString('base64url')}`);
      expectRefusal(tampered, 400, 'OIDC_FLOW_INVALID');
      const garbage = await t.http
        .get(flow.callbackPath)
        .set('Cookie', `${name}=not-a-sealed-value`);
      expectRefusal(garbage, 400, 'OIDC_FLOW_INVALID');

      // The untouched cookie still works: nothing above spent the code.
      await callback(t, flow).expect(302);
    });

    it('refuses an expired flow cookie (400)', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'slow@contoso.example');
      const account = op.account({ email: 'slow@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account);
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 11 * 60_000);
      try {
        expectRefusal(await callback(t, flow), 400, 'OIDC_FLOW_INVALID');
      } finally {
        clock.mockRestore();
      }
    });

    it('refuses an answer meant for another sign-in attempt (state mismatch)', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'victim2@contoso.example');
      const attacker = op.account({ email: 'victim2@contoso.example', xms_edov: true });
      // Login CSRF: the attacker's code and state, the victim's browser (its own flow cookie).
      const attackerFlow = await throughProvider(t, op, ws.slug, attacker);
      const victimLogin = await t.http
        .get('/auth/office365/login')
        .query({ workspace: ws.slug })
        .expect(302);
      const res = await callback(t, {
        callbackPath: attackerFlow.callbackPath,
        flowCookie: cookiePair(victimLogin, FLOW_COOKIE),
      });
      expectRefusal(res, 400, 'OIDC_STATE_MISMATCH');
      const noState = await t.http
        .get(attackerFlow.callbackPath.replace(/&state=[^&]+/, ''))
        .set('Cookie', attackerFlow.flowCookie);
      expectRefusal(noState, 400, 'OIDC_STATE_MISMATCH');
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({ method: 'office365', reason: 'OIDC_STATE_MISMATCH' });
    });

    it('does not accept the same code twice', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'twice@contoso.example');
      const account = op.account({ email: 'twice@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account);
      await callback(t, flow).expect(302);
      expectRefusal(await callback(t, flow), 400, 'OIDC_CALLBACK_FAILED');
    });

    it('reports an error from Microsoft (access_denied) as 400', async () => {
      const ws = await createWorkspace(t);
      const account = op.account({ email: 'cancel@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account, { abort: true });
      expect(flow.callbackPath).toMatch(/error=access_denied/);
      const res = await callback(t, flow);
      expectRefusal(res, 400, 'OIDC_IDP_ERROR');
      expect(res.body).toMatchObject({
        idpError: 'access_denied',
        message: expect.stringMatching(/cancelled or refused at Microsoft/),
      });
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({
        method: 'office365',
        reason: 'OIDC_IDP_ERROR',
        idpError: 'access_denied',
        idpErrorDescription: 'End-User aborted interaction',
      });
    });

    it('refuses an ID token whose issuer is not the tenant named by its tid', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'mixed@contoso.example');
      // Signed by tenant A's issuer but claiming to be from tenant B.
      const mixed = op.account(
        { email: 'mixed@contoso.example', xms_edov: true, tid: TENANT_B },
        TENANT_A,
      );
      const res = await signInWithOffice365(t, op, ws.slug, mixed);
      expectRefusal(res, 400, 'OIDC_CALLBACK_FAILED');
      const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
      expect(failed!.details).toMatchObject({
        method: 'office365',
        reason: 'OIDC_CALLBACK_FAILED',
        error: expect.stringMatching(/"iss"/),
      });
    });

    it('shows a browser an HTML error page, not JSON', async () => {
      const ws = await createWorkspace(t);
      const account = op.account({ email: 'browser@contoso.example', xms_edov: true });
      const flow = await throughProvider(t, op, ws.slug, account);
      const res = await callback(t, flow).set(
        'Accept',
        'text/html,application/xhtml+xml,*/*;q=0.8',
      );
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<code id="code">NOT_A_MEMBER</code>');
      const noCookie = await t.http
        .get('/auth/office365/callback?code=x&state=y')
        .set('Accept', 'text/html');
      expect(noCookie.status).toBe(400);
      expect(noCookie.text).toContain('<code id="code">OIDC_FLOW_INVALID</code>');
    });
  });
});

describe('Office365 sign-in restricted to allowed tenants', () => {
  let op: TestOpenIdProvider;
  let t: TestApp;

  beforeAll(async () => {
    op = await TestOpenIdProvider.start({ mode: 'entra', tenants: [TENANT_A, TENANT_B] });
    t = await startTestApp(op.appEnv({ OFFICE365_ALLOWED_TENANTS: TENANT_A.toUpperCase() }), {
      overrides: (builder) => builder.overrideProvider(OIDC_FETCH).useValue(op.fetch),
    });
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  // First in this block: discovery has not happened yet in this app.
  it('answers 503 while Microsoft is unreachable, and discovers once it is back', async () => {
    const ws = await createWorkspace(t);
    op.offline = true;
    const down = await t.http.get('/auth/office365/login').query({ workspace: ws.slug });
    expectRefusal(down, 503, 'OFFICE365_UNAVAILABLE');
    op.offline = false;
    await t.http.get('/auth/office365/login').query({ workspace: ws.slug }).expect(302);
  });

  it('signs in a person of an allowed tenant', async () => {
    const ws = await createWorkspace(t);
    await addMember(t, ws.slug, 'in@tenant-a.example');
    const account = op.account({ email: 'in@tenant-a.example', xms_edov: true }, TENANT_A);
    await signInOk(t, op, ws.slug, account);
  });

  it('refuses a person of another tenant (OFFICE365_TENANT_NOT_ALLOWED), even a member', async () => {
    const ws = await createWorkspace(t);
    await addMember(t, ws.slug, 'out@tenant-b.example');
    const account = op.account({ email: 'out@tenant-b.example', xms_edov: true }, TENANT_B);
    const res = await signInWithOffice365(t, op, ws.slug, account);
    expectRefusal(res, 403, 'OFFICE365_TENANT_NOT_ALLOWED');
    const [failed] = await auditEvents(t, ws.slug, 'auth.sign_in_failed');
    expect(failed!.details).toMatchObject({
      method: 'office365',
      reason: 'OFFICE365_TENANT_NOT_ALLOWED',
      tenantId: TENANT_B,
      email: 'out@tenant-b.example',
    });
  });

  describe('an address Microsoft did not verify, in a verified domain of the workspace', () => {
    it.each([
      ['a preferred_username without email', { preferred_username: 'UPN@%d' }],
      ['an email flagged xms_edov: false', { email: 'upn@%d', xms_edov: false }],
      ['an email without xms_edov', { email: 'upn@%d' }],
    ])('links %s from an allowed tenant', async (_label, template) => {
      const ws = await createWorkspace(t);
      const domain = `${ws.slug}.example`;
      await verifyDomain(t, ws.slug, domain);
      const userId = await addMember(t, ws.slug, `upn@${domain}`);
      const claims = Object.fromEntries(
        Object.entries(template).map(([k, v]) => [
          k,
          typeof v === 'string' ? v.replace('%d', domain) : v,
        ]),
      );
      const account = op.account(claims, TENANT_A);
      const res = await signInOk(t, op, ws.slug, account);
      const me = await t.http
        .get('/auth/session')
        .set('Cookie', cookiePair(res, 'gatehouse_session'))
        .expect(200);
      expect(me.body.user.id).toBe(userId);
      const rows = await t.dataSource.query(
        `SELECT tenant_id, user_id FROM external_identities WHERE subject = $1`,
        [account.claims.oid],
      );
      expect(rows).toEqual([{ tenant_id: TENANT_A, user_id: userId }]);
      const [linked] = await auditEvents(t, ws.slug, 'auth.identity_linked');
      expect(linked!.details).toMatchObject({ via: 'workspace_verified_domain' });
    });

    it('refuses such an address in a domain the workspace has not verified', async () => {
      const ws = await createWorkspace(t);
      const domain = `${ws.slug}.example`;
      // Claimed but pending, and verified by another workspace: neither vouches here.
      await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Authorization', t.internal)
        .send({ domain })
        .expect(201);
      const other = await createWorkspace(t);
      await verifyDomain(t, other.slug, `other-${domain}`);
      for (const email of [`member@${domain}`, `member@other-${domain}`]) {
        await addMember(t, ws.slug, email);
        for (const claims of [{ preferred_username: email }, { email, xms_edov: false }]) {
          const account = op.account(claims, TENANT_A);
          const res = await signInWithOffice365(t, op, ws.slug, account);
          expectRefusal(res, 403, 'OFFICE365_EMAIL_UNVERIFIED');
        }
      }
    });
  });
});

describe('Office365 sign-in against a plain http issuer (single tenant, local provider)', () => {
  let op: TestOpenIdProvider;
  let t: TestApp;

  beforeAll(async () => {
    op = await TestOpenIdProvider.start({ mode: 'plain' });
    t = await startTestApp(op.appEnv());
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  it('signs in through the provider at its own issuer (iss response parameter checked)', async () => {
    const ws = await createWorkspace(t);
    const userId = await addMember(t, ws.slug, 'plain@example.org');
    const account = op.account({ email: 'plain@example.org', xms_edov: true, name: 'Plain' });
    const flow = await throughProvider(t, op, ws.slug, account);
    expect(flow.authorizationUrl.origin).toBe(op.issuer);
    expect(flow.callbackPath).toContain(`iss=${encodeURIComponent(op.issuer)}`);
    const res = await callback(t, flow).expect(302);
    expect(res.headers.location).toBe('http://gatehouse.test/');
    const me = await t.http
      .get('/auth/session')
      .set('Cookie', cookiePair(res, 'gatehouse_session'))
      .expect(200);
    expect(me.body).toMatchObject({ user: { id: userId }, method: 'office365' });
  });

  it('refuses a person who is not a member here too', async () => {
    const ws = await createWorkspace(t);
    const account = op.account({ email: 'nobody@example.org', xms_edov: true });
    expectRefusal(await signInWithOffice365(t, op, ws.slug, account), 403, 'NOT_A_MEMBER');
  });

  it('never links a token without a tenant id (OFFICE365_IDENTITY_INCOMPLETE)', async () => {
    const ws = await createWorkspace(t);
    await addMember(t, ws.slug, 'no-tid@example.org');
    const account = op.account({ email: 'no-tid@example.org', xms_edov: true, tid: null });
    const res = await signInWithOffice365(t, op, ws.slug, account);
    expectRefusal(res, 400, 'OFFICE365_IDENTITY_INCOMPLETE');
    const rows = await t.dataSource.query(`SELECT 1 FROM external_identities WHERE subject = $1`, [
      account.claims.oid,
    ]);
    expect(rows).toEqual([]);
  });
});

describe('Office365 sign-in when not configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('answers 404 OFFICE365_NOT_CONFIGURED at login and at the callback', async () => {
    const ws = await createWorkspace(t);
    const login = await t.http.get('/auth/office365/login').query({ workspace: ws.slug });
    expectRefusal(login, 404, 'OFFICE365_NOT_CONFIGURED');
    const back = await t.http.get('/auth/office365/callback?code=x&state=y');
    expectRefusal(back, 404, 'OFFICE365_NOT_CONFIGURED');
  });
});

describe('Office365 configuration and claims', () => {
  const production = (env: Record<string, string>) =>
    loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://gatehouse@db.internal/gatehouse',
      INTERNAL_API_TOKEN: 'Zq8vR2mK7pL4xN9wT3yB6cF1hJ5sD0gA',
      SECRET_KEY: 'Vb7nM2qW9eR4tY8uI3oP6aS1dF5gH0jK',
      SMTP_URL: 'smtp://mail.internal:25',
      ...env,
    });
  const service = (config: ReturnType<typeof loadConfig>) =>
    new Office365SignIn(config, {} as never, {} as never, {} as never, {} as never, {} as never);

  it('refuses to start in production with a plain http issuer', () => {
    expect(() =>
      production({
        OFFICE365_ISSUER: 'http://login.internal/tenant/v2.0',
        OFFICE365_CLIENT_ID: 'client',
        OFFICE365_CLIENT_SECRET: 'client secret value',
      }),
    ).toThrow(/OFFICE365_ISSUER: must be an https URL when NODE_ENV=production/);
  });

  it('starts in production with the default https issuer, or when Office365 is not configured', () => {
    const https = production({
      OFFICE365_CLIENT_ID: 'client',
      OFFICE365_CLIENT_SECRET: 'client secret value',
    });
    expect(service(https).configured).toBe(true);
    const unconfigured = production({ OFFICE365_ISSUER: 'http://login.internal/tenant/v2.0' });
    expect(service(unconfigured).configured).toBe(false);
  });

  const link = (claims: Record<string, unknown>, trusted: string[] = []) =>
    linkableEmailOrThrow(office365IdentityFromClaims(claims), (d) => trusted.includes(d));

  it.each([
    [{ email: 'A@x.example', xms_edov: true }, [], 'a@x.example', 'microsoft_verified_email'],
    [
      { email: 'a@x.example', xms_edov: true, preferred_username: 'b@y.example' },
      ['y.example'],
      'a@x.example',
      'microsoft_verified_email',
    ],
    [
      { preferred_username: ' B@X.example ' },
      ['x.example'],
      'b@x.example',
      'workspace_verified_domain',
    ],
    [
      { email: 'a@x.example', xms_edov: false, preferred_username: 'b@y.example' },
      ['y.example'],
      'b@y.example',
      'workspace_verified_domain',
    ],
    [
      { email: 'a@x.example', xms_edov: 'true' },
      ['x.example'],
      'a@x.example',
      'workspace_verified_domain',
    ],
  ])('links %j (trusted domains %j) by %s, %s', (claims, trusted, email, via) => {
    expect(link(claims, trusted)).toEqual({ email, via });
  });

  it.each([
    [{ email: 'a@x.example' }, [], 'OFFICE365_EMAIL_UNVERIFIED'],
    [{ email: 'a@x.example', xms_edov: false }, [], 'OFFICE365_EMAIL_UNVERIFIED'],
    [{ email: 'a@x.example', xms_edov: 'true' }, [], 'OFFICE365_EMAIL_UNVERIFIED'],
    [{ preferred_username: 'b@x.example', xms_edov: true }, [], 'OFFICE365_EMAIL_UNVERIFIED'],
    [{ email: 'a@x.example', xms_edov: false }, ['y.example'], 'OFFICE365_EMAIL_UNVERIFIED'],
    [{ email: 'not an email', xms_edov: true, preferred_username: 'jdoe' }, [], 'OIDC_NO_EMAIL'],
    [{ email: 42, name: 'Nobody' }, [], 'OIDC_NO_EMAIL'],
  ])('refuses to link %j (trusted domains %j): %s', (claims, trusted, code) => {
    expect(() => link(claims, trusted)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    [
      { tid: 'T', oid: 'O' },
      { tenantId: 't', objectId: 'o' },
    ],
    [{ tid: 'T' }, null],
    [{ oid: 'O' }, null],
    [{ tid: '', oid: ' ' }, null],
    [{ tid: 7, oid: 'O' }, null],
  ])('binds %j by %j', (claims, key) => {
    const identity = office365IdentityFromClaims(claims);
    if (key) expect(boundKeyOrThrow(identity)).toEqual(key);
    else {
      expect(() => boundKeyOrThrow(identity)).toThrow(
        expect.objectContaining({ code: 'OFFICE365_IDENTITY_INCOMPLETE' }),
      );
    }
  });
});
