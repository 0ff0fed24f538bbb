import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  addMember,
  createWorkspace,
  PASSWORD,
  signIn,
  uniqueSlug,
  workspaceWithSignedInAdmin,
} from '../support/fixtures.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
import {
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  type ScimWorkspace,
} from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const BASE_URL = 'http://gatehouse.test/scim/v2';
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SAML_ONLY = { password: false, office365: false, saml: true };

/** An admin API refusal: `{statusCode, code, message}`. */
function expectApiError(res: Response, status: number, code: string): void {
  expect({ status: res.status, body: res.body as unknown }).toEqual({
    status,
    body: expect.objectContaining({ statusCode: status, code, message: expect.any(String) }),
  });
}

/** A SCIM refusal in the RFC 7644 §3.12 error schema. */
function expectScimError(res: Response, status: number, scimType?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  expect(res.body).toEqual({
    schemas: [SCIM_ERROR],
    status: String(status),
    ...(scimType && { scimType }),
    detail: expect.any(String),
  });
}

/** Polls `check` until it stops throwing (the request log is written after the response). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface SamlOnlyWorkspace {
  id: string;
  slug: string;
  adminCookie: string;
  memberCookie: string;
  providerId: string;
}

/**
 * A workspace with an admin and a member, an enabled SAML provider and SAML as the only sign-in
 * method, both signed in through SAML (switching password off ended their password sessions):
 * ready for SCIM.
 */
async function samlOnlyWorkspace(t: TestApp): Promise<SamlOnlyWorkspace> {
  const ws = await workspaceWithSignedInAdmin(t);
  const memberEmail = `member@${ws.slug}.example.com`;
  await addMember(t, ws.slug, memberEmail);
  const memberByPassword = await signIn(t, ws.slug, memberEmail, PASSWORD);
  const [key] = await idpKeys();
  const provider = await createProvider(t, ws.slug, { key: key! });
  await setMethods(t, ws.slug, SAML_ONLY).expect(200);
  await t.http.get('/auth/session').set('Cookie', memberByPassword).expect(401);
  const samlSignIn = async (email: string) => {
    const res = await postToAcs(t, provider, await responseFor(provider, email));
    if (res.status !== 302) throw new Error(`SAML sign-in: ${res.status} ${res.text}`);
    return (res.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .join('; ');
  };
  return {
    id: ws.id,
    slug: ws.slug,
    adminCookie: await samlSignIn(ws.adminEmail),
    memberCookie: await samlSignIn(memberEmail),
    providerId: provider.id,
  };
}

function setMethods(t: TestApp, ws: string, methods: Record<string, boolean>) {
  return t.http
    .patch(`/api/workspaces/${ws}/settings`)
    .set('Authorization', t.internal)
    .send({ signInMethods: methods });
}

function scimStatus(t: TestApp, ws: string) {
  return t.http.get(`/api/workspaces/${ws}/scim`).set('Authorization', t.internal);
}

function enableScim(t: TestApp, ws: string, provider = 'okta') {
  return t.http
    .post(`/api/workspaces/${ws}/scim`)
    .set('Authorization', t.internal)
    .send({ provider });
}

function rotate(t: TestApp, ws: string) {
  return t.http.post(`/api/workspaces/${ws}/scim/token`).set('Authorization', t.internal);
}

function listUsers(t: TestApp, token: string) {
  return t.http.get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);
}

async function createScimUser(t: TestApp, ws: ScimWorkspace, userName: string): Promise<string> {
  const res = await t.http
    .post('/scim/v2/Users')
    .set('Authorization', ws.auth)
    .send(oktaUser(userName))
    .expect(201);
  return res.body.id as string;
}

interface LoggedRequest {
  id: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  userAgent: string | null;
  errorDetail: string | null;
  requestBody: unknown;
  createdAt: string;
}

async function requestLog(
  t: TestApp,
  ws: string,
  query: Record<string, string | number> = {},
): Promise<{ items: LoggedRequest[]; total: number; limit: number; offset: number }> {
  const res = await t.http
    .get(`/api/workspaces/${ws}/scim/requests`)
    .query(query)
    .set('Authorization', t.internal)
    .expect(200);
  return res.body;
}

/** Waits until the log of `ws` holds `total` entries, and returns them. */
function logOfSize(t: TestApp, ws: string, total: number) {
  return eventually(async () => {
    const log = await requestLog(t, ws, { limit: 200 });
    expect(log.total).toBe(total);
    return log;
  });
}

