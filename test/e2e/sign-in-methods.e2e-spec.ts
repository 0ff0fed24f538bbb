import { MEMBER_SOURCES } from '../../src/workspace/entities/membership.entity.js';
import type { Response } from 'supertest';
import {
  addMember,
  createWorkspace,
  signIn,
  workspaceWithSignedInAdmin,
} from '../support/fixtures.js';
import {
  createProvider,
  idpKeys,
  postToAcs,
  type ProviderFixture,
  responseFor,
} from '../support/saml-fixtures.js';
import { scimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import {
  SIGN_IN_METHOD_TABLE,
  SIGN_IN_METHODS,
  signInMethodColumn,
} from '../../src/workspace/sign-in-methods.js';

const DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';
const SAML_ONLY = { password: false, office365: false, saml: true, oidc: false };
const OFFICE365_ONLY = { password: false, office365: true, saml: false, oidc: false };
const SAML_UNUSABLE = { method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' };
const OFFICE365_UNUSABLE = { method: 'office365', reason: 'OFFICE365_WITHOUT_CONFIGURATION' };

function settings(t: TestApp, ws: string, body: object, query = '') {
  return t.http
    .patch(`/api/workspaces/${ws}/settings${query}`)
    .set('Authorization', t.internal)
    .send(body);
}

function provider(ws: string, id: string) {
  return `/api/workspaces/${ws}/saml-providers/${id}`;
}

async function workspaceView(t: TestApp, ws: string) {
  const res = await t.http.get(`/api/workspaces/${ws}`).set('Authorization', t.internal);
  expect(res.status).toBe(200);
  return res.body as {
    settings: { signInMethods: Record<string, boolean>; sessionLifetimeSeconds: number };
    warnings: { code: string; message: string }[];
  };
}

async function warningCodes(t: TestApp, ws: string): Promise<string[]> {
  return (await workspaceView(t, ws)).warnings.map((w) => w.code);
}

async function auditEvents(t: TestApp, ws: string, action: string) {
  const res = await t.http
    .get(`/api/workspaces/${ws}/audit-events?action=${action}`)
    .set('Authorization', t.internal)
    .expect(200);
  return res.body.items as {
    channel: string;
    details: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  }[];
}

function expectNoUsableMethod(res: Response, unusable: object[]): void {
  expect({ status: res.status, code: res.body.code }).toEqual({
    status: 409,
    code: 'NO_USABLE_SIGN_IN_METHOD',
  });
  expect(res.body.unusableMethods).toEqual(unusable);
  expect(res.body.message).toEqual(expect.stringContaining('nobody able to sign in'));
}

function cookieOf(res: Response): string {
  return (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
}

async function samlSignIn(t: TestApp, idp: ProviderFixture, email: string): Promise<string> {
  const res = await postToAcs(t, idp, await responseFor(idp, email));
  expect(res.status).toBe(302);
  return cookieOf(res);
}

async function withProvider(t: TestApp, ws: string, name?: string): Promise<ProviderFixture> {
  const [key] = await idpKeys();
  return createProvider(t, ws, { key: key!, ...(name && { name }) });
}

describe('sign-in methods on a server without Office365', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('the table of methods and the database', () => {
    it('has a sign_in_<method> switch per method, with its default', async () => {
      const columns: { column_name: string; column_default: string }[] = await t.dataSource.query(
        `SELECT column_name, column_default FROM information_schema.columns
          WHERE table_name = 'workspaces' AND column_name LIKE 'sign\\_in\\_%'
          ORDER BY column_name`,
      );
      expect(Object.fromEntries(columns.map((c) => [c.column_name, c.column_default]))).toEqual(
        Object.fromEntries(
          SIGN_IN_METHODS.map((m) => [
            signInMethodColumn(m),
            String(SIGN_IN_METHOD_TABLE[m].enabledByDefault),
          ]),
        ),
      );
    });

    it('lets sessions name exactly the methods of the table', async () => {
      const [check]: { definition: string }[] = await t.dataSource.query(
        `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
          WHERE conrelid = 'sessions'::regclass AND contype = 'c'
            AND pg_get_constraintdef(oid) LIKE '%method%'`,
      );
      const allowed = [...check!.definition.matchAll(/'(\w+)'::text/g)].map((m) => m[1]);
      expect(allowed.sort()).toEqual([...SIGN_IN_METHODS].sort());
    });

    it('lets a member come in just in time by exactly the methods of the table but the password', async () => {
      const [check]: { definition: string }[] = await t.dataSource.query(
        `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
          WHERE conname = 'memberships_source_check'`,
      );
      const allowed = [...check!.definition.matchAll(/'(\w+)'::text/g)].map((m) => m[1]);
      const justInTime = SIGN_IN_METHODS.filter((method) => method !== 'password');
      expect(allowed.sort()).toEqual(['invite', 'manual', 'scim', ...justInTime].sort());
      expect([...MEMBER_SOURCES].sort()).toEqual(allowed.sort());
    });

    it('documents every method in the OpenAPI document', async () => {
      const res = await t.http.get('/docs/json').expect(200);
      const schema = res.body.components.schemas.SignInMethodsDto;
      expect(Object.keys(schema.properties).sort()).toEqual([...SIGN_IN_METHODS].sort());
      const session = res.body.components.schemas.SessionView;
      expect(session.properties.method.enum).toEqual([...SIGN_IN_METHODS]);
    });

    it('refuses an unknown method in the settings, and changes nothing', async () => {
      const ws = await createWorkspace(t);
      const res = await settings(t, ws.slug, {
        signInMethods: { password: false, kerberos: true },
      });
      expect(res.status).toBe(400);
      expect((await workspaceView(t, ws.slug)).settings.signInMethods.password).toBe(true);
    });
  });

  describe('Office365 switched off by the workspace', () => {
    it('answers the contract sentence, not OFFICE365_NOT_CONFIGURED', async () => {
      const ws = await createWorkspace(t);
      await settings(t, ws.slug, { signInMethods: { office365: false } }).expect(200);
      const res = await t.http
        .get('/auth/office365/login')
        .query({ workspace: ws.slug })
        .set('Accept', 'application/json');
      expect({ status: res.status, body: res.body }).toEqual({
        status: 403,
        body: {
          statusCode: 403,
          code: 'SIGN_IN_METHOD_DISABLED',
          message: DISABLED_MESSAGE,
          method: 'office365',
        },
      });
    });

    it('still answers OFFICE365_NOT_CONFIGURED where the workspace allows Office365', async () => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .get('/auth/office365/login')
        .query({ workspace: ws.slug })
        .set('Accept', 'application/json');
      expect([res.status, res.body.code]).toEqual([404, 'OFFICE365_NOT_CONFIGURED']);
    });

    it('warns while the workspace has Office365 on', async () => {
      const ws = await createWorkspace(t);
      const view = await workspaceView(t, ws.slug);
      expect(view.warnings).toContainEqual({
        code: 'OFFICE365_WITHOUT_CONFIGURATION',
        message: expect.stringContaining('OFFICE365_CLIENT_ID'),
      });
      const off = await settings(t, ws.slug, { signInMethods: { office365: false } }).expect(200);
      expect(off.body.warnings.map((w: { code: string }) => w.code)).not.toContain(
        'OFFICE365_WITHOUT_CONFIGURATION',
      );
    });
  });

  describe('no usable sign-in method', () => {
    it('refuses SAML as the only method without an enabled provider, and changes nothing', async () => {
      const ws = await createWorkspace(t);
      expectNoUsableMethod(await settings(t, ws.slug, { signInMethods: SAML_ONLY }), [
        SAML_UNUSABLE,
      ]);
      // A disabled provider does not count.
      const idp = await withProvider(t, ws.slug);
      await t.http
        .patch(provider(ws.slug, idp.id))
        .set('Authorization', t.internal)
        .send({ enabled: false })
        .expect(200);
      expectNoUsableMethod(
        await settings(t, ws.slug, { signInMethods: SAML_ONLY, sessionLifetimeSeconds: 3600 }),
        [SAML_UNUSABLE],
      );
      const view = await workspaceView(t, ws.slug);
      expect(view.settings.signInMethods).toEqual({
        password: true,
        office365: true,
        saml: true,
        oidc: false,
      });
      expect(view.settings.sessionLifetimeSeconds).toBe(2592000);
    });

    it('allows SAML as the only method with an enabled provider', async () => {
      const ws = await createWorkspace(t);
      await withProvider(t, ws.slug);
      const res = await settings(t, ws.slug, { signInMethods: SAML_ONLY }).expect(200);
      expect(res.body.settings.signInMethods).toEqual(SAML_ONLY);
    });

    it('refuses Office365 as the only method on this server', async () => {
      const ws = await createWorkspace(t);
      expectNoUsableMethod(await settings(t, ws.slug, { signInMethods: OFFICE365_ONLY }), [
        OFFICE365_UNUSABLE,
      ]);
    });

    it('refuses turning password off when neither SAML nor Office365 can work, naming both', async () => {
      const ws = await createWorkspace(t);
      const res = await settings(t, ws.slug, { signInMethods: { password: false } });
      expectNoUsableMethod(res, [OFFICE365_UNUSABLE, SAML_UNUSABLE]);
      expect(res.body.message).toContain('no SAML provider is enabled');
      expect(res.body.message).toContain('no Office365 configuration');
    });

    it('keeps NO_SIGN_IN_METHOD for all methods off, even forced', async () => {
      const ws = await createWorkspace(t);
      const res = await settings(
        t,
        ws.slug,
        { signInMethods: { password: false, office365: false, saml: false } },
        '?force=true',
      );
      expect([res.status, res.body.code]).toEqual([409, 'NO_SIGN_IN_METHOD']);
    });

    it('refuses disabling or deleting the last enabled provider while SAML is the only method', async () => {
      const ws = await createWorkspace(t);
      const first = await withProvider(t, ws.slug, 'First');
      const second = await withProvider(t, ws.slug, 'Second');
      await settings(t, ws.slug, { signInMethods: SAML_ONLY }).expect(200);
      // One of two may go.
      await t.http
        .patch(provider(ws.slug, first.id))
        .set('Authorization', t.internal)
        .send({ enabled: false })
        .expect(200);
      // Not the last one, by either route.
      expectNoUsableMethod(
        await t.http
          .patch(provider(ws.slug, second.id))
          .set('Authorization', t.internal)
          .send({ enabled: false, name: 'Renamed' }),
        [SAML_UNUSABLE],
      );
      expectNoUsableMethod(
        await t.http.delete(provider(ws.slug, second.id)).set('Authorization', t.internal),
        [SAML_UNUSABLE],
      );
      const kept = await t.http
        .get(provider(ws.slug, second.id))
        .set('Authorization', t.internal)
        .expect(200);
      expect(kept.body).toMatchObject({ name: 'Second', enabled: true });
      // Deleting the disabled one, or renaming the last, changes nothing that matters.
      await t.http.delete(provider(ws.slug, first.id)).set('Authorization', t.internal).expect(204);
      await t.http
        .patch(provider(ws.slug, second.id))
        .set('Authorization', t.internal)
        .send({ name: 'Renamed' })
        .expect(200);
      // With password back on, the last provider may go.
      await settings(t, ws.slug, { signInMethods: { password: true } }).expect(200);
      await t.http
        .delete(provider(ws.slug, second.id))
        .set('Authorization', t.internal)
        .expect(204);
    });

    it('refuses deleting the last provider while SAML and an unconfigured Office365 are on', async () => {
      const ws = await createWorkspace(t);
      const idp = await withProvider(t, ws.slug);
      await settings(t, ws.slug, { signInMethods: { password: false } }).expect(200);
      expectNoUsableMethod(
        await t.http.delete(provider(ws.slug, idp.id)).set('Authorization', t.internal),
        [OFFICE365_UNUSABLE, SAML_UNUSABLE],
      );
    });

    it('lets a workspace already without a usable method change its other settings', async () => {
      const ws = await createWorkspace(t);
      await settings(t, ws.slug, { signInMethods: SAML_ONLY }, '?force=true').expect(200);
      const res = await settings(t, ws.slug, { sessionLifetimeSeconds: 7200 }).expect(200);
      expect(res.body.settings.sessionLifetimeSeconds).toBe(7200);
    });
  });

  describe('forcing', () => {
    it('lets the internal token force settings, audited as forced', async () => {
      const ws = await createWorkspace(t);
      const res = await settings(t, ws.slug, { signInMethods: SAML_ONLY }, '?force=true').expect(
        200,
      );
      expect(res.body.settings.signInMethods).toEqual(SAML_ONLY);
      expect(res.body.warnings.map((w: { code: string }) => w.code)).toContain(
        'SAML_WITHOUT_PROVIDER',
      );
      const [event] = await auditEvents(t, ws.slug, 'workspace.settings_updated');
      expect(event).toMatchObject({
        channel: 'internal',
        after: { signInMethods: SAML_ONLY },
        details: { forced: true, unusableMethods: [SAML_UNUSABLE] },
      });
    });

    it('does not mark a change as forced when nothing had to be forced', async () => {
      const ws = await createWorkspace(t);
      await settings(t, ws.slug, { signInMethods: { office365: false } }, '?force=true').expect(
        200,
      );
      const [event] = await auditEvents(t, ws.slug, 'workspace.settings_updated');
      expect(event!.details).toBeNull();
    });

    it('lets the internal token force disabling and deleting the last provider, audited', async () => {
      const ws = await createWorkspace(t);
      const idp = await withProvider(t, ws.slug);
      await settings(t, ws.slug, { signInMethods: SAML_ONLY }).expect(200);
      await t.http
        .patch(`${provider(ws.slug, idp.id)}?force=true`)
        .set('Authorization', t.internal)
        .send({ enabled: false })
        .expect(200);
      const [updated] = await auditEvents(t, ws.slug, 'saml_provider.updated');
      expect(updated!.details).toEqual({ forced: true, unusableMethods: [SAML_UNUSABLE] });

      const other = await withProvider(t, ws.slug, 'Other');
      await t.http
        .delete(`${provider(ws.slug, other.id)}?force=true`)
        .set('Authorization', t.internal)
        .expect(204);
      const [deleted] = await auditEvents(t, ws.slug, 'saml_provider.deleted');
      expect(deleted!.details).toEqual({ forced: true, unusableMethods: [SAML_UNUSABLE] });
    });

    it('refuses force from an admin session, and changes nothing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const idp = await withProvider(t, ws.slug);
      const forced = await t.http
        .patch(`/api/workspaces/${ws.slug}/settings?force=true`)
        .set('Cookie', ws.adminCookie)
        .send({ signInMethods: OFFICE365_ONLY });
      expect([forced.status, forced.body.code]).toEqual([403, 'FORBIDDEN']);
      // Even a change that needs no forcing: the flag is the internal token's.
      const harmless = await t.http
        .patch(`/api/workspaces/${ws.slug}/settings?force=true`)
        .set('Cookie', ws.adminCookie)
        .send({ sessionLifetimeSeconds: 3600 });
      expect([harmless.status, harmless.body.code]).toEqual([403, 'FORBIDDEN']);
      const onProvider = await t.http
        .patch(`${provider(ws.slug, idp.id)}?force=true`)
        .set('Cookie', ws.adminCookie)
        .send({ enabled: false });
      expect([onProvider.status, onProvider.body.code]).toEqual([403, 'FORBIDDEN']);
      const deleting = await t.http
        .delete(`${provider(ws.slug, idp.id)}?force=true`)
        .set('Cookie', ws.adminCookie);
      expect([deleting.status, deleting.body.code]).toEqual([403, 'FORBIDDEN']);

      const view = await workspaceView(t, ws.slug);
      expect(view.settings).toMatchObject({
        signInMethods: { password: true, office365: true, saml: true },
        sessionLifetimeSeconds: 2592000,
      });
      const kept = await t.http
        .get(provider(ws.slug, idp.id))
        .set('Authorization', t.internal)
        .expect(200);
      expect(kept.body.enabled).toBe(true);
      // Without the flag, the admin's own change goes through.
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings?force=false`)
        .set('Cookie', ws.adminCookie)
        .send({ sessionLifetimeSeconds: 3600 })
        .expect(200);
    });

    it.each(['yes', '1', ''])('refuses ?force=%s as a validation error', async (value) => {
      const ws = await createWorkspace(t);
      const res = await settings(t, ws.slug, { signInMethods: SAML_ONLY }, `?force=${value}`);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('force');
    });
  });

  describe('switching a method off', () => {
    it('ends the live sessions made with it, audited, and keeps the others', async () => {
      const ws = await createWorkspace(t);
      const idp = await withProvider(t, ws.slug);
      const memberEmail = `member@${ws.slug}.example.com`;
      await addMember(t, ws.slug, memberEmail);
      const adminByPassword = await signIn(t, ws.slug, ws.adminEmail);
      const memberByPassword = await signIn(t, ws.slug, memberEmail);
      const memberBySaml = await samlSignIn(t, idp, memberEmail);
      // The same person, same method, in another workspace: not this workspace's business.
      const elsewhere = await createWorkspace(t);
      await addMember(t, elsewhere.slug, memberEmail);
      const elsewhereByPassword = await signIn(t, elsewhere.slug, memberEmail);

      await settings(t, ws.slug, { signInMethods: { password: false } }).expect(200);

      await t.http.get('/auth/session').set('Cookie', adminByPassword).expect(401);
      await t.http.get('/auth/session').set('Cookie', memberByPassword).expect(401);
      const saml = await t.http.get('/auth/session').set('Cookie', memberBySaml).expect(200);
      expect(saml.body.method).toBe('saml');
      await t.http.get('/auth/session').set('Cookie', elsewhereByPassword).expect(200);

      const rows = await t.dataSource.query<{ method: string; revoked_reason: string | null }[]>(
        `SELECT method, revoked_reason FROM sessions WHERE workspace_id = $1 ORDER BY method`,
        [ws.id],
      );
      expect(rows).toEqual([
        { method: 'password', revoked_reason: 'sign_in_method_disabled' },
        { method: 'password', revoked_reason: 'sign_in_method_disabled' },
        { method: 'saml', revoked_reason: null },
      ]);
      const events = await auditEvents(t, ws.slug, 'workspace.sessions_revoked');
      expect(events).toEqual([
        expect.objectContaining({
          channel: 'internal',
          details: { reason: 'sign_in_method_disabled', method: 'password', sessionsRevoked: 2 },
        }),
      ]);
    });

    it('ends SAML sessions when SAML is switched off, password sessions stay', async () => {
      const ws = await createWorkspace(t);
      const idp = await withProvider(t, ws.slug);
      const bySaml = await samlSignIn(t, idp, ws.adminEmail);
      const byPassword = await signIn(t, ws.slug, ws.adminEmail);
      await settings(t, ws.slug, { signInMethods: { saml: false } }).expect(200);
      await t.http.get('/auth/session').set('Cookie', bySaml).expect(401);
      await t.http.get('/auth/session').set('Cookie', byPassword).expect(200);
      const events = await auditEvents(t, ws.slug, 'workspace.sessions_revoked');
      expect(events.map((e) => e.details)).toEqual([
        { reason: 'sign_in_method_disabled', method: 'saml', sessionsRevoked: 1 },
      ]);
    });

    it('ends nothing when no method is switched off', async () => {
      const ws = await createWorkspace(t);
      const byPassword = await signIn(t, ws.slug, ws.adminEmail);
      await settings(t, ws.slug, {
        signInMethods: { password: true },
        sessionLifetimeSeconds: 3600,
      }).expect(200);
      await t.http.get('/auth/session').set('Cookie', byPassword).expect(200);
      expect(await auditEvents(t, ws.slug, 'workspace.sessions_revoked')).toEqual([]);
    });
  });

  describe('the SCIM-only lock', () => {
    it('warns when it is on without a SCIM connection', async () => {
      const ws = await createWorkspace(t);
      const res = await settings(t, ws.slug, { scimOnlyProvisioning: true }).expect(200);
      expect(res.body.warnings).toContainEqual({
        code: 'SCIM_ONLY_WITHOUT_SCIM',
        message: expect.stringContaining('no SCIM connection'),
      });
      expect(await warningCodes(t, ws.slug)).toContain('SCIM_ONLY_WITHOUT_SCIM');
      await settings(t, ws.slug, { scimOnlyProvisioning: false }).expect(200);
      expect(await warningCodes(t, ws.slug)).not.toContain('SCIM_ONLY_WITHOUT_SCIM');
    });

    it('refuses switching on a method SCIM does not allow while SCIM is on, and changes nothing', async () => {
      const ws = await scimWorkspace(t);
      const res = await settings(t, ws.slug, {
        signInMethods: { password: true, office365: true },
      });
      expect({ status: res.status, code: res.body.code, reasons: res.body.reasons }).toEqual({
        status: 409,
        code: 'SCIM_REQUIRES_SAML_ONLY',
        reasons: ['PASSWORD_ENABLED', 'OFFICE365_ENABLED'],
      });
      expect(res.body.message).toContain('before enabling password or Office365');
      expect((await workspaceView(t, ws.slug)).settings.signInMethods).toMatchObject(SAML_ONLY);
    });

    it('does not warn with a SCIM connection', async () => {
      const ws = await scimWorkspace(t);
      const res = await settings(t, ws.slug, { scimOnlyProvisioning: true }).expect(200);
      expect(res.body.warnings.map((w: { code: string }) => w.code)).not.toContain(
        'SCIM_ONLY_WITHOUT_SCIM',
      );
    });
  });
});

describe('sign-in methods on a server with Office365', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Settings never reach Microsoft: a client id and secret are all the server needs here.
    t = await startTestApp({
      OFFICE365_CLIENT_ID: 'gatehouse-test-client',
      OFFICE365_CLIENT_SECRET: 'gatehouse-test-secret',
    });
  });
  afterAll(() => t.close());

  it('allows Office365 as the only method, without a warning', async () => {
    const ws = await createWorkspace(t);
    expect(await warningCodes(t, ws.slug)).not.toContain('OFFICE365_WITHOUT_CONFIGURATION');
    const res = await settings(t, ws.slug, { signInMethods: OFFICE365_ONLY }).expect(200);
    expect(res.body.settings.signInMethods).toEqual(OFFICE365_ONLY);
  });

  it('lets the last provider go while Office365 can sign people in', async () => {
    const ws = await createWorkspace(t);
    const idp = await withProvider(t, ws.slug);
    await settings(t, ws.slug, { signInMethods: { password: false } }).expect(200);
    await t.http.delete(provider(ws.slug, idp.id)).set('Authorization', t.internal).expect(204);
  });
});