describe('SCIM connection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('enabling', () => {
    it('shows the token once and keeps only a digest of it', async () => {
      const ws = await samlOnlyWorkspace(t);
      const before = await t.http
        .get(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(before.body).toEqual({ enabled: false, baseUrl: BASE_URL });

      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .send({ provider: 'azure' })
        .expect(201);
      expect(res.body).toEqual({ baseUrl: BASE_URL, token: expect.any(String) });
      const token = res.body.token as string;
      // 256 random bits in base64url: at least 43 characters.
      expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);

      const rows: Record<string, unknown>[] = await t.dataSource.query(
        `SELECT * FROM scim_connections WHERE workspace_id = $1`,
        [ws.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ provider: 'azure', previous_token_hash: null });
      expect(rows[0]!.token_hash).toEqual(expect.any(String));
      expect(rows[0]!.token_hash).not.toBe(token);
      expect(JSON.stringify(rows)).not.toContain(token);
      const everywhere: { hits: number }[] = await t.dataSource.query(
        `SELECT (SELECT count(*) FROM audit_events a WHERE a::text LIKE '%' || $1 || '%')::int
              + (SELECT count(*) FROM scim_connections c WHERE c::text LIKE '%' || $1 || '%')::int
              AS hits`,
        [token],
      );
      expect(everywhere[0]!.hits).toBe(0);

      const status = await t.http
        .get(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(status.body).toMatchObject({
        enabled: true,
        provider: 'azure',
        baseUrl: BASE_URL,
        previousTokenValidUntil: null,
        entraHint: null,
      });
      expect(JSON.stringify(status.body)).not.toContain(token);
      expect(Object.keys(status.body)).not.toContain('token');

      // The token opens this workspace: its admin and member, nobody else.
      const users = await listUsers(t, token).expect(200);
      expect(users.body.totalResults).toBe(2);
      expect(users.body.Resources.map((u: { userName: string }) => u.userName).sort()).toEqual([
        `admin@${ws.slug}.example.com`,
        `member@${ws.slug}.example.com`,
      ]);
    });

    it('gives every workspace its own token', async () => {
      const a = await scimWorkspace(t);
      const b = await scimWorkspace(t, 'generic');
      expect(a.token).not.toBe(b.token);
      expect((await scimStatus(t, b.slug).expect(200)).body).toMatchObject({
        enabled: true,
        provider: 'generic',
      });
    });

    it('needs an enabled SAML provider and SAML as the only sign-in method, and says which is missing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const enable = () =>
        t.http
          .post(`/api/workspaces/${ws.slug}/scim`)
          .set('Authorization', t.internal)
          .send({ provider: 'okta' });
      const expectUnmet = async (reasons: string[], sentence: RegExp) => {
        const res = await enable();
        expectApiError(res, 409, 'SCIM_REQUIRES_SAML_ONLY');
        expect(res.body.reasons).toEqual(reasons);
        expect(res.body.message).toMatch(sentence);
      };

      // Nothing of it yet: the admin's session still works (password is on), SCIM does not.
      const fromAdmin = await t.http
        .post(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .send({ provider: 'okta' });
      expectApiError(fromAdmin, 409, 'SCIM_REQUIRES_SAML_ONLY');
      expect(fromAdmin.body.reasons).toEqual([
        'NO_ENABLED_SAML_PROVIDER',
        'PASSWORD_ENABLED',
        'OFFICE365_ENABLED',
      ]);

      // SAML only, but no SAML provider at all (only forced: it leaves nobody able to sign in).
      await setMethods(t, ws.slug, SAML_ONLY).expect(409);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings?force=true`)
        .set('Authorization', t.internal)
        .send({ signInMethods: SAML_ONLY })
        .expect(200);
      await expectUnmet(['NO_ENABLED_SAML_PROVIDER'], /no enabled SAML provider/);

      // A provider that is disabled does not count.
      const [key] = await idpKeys();
      const provider = await createProvider(t, ws.slug, { key: key!, extra: { enabled: false } });
      await expectUnmet(['NO_ENABLED_SAML_PROVIDER'], /no enabled SAML provider/);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/saml-providers/${provider.id}`)
        .set('Authorization', t.internal)
        .send({ enabled: true })
        .expect(200);

      // Password still on.
      await setMethods(t, ws.slug, { password: true, office365: false, saml: true }).expect(200);
      await expectUnmet(['PASSWORD_ENABLED'], /password sign-in is still on/);
      // Office365 on.
      await setMethods(t, ws.slug, { password: false, office365: true, saml: true }).expect(200);
      await expectUnmet(['OFFICE365_ENABLED'], /Office365 sign-in is still on/);
      // SAML off.
      await setMethods(t, ws.slug, { password: true, office365: false, saml: false }).expect(200);
      await expectUnmet(['SAML_DISABLED', 'PASSWORD_ENABLED'], /SAML sign-in is off/);

      // None of the refusals left anything behind.
      expect((await scimStatus(t, ws.slug).expect(200)).body).toEqual({
        enabled: false,
        baseUrl: BASE_URL,
      });
      const rows: unknown[] = await t.dataSource.query(
        `SELECT 1 FROM scim_connections WHERE workspace_id = $1`,
        [ws.id],
      );
      expect(rows).toHaveLength(0);

      await setMethods(t, ws.slug, SAML_ONLY).expect(200);
      const enabled = await enable().expect(201);
      expect(enabled.body.token).toEqual(expect.any(String));

      const again = await enable();
      expectApiError(again, 409, 'SCIM_ALREADY_ENABLED');
      // The first token still works: a refused second enable does not replace it.
      await listUsers(t, enabled.body.token as string).expect(200);
    });

    it('enables once when two admins enable at the same time', async () => {
      const ws = await samlOnlyWorkspace(t);
      const results = await Promise.all([1, 2, 3].map(() => enableScim(t, ws.slug)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      for (const refused of results.filter((r) => r.status !== 201)) {
        expectApiError(refused, 409, 'SCIM_ALREADY_ENABLED');
      }
      const winner = results.find((r) => r.status === 201)!;
      await listUsers(t, winner.body.token as string).expect(200);
      const rows: unknown[] = await t.dataSource.query(
        `SELECT 1 FROM audit_events WHERE workspace_id = $1 AND action = 'scim.enabled'`,
        [ws.id],
      );
      expect(rows).toHaveLength(1);
    });

    it('refuses an unknown or missing provider', async () => {
      const ws = await samlOnlyWorkspace(t);
      const send = (body: object) =>
        t.http.post(`/api/workspaces/${ws.slug}/scim`).set('Cookie', ws.adminCookie).send(body);
      expectApiError(await send({ provider: 'onelogin' }), 400, 'VALIDATION_FAILED');
      expectApiError(await send({ provider: 'OKTA' }), 400, 'VALIDATION_FAILED');
      expectApiError(await send({}), 400, 'VALIDATION_FAILED');
      expectApiError(await send({ provider: 'okta', token: 'mine' }), 400, 'VALIDATION_FAILED');
      expect((await scimStatus(t, ws.slug).expect(200)).body.enabled).toBe(false);
      await send({ provider: 'generic' }).expect(201);
    });

    it('is for admins of the workspace only', async () => {
      const ws = await samlOnlyWorkspace(t);
      const other = await workspaceWithSignedInAdmin(t);
      const path = `/api/workspaces/${ws.slug}/scim`;

      // A member of the workspace: 403 on every route.
      expectApiError(
        await t.http.post(path).set('Cookie', ws.memberCookie).send({ provider: 'okta' }),
        403,
        'FORBIDDEN',
      );
      expectApiError(await t.http.get(path).set('Cookie', ws.memberCookie), 403, 'FORBIDDEN');
      // An admin of another workspace: as if it did not exist.
      expectApiError(
        await t.http.post(path).set('Cookie', other.adminCookie).send({ provider: 'okta' }),
        404,
        'WORKSPACE_NOT_FOUND',
      );
      expectApiError(
        await t.http.get(path).set('Cookie', other.adminCookie),
        404,
        'WORKSPACE_NOT_FOUND',
      );
      // Nobody.
      expectApiError(await t.http.post(path).send({ provider: 'okta' }), 401, 'UNAUTHENTICATED');
      expectApiError(await t.http.get(path), 401, 'UNAUTHENTICATED');
      expect((await scimStatus(t, ws.slug).expect(200)).body.enabled).toBe(false);

      // Once enabled: the same on rotate, disable and the request log.
      const token = (
        await t.http.post(path).set('Cookie', ws.adminCookie).send({ provider: 'okta' }).expect(201)
      ).body.token as string;
      for (const [method, route] of [
        ['post', `${path}/token`],
        ['delete', path],
        ['get', `${path}/requests`],
      ] as const) {
        expectApiError(
          await t.http[method](route).set('Cookie', ws.memberCookie),
          403,
          'FORBIDDEN',
        );
        expectApiError(
          await t.http[method](route).set('Cookie', other.adminCookie),
          404,
          'WORKSPACE_NOT_FOUND',
        );
        expectApiError(await t.http[method](route), 401, 'UNAUTHENTICATED');
        // A SCIM token is no credential for the admin API.
        expectApiError(
          await t.http[method](route).set('Authorization', `Bearer ${token}`),
          401,
          'UNAUTHENTICATED',
        );
      }
      // Nothing was rotated or disabled.
      await listUsers(t, token).expect(200);
      expect((await scimStatus(t, ws.slug).expect(200)).body).toMatchObject({
        enabled: true,
        previousTokenValidUntil: null,
      });
    });
  });

  describe('sign-in methods while SCIM is on', () => {
    it('refuses password and Office365 until SCIM is disabled', async () => {
      const ws = await samlOnlyWorkspace(t);
      await t.http
        .post(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .send({ provider: 'okta' })
        .expect(201);
      const patch = (body: object) =>
        t.http
          .patch(`/api/workspaces/${ws.slug}/settings`)
          .set('Cookie', ws.adminCookie)
          .send(body);

      const password = await patch({ signInMethods: { password: true } });
      expectApiError(password, 409, 'SCIM_REQUIRES_SAML_ONLY');
      expect(password.body.reasons).toEqual(['PASSWORD_ENABLED']);
      const office365 = await patch({ signInMethods: { office365: true } });
      expectApiError(office365, 409, 'SCIM_REQUIRES_SAML_ONLY');
      expect(office365.body.reasons).toEqual(['OFFICE365_ENABLED']);
      expect(office365.body.message).toMatch(/before enabling Office365/);
      expectApiError(
        await patch({
          signInMethods: { password: true, office365: true, saml: true },
          sessionLifetimeSeconds: 3600,
        }),
        409,
        'SCIM_REQUIRES_SAML_ONLY',
      );
      // The internal token is refused too.
      expectApiError(
        await t.http
          .patch(`/api/workspaces/${ws.slug}/settings`)
          .set('Authorization', t.internal)
          .send({ signInMethods: { password: true } }),
        409,
        'SCIM_REQUIRES_SAML_ONLY',
      );

      // Nothing changed, the session lifetime of the refused request included.
      const current = await t.http
        .get(`/api/workspaces/${ws.slug}`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(current.body.settings).toMatchObject({
        signInMethods: SAML_ONLY,
        sessionLifetimeSeconds: 2592000,
      });

      // Settings that keep SAML the only method are fine.
      const ok = await patch({ signInMethods: SAML_ONLY, sessionLifetimeSeconds: 7200 }).expect(
        200,
      );
      expect(ok.body.settings).toMatchObject({
        signInMethods: SAML_ONLY,
        sessionLifetimeSeconds: 7200,
      });

      await t.http
        .delete(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      const reenabled = await patch({ signInMethods: { password: true, office365: true } }).expect(
        200,
      );
      expect(reenabled.body.settings.signInMethods).toEqual({
        password: true,
        office365: true,
        saml: true,
        oidc: false,
      });
    });
  });

  describe('the bearer token', () => {
    it('opens the SCIM API in any spelling of the Bearer scheme, nothing else', async () => {
      const ws = await scimWorkspace(t);
      await t.http.get('/scim/v2/Users').set('Authorization', `Bearer ${ws.token}`).expect(200);
      await t.http.get('/scim/v2/Users').set('Authorization', `bearer ${ws.token}`).expect(200);
      await t.http.get('/scim/v2/Users').set('Authorization', `BEARER  ${ws.token} `).expect(200);

      const refused = [
        undefined,
        '',
        'Bearer',
        'Bearer ',
        `Bearer ${ws.token}x`,
        `Bearer ${ws.token.slice(0, -1)}`,
        `Bearer ${ws.token.toUpperCase()}`,
        `Basic ${ws.token}`,
        `Basic ${Buffer.from(`scim:${ws.token}`).toString('base64')}`,
        `Token ${ws.token}`,
        ws.token,
        `Bearer ${ws.token} ${ws.token}`,
        `Bearer ${'a'.repeat(5000)}`,
        t.internal,
      ];
      for (const header of refused) {
        const req = t.http.get('/scim/v2/Users');
        const res = header === undefined ? await req : await req.set('Authorization', header);
        expectScimError(res, 401);
      }
      // Writes are refused the same way, before anything is read.
      expectScimError(
        await t.http
          .post('/scim/v2/Users')
          .set('Authorization', 'Bearer wrong')
          .send(oktaUser('mallory@acme.test')),
        401,
      );
      const users = await t.http
        .get('/scim/v2/Users')
        .query({ filter: 'userName eq "mallory@acme.test"' })
        .set('Authorization', ws.auth)
        .expect(200);
      expect(users.body.totalResults).toBe(0);
    });

    it('guards the discovery endpoints too', async () => {
      const ws = await scimWorkspace(t);
      for (const path of [
        '/scim/v2/ServiceProviderConfig',
        '/scim/v2/ResourceTypes',
        '/scim/v2/ResourceTypes/User',
        '/scim/v2/Schemas',
        `/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`,
      ]) {
        expectScimError(await t.http.get(path), 401);
        expectScimError(await t.http.get(path).set('Authorization', 'Bearer wrong'), 401);
        const ok = await t.http.get(path).set('Authorization', ws.auth).expect(200);
        expect(ok.headers['content-type']).toMatch(/^application\/scim\+json/);
      }
    });

    it("never lets workspace A's token read or write workspace B", async () => {
      const a = await scimWorkspace(t);
      const b = await scimWorkspace(t);
      const aliceA = await createScimUser(t, a, 'alice@a.test');
      const bobB = await createScimUser(t, b, 'bob@b.test');
      const groupB = await t.http
        .post('/scim/v2/Groups')
        .set('Authorization', b.auth)
        .send({ schemas: [GROUP_SCHEMA], displayName: 'B team', members: [{ value: bobB }] })
        .expect(201);
      const groupBId = groupB.body.id as string;

      // A's list: A's first admin and Alice, nobody of B.
      const listA = await listUsers(t, a.token).expect(200);
      expect(listA.body.totalResults).toBe(2);
      expect(listA.body.Resources.map((u: { id: string }) => u.id).sort()).toEqual(
        [a.adminId, aliceA].sort(),
      );
      const filtered = await t.http
        .get('/scim/v2/Users')
        .query({ filter: 'userName eq "bob@b.test"' })
        .set('Authorization', a.auth)
        .expect(200);
      expect(filtered.body.totalResults).toBe(0);
      const groupsA = await t.http.get('/scim/v2/Groups').set('Authorization', a.auth).expect(200);
      expect(groupsA.body.totalResults).toBe(0);

      expectScimError(await t.http.get(`/scim/v2/Users/${bobB}`).set('Authorization', a.auth), 404);
      expectScimError(
        await t.http
          .patch(`/scim/v2/Users/${bobB}`)
          .set('Authorization', a.auth)
          .send({
            schemas: [PATCH_SCHEMA],
            Operations: [{ op: 'replace', path: 'active', value: false }],
          }),
        404,
      );
      expectScimError(
        await t.http
          .put(`/scim/v2/Users/${bobB}`)
          .set('Authorization', a.auth)
          .send(oktaUser('bob@b.test', { active: false })),
        404,
      );
      expectScimError(
        await t.http.delete(`/scim/v2/Users/${bobB}`).set('Authorization', a.auth),
        404,
      );
      expectScimError(
        await t.http.get(`/scim/v2/Groups/${groupBId}`).set('Authorization', a.auth),
        404,
      );
      expectScimError(
        await t.http
          .patch(`/scim/v2/Groups/${groupBId}`)
          .set('Authorization', a.auth)
          .send({
            schemas: [PATCH_SCHEMA],
            Operations: [{ op: 'add', path: 'members', value: [{ value: aliceA }] }],
          }),
        404,
      );
      expectScimError(
        await t.http.delete(`/scim/v2/Groups/${groupBId}`).set('Authorization', a.auth),
        404,
      );

      // B's data is untouched.
      const bob = await t.http
        .get(`/scim/v2/Users/${bobB}`)
        .set('Authorization', b.auth)
        .expect(200);
      expect(bob.body).toMatchObject({ userName: 'bob@b.test', active: true });
      const group = await t.http
        .get(`/scim/v2/Groups/${groupBId}`)
        .set('Authorization', b.auth)
        .expect(200);
      expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([bobB]);
      const members = await t.http
        .get(`/api/workspaces/${b.slug}/members`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(members.body.items.map((m: { userId: string }) => m.userId)).not.toContain(aliceA);
      // And B's token does not see A either.
      expectScimError(
        await t.http.get(`/scim/v2/Users/${aliceA}`).set('Authorization', b.auth),
        404,
      );
    });
  });

  describe('rotation and disabling', () => {
    it('keeps the previous token valid for the grace period only', async () => {
      const ws = await samlOnlyWorkspace(t);
      const first = (
        await t.http
          .post(`/api/workspaces/${ws.slug}/scim`)
          .set('Cookie', ws.adminCookie)
          .send({ provider: 'okta' })
          .expect(201)
      ).body.token as string;

      const startedAt = Date.now();
      const rotated = await t.http
        .post(`/api/workspaces/${ws.slug}/scim/token`)
        .set('Cookie', ws.adminCookie)
        .expect(201);
      expect(rotated.body).toEqual({
        baseUrl: BASE_URL,
        token: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
        previousTokenValidUntil: expect.any(String),
      });
      const second = rotated.body.token as string;
      expect(second).not.toBe(first);
      const validUntil = Date.parse(rotated.body.previousTokenValidUntil as string);
      // SCIM_TOKEN_GRACE_SECONDS defaults to one hour.
      expect(validUntil - startedAt).toBeGreaterThan(3590_000);
      expect(validUntil - startedAt).toBeLessThan(3610_000);

      // Both work during the grace period.
      await listUsers(t, second).expect(200);
      await listUsers(t, first).expect(200);
      const status = await scimStatus(t, ws.slug).expect(200);
      expect(Date.parse(status.body.previousTokenValidUntil as string)).toBe(validUntil);
      expect(JSON.stringify(status.body)).not.toContain(second);
      const rows: Record<string, unknown>[] = await t.dataSource.query(
        `SELECT * FROM scim_connections WHERE workspace_id = $1`,
        [ws.id],
      );
      expect(JSON.stringify(rows)).not.toContain(first);
      expect(JSON.stringify(rows)).not.toContain(second);

      // After the grace period the old token is refused; the new one still works.
      await t.dataSource.query(
        `UPDATE scim_connections SET previous_token_expires_at = now() - interval '1 second'
          WHERE workspace_id = $1`,
        [ws.id],
      );
      expectScimError(await listUsers(t, first), 401);
      await listUsers(t, second).expect(200);
      expect((await scimStatus(t, ws.slug).expect(200)).body.previousTokenValidUntil).toBeNull();

      // Rotating again: only the latest previous token keeps its grace period.
      const third = (await rotate(t, ws.slug).expect(201)).body.token as string;
      await listUsers(t, third).expect(200);
      await listUsers(t, second).expect(200);
      expectScimError(await listUsers(t, first), 401);
      const fourth = (await rotate(t, ws.slug).expect(201)).body.token as string;
      await listUsers(t, fourth).expect(200);
      await listUsers(t, third).expect(200);
      expectScimError(await listUsers(t, second), 401);
    });

    it('refuses to rotate without SCIM', async () => {
      const ws = await samlOnlyWorkspace(t);
      expectApiError(
        await t.http.post(`/api/workspaces/${ws.slug}/scim/token`).set('Cookie', ws.adminCookie),
        404,
        'SCIM_NOT_ENABLED',
      );
      expectApiError(await rotate(t, ws.slug), 404, 'SCIM_NOT_ENABLED');
      expect((await scimStatus(t, ws.slug).expect(200)).body.enabled).toBe(false);
    });

    it('revokes the current and the previous token when disabled', async () => {
      const ws = await samlOnlyWorkspace(t);
      const first = (await enableScim(t, ws.slug).expect(201)).body.token as string;
      const second = (await rotate(t, ws.slug).expect(201)).body.token as string;
      await listUsers(t, first).expect(200);
      await listUsers(t, second).expect(200);

      await t.http
        .delete(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expectScimError(await listUsers(t, first), 401);
      expectScimError(await listUsers(t, second), 401);
      expect((await scimStatus(t, ws.slug).expect(200)).body).toEqual({
        enabled: false,
        baseUrl: BASE_URL,
      });

      expectApiError(
        await t.http.delete(`/api/workspaces/${ws.slug}/scim`).set('Cookie', ws.adminCookie),
        404,
        'SCIM_NOT_ENABLED',
      );
      expectApiError(await rotate(t, ws.slug), 404, 'SCIM_NOT_ENABLED');

      // Enabling again hands out a new token; the old ones stay dead.
      const third = (await enableScim(t, ws.slug, 'generic').expect(201)).body.token as string;
      expect([first, second]).not.toContain(third);
      await listUsers(t, third).expect(200);
      expectScimError(await listUsers(t, first), 401);
      expectScimError(await listUsers(t, second), 401);
    });
  });

  describe('audit', () => {
    it('records enable, rotate, disable and every SCIM write', async () => {
      const ws = await samlOnlyWorkspace(t);
      const enabled = await t.http
        .post(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .send({ provider: 'okta' })
        .expect(201);
      const scim: ScimWorkspace = {
        id: ws.id,
        slug: ws.slug,
        adminId: '',
        adminEmail: '',
        token: enabled.body.token as string,
        auth: `Bearer ${enabled.body.token as string}`,
      };
      const userId = (
        await t.http
          .post('/scim/v2/Users')
          .set('Authorization', scim.auth)
          .set('User-Agent', 'Okta SCIM Client 1.0.0')
          .send(oktaUser('grace@acme.test'))
          .expect(201)
      ).body.id as string;
      const rotated = await t.http
        .post(`/api/workspaces/${ws.slug}/scim/token`)
        .set('Cookie', ws.adminCookie)
        .expect(201);
      await t.http
        .delete(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', ws.adminCookie)
        .expect(204);

      const events = await t.http
        .get(`/api/workspaces/${ws.slug}/audit-events`)
        .query({ limit: 200 })
        .set('Cookie', ws.adminCookie)
        .expect(200);
      const items = events.body.items as {
        action: string;
        channel: string;
        actorType: string;
        actorLabel: string | null;
        targetId: string | null;
        after: Record<string, unknown> | null;
      }[];
      const scimActions = items.map((e) => e.action).filter((a) => a.startsWith('scim.'));
      expect(scimActions).toEqual(['scim.disabled', 'scim.token_rotated', 'scim.enabled']);
      const enabledEvent = items.find((e) => e.action === 'scim.enabled')!;
      expect(enabledEvent).toMatchObject({
        channel: 'admin',
        actorType: 'user',
        targetId: ws.id,
        after: { provider: 'okta' },
      });
      for (const action of ['scim.token_rotated', 'scim.disabled']) {
        expect(items.find((e) => e.action === action)).toMatchObject({ channel: 'admin' });
      }

      const byScim = await t.http
        .get(`/api/workspaces/${ws.slug}/audit-events`)
        .query({ channel: 'scim' })
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(byScim.body.total).toBeGreaterThanOrEqual(1);
      expect(byScim.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            channel: 'scim',
            actorType: 'scim',
            actorLabel: 'Okta SCIM Client 1.0.0',
            targetId: userId,
          }),
        ]),
      );
      for (const e of byScim.body.items as { channel: string }[]) expect(e.channel).toBe('scim');

      // No token and no SCIM password in the audit trail.
      const all = JSON.stringify(events.body) + JSON.stringify(byScim.body);
      expect(all).not.toContain(scim.token);
      expect(all).not.toContain(rotated.body.token as string);
      expect(all).not.toContain('not-stored-1!');
    });
  });

  describe('request log', () => {
    it('logs each authenticated request, newest first, without secrets', async () => {
      const ws = await scimWorkspace(t);
      const ua = 'Okta SCIM Client 1.0.0';
      await t.http
        .get('/scim/v2/Users')
        .query({ filter: 'userName eq "nobody@acme.test"', count: '5' })
        .set('Authorization', ws.auth)
        .set('User-Agent', ua)
        .expect(200);
      const id = (
        await t.http
          .post('/scim/v2/Users')
          .set('Authorization', ws.auth)
          .set('User-Agent', ua)
          .send(oktaUser('ada@acme.test'))
          .expect(201)
      ).body.id as string;
      const missing = randomUUID();
      await t.http
        .get(`/scim/v2/Users/${missing}`)
        .set('Authorization', ws.auth)
        .set('User-Agent', ua)
        .expect(404);
      await t.http
        .patch(`/scim/v2/Users/${id}`)
        .set('Authorization', ws.auth)
        .set('User-Agent', ua)
        .send({
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'replace', path: 'password', value: 'patched-secret-2!' },
            { op: 'replace', value: { password: 'patched-secret-3!', displayName: 'Ada L.' } },
          ],
        })
        .expect(200);
      const duplicate = await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .set('User-Agent', ua)
        .send(oktaUser('ada@acme.test', { password: 'duplicate-secret-4!' }));
      expectScimError(duplicate, 409, 'uniqueness');

      const log = await logOfSize(t, ws.slug, 5);
      const [dup, patch, notFound, created, listed] = log.items;
      expect(log.items.map((e) => e.method)).toEqual(['POST', 'PATCH', 'GET', 'POST', 'GET']);
      // Newest first.
      const ids = log.items.map((e) => BigInt(e.id));
      expect([...ids].sort((x, y) => (x > y ? -1 : 1))).toEqual(ids);

      expect(listed).toMatchObject({
        method: 'GET',
        path: expect.stringMatching(/^\/scim\/v2\/Users\?/),
        status: 200,
        userAgent: ua,
        errorDetail: null,
        requestBody: null,
      });
      expect(listed!.path).toContain('filter=');
      expect(listed!.path).toContain('count=5');
      expect(created).toMatchObject({
        method: 'POST',
        path: '/scim/v2/Users',
        status: 201,
        userAgent: ua,
        errorDetail: null,
        requestBody: { userName: 'ada@acme.test', password: '[redacted]' },
      });
      expect(notFound).toMatchObject({
        method: 'GET',
        path: `/scim/v2/Users/${missing}`,
        status: 404,
        errorDetail: expect.any(String),
      });
      expect(notFound!.errorDetail!.length).toBeGreaterThan(0);
      expect(patch).toMatchObject({ method: 'PATCH', path: `/scim/v2/Users/${id}` });
      expect(dup).toMatchObject({ status: 409, errorDetail: expect.any(String) });
      for (const entry of log.items) {
        expect(entry.durationMs).toEqual(expect.any(Number));
        expect(entry.durationMs).toBeGreaterThanOrEqual(0);
        expect(Number.isNaN(Date.parse(entry.createdAt))).toBe(false);
      }
      const text = JSON.stringify(log);
      for (const secret of [
        'not-stored-1!',
        'patched-secret-2!',
        'patched-secret-3!',
        'duplicate-secret-4!',
        ws.token,
      ]) {
        expect(text).not.toContain(secret);
      }

      // Paging.
      const page = await requestLog(t, ws.slug, { limit: 2, offset: 1 });
      expect(page).toMatchObject({ total: 5, limit: 2, offset: 1 });
      expect(page.items.map((e) => e.id)).toEqual([patch!.id, notFound!.id]);
      const past = await requestLog(t, ws.slug, { offset: 10 });
      expect(past).toMatchObject({ total: 5, items: [] });
      expectApiError(
        await t.http
          .get(`/api/workspaces/${ws.slug}/scim/requests`)
          .query({ limit: 0 })
          .set('Authorization', t.internal),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('logs nothing for unauthenticated requests', async () => {
      const ws = await scimWorkspace(t);
      const marker = `unauth${randomUUID().slice(0, 8)}`;
      await t.http
        .get('/scim/v2/Users')
        .query({ [marker]: '1' })
        .expect(401);
      await t.http
        .get('/scim/v2/Users')
        .query({ [marker]: '2' })
        .set('Authorization', 'Bearer wrong')
        .expect(401);
      await t.http
        .post('/scim/v2/Users')
        .query({ [marker]: '3' })
        .set('Authorization', `Basic ${ws.token}`)
        .send(oktaUser('eve@acme.test'))
        .expect(401);
      // An authenticated request after them, to know the log has caught up.
      await t.http.get('/scim/v2/Users').query({ after: marker }).set('Authorization', ws.auth);
      const log = await logOfSize(t, ws.slug, 1);
      expect(log.items[0]!.path).toContain(`after=${marker}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rows: unknown[] = await t.dataSource.query(
        `SELECT 1 FROM scim_requests WHERE path LIKE '%' || $1 || '=%'`,
        [marker],
      );
      expect(rows).toHaveLength(0);
    });

    it('is admin-only and scoped to the workspace', async () => {
      const ws = await samlOnlyWorkspace(t);
      const token = (
        await t.http
          .post(`/api/workspaces/${ws.slug}/scim`)
          .set('Cookie', ws.adminCookie)
          .send({ provider: 'okta' })
          .expect(201)
      ).body.token as string;
      const other = await scimWorkspace(t);
      await listUsers(t, token).query({ mine: 'a' }).expect(200);
      await listUsers(t, other.token).query({ theirs: 'b' }).expect(200);
      await logOfSize(t, ws.slug, 1);
      await logOfSize(t, other.slug, 1);

      const mine = await t.http
        .get(`/api/workspaces/${ws.slug}/scim/requests`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(mine.body.total).toBe(1);
      expect(mine.body.items[0].path).toBe('/scim/v2/Users?mine=a');
      const theirs = await requestLog(t, other.slug);
      expect(theirs.items.map((e) => e.path)).toEqual(['/scim/v2/Users?theirs=b']);

      expectApiError(
        await t.http.get(`/api/workspaces/${ws.slug}/scim/requests`).set('Cookie', ws.memberCookie),
        403,
        'FORBIDDEN',
      );
      expectApiError(
        await t.http
          .get(`/api/workspaces/${other.slug}/scim/requests`)
          .set('Cookie', ws.adminCookie),
        404,
        'WORKSPACE_NOT_FOUND',
      );
      expectApiError(
        await t.http.get(`/api/workspaces/${ws.slug}/scim/requests`),
        401,
        'UNAUTHENTICATED',
      );
      expectApiError(
        await t.http
          .get(`/api/workspaces/${ws.slug}/scim/requests`)
          .set('Authorization', `Bearer ${token}`),
        401,
        'UNAUTHENTICATED',
      );
    });
  });

  describe('Entra hint', () => {
    const legacyPatch = {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    };

    it('is shown after Entra requests without ?aadOptscim062020 only', async () => {
      const admin = await samlOnlyWorkspace(t);
      const token = (await enableScim(t, admin.slug, 'azure').expect(201)).body.token as string;
      const ws = { ...admin, adminId: '', adminEmail: '', token, auth: `Bearer ${token}` };
      const id = await createScimUser(t, ws, 'entra@acme.test');
      let logged = 1;
      const patchUser = async (body: object, query: string) => {
        const res = await t.http
          .patch(`/scim/v2/Users/${id}${query}`)
          .set('Authorization', ws.auth)
          .set('User-Agent', 'Azure AD SCIM Client')
          .send(body)
          .expect(200);
        // The connection is noted after the response, with the log entry.
        await logOfSize(t, ws.slug, ++logged);
        return res;
      };

      // A standard request, and Entra's legacy dialect with the flag: no hint.
      await patchUser(
        { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] },
        '',
      );
      const flagged = await patchUser(legacyPatch, '?aadOptscim062020');
      expect(flagged.body.active).toBe(false);
      await patchUser(
        { ...legacyPatch, Operations: [{ op: 'Replace', path: 'active', value: 'True' }] },
        '?aadOptscim062020',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const quiet = await scimStatus(t, ws.slug).expect(200);
      expect(quiet.body.entraHint).toBeNull();

      // Without the flag: the hint appears.
      const legacy = await patchUser(legacyPatch, '');
      expect(legacy.body.active).toBe(false);
      const hinted = await eventually(async () => {
        const status = await scimStatus(t, ws.slug).expect(200);
        expect(status.body.entraHint).toMatchObject({ legacyRequests: 1 });
        return status;
      });
      expect(hinted.body.entraHint).toEqual({
        legacyRequests: 1,
        lastSeenAt: expect.any(String),
        message: expect.stringContaining('?aadOptscim062020'),
      });
      expect(hinted.body.lastRequestAt).toEqual(expect.any(String));

      // String booleans alone count too (lower-case ops).
      await patchUser(
        { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: 'true' }] },
        '',
      );
      await eventually(async () => {
        const status = await scimStatus(t, ws.slug).expect(200);
        expect(status.body.entraHint).toMatchObject({ legacyRequests: 2 });
      });

      // The admin sees it in their own session too.
      const status = await t.http
        .get(`/api/workspaces/${ws.slug}/scim`)
        .set('Cookie', admin.adminCookie)
        .expect(200);
      expect(status.body.entraHint.legacyRequests).toBe(2);

      // Once Entra sends the flag (the admin fixed the Tenant URL), the hint goes away...
      await t.http
        .get('/scim/v2/Users')
        .query({ aadOptscim062020: '', filter: 'userName eq "entra@acme.test"' })
        .set('Authorization', ws.auth)
        .expect(200);
      logged++;
      await eventually(async () => {
        const cleared = await scimStatus(t, ws.slug).expect(200);
        expect(cleared.body.entraHint).toBeNull();
      });
      // ...and comes back if the legacy dialect does.
      await patchUser(legacyPatch, '');
      await eventually(async () => {
        const again = await scimStatus(t, ws.slug).expect(200);
        expect(again.body.entraHint).toMatchObject({ legacyRequests: 1 });
      });
    });
  });
});

describe('SCIM connection with a grace period of 0', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SCIM_TOKEN_GRACE_SECONDS: '0' });
  });
  afterAll(() => t.close());

  it('refuses the old token as soon as the token is rotated', async () => {
    const ws = await scimWorkspace(t);
    const rotated = await rotate(t, ws.slug).expect(201);
    expectScimError(await listUsers(t, ws.token), 401);
    await listUsers(t, rotated.body.token as string).expect(200);
    expect((await scimStatus(t, ws.slug).expect(200)).body.previousTokenValidUntil).toBeNull();
  });
});

describe('SCIM request log retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A fresh process: the pruning runs at most once a minute per process.
    t = await startTestApp({ SCIM_REQUEST_LOG_DAYS: '7' });
  });
  afterAll(() => t.close());

  it('prunes entries older than SCIM_REQUEST_LOG_DAYS', async () => {
    const ws = await scimWorkspace(t);
    const other = await createWorkspace(t, { slug: uniqueSlug('old') });
    const insert = (workspaceId: string, path: string, age: string) =>
      t.dataSource.query(
        `INSERT INTO scim_requests (workspace_id, method, path, status, duration_ms, created_at)
         VALUES ($1, 'GET', $2, 200, 1, now() - $3::interval)`,
        [workspaceId, path, age],
      );
    await insert(ws.id, '/scim/v2/Users?age=10d', '10 days');
    await insert(other.id, '/scim/v2/Users?age=8d', '8 days');
    await insert(ws.id, '/scim/v2/Users?age=3d', '3 days');

    await t.http
      .get('/scim/v2/Users')
      .query({ age: 'now' })
      .set('Authorization', ws.auth)
      .expect(200);

    const log = await eventually(async () => {
      const current = await requestLog(t, ws.slug);
      expect(current.items.map((e) => e.path)).toEqual([
        '/scim/v2/Users?age=now',
        '/scim/v2/Users?age=3d',
      ]);
      // The count and the page are two reads: the pruning may land between them.
      expect(current.total).toBe(2);
      return current;
    });
    expect(log.total).toBe(2);
    // Every workspace's old entries go, not only those of the workspace that made the request.
    const rows: unknown[] = await t.dataSource.query(
      `SELECT 1 FROM scim_requests WHERE created_at < now() - interval '7 days'`,
    );
    expect(rows).toHaveLength(0);
  });
});
