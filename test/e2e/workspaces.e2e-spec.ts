import { createWorkspace, PASSWORD, signIn, uniqueSlug } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('workspaces', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates a workspace with default settings and a first admin', async () => {
    const slug = uniqueSlug();
    const res = await t.http
      .post('/api/workspaces')
      .set('Authorization', t.internal)
      .send({ name: 'Acme', slug, firstAdmin: { email: 'Ada@Acme.example', password: PASSWORD } })
      .expect(201);
    expect(res.body).toMatchObject({
      slug,
      name: 'Acme',
      settings: {
        signInMethods: { password: true, office365: true, saml: true },
        sessionLifetimeSeconds: 2592000,
        sessionIdleTimeoutSeconds: null,
        scimOnlyProvisioning: false,
      },
    });
    const members = await t.http
      .get(`/api/workspaces/${res.body.id}/members`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(members.body.items).toEqual([
      expect.objectContaining({
        email: 'ada@acme.example',
        role: 'admin',
        status: 'active',
        source: 'manual',
      }),
    ]);
  });

  it('derives a unique slug from the name when none is given', async () => {
    const first = await t.http
      .post('/api/workspaces')
      .set('Authorization', t.internal)
      .send({ name: 'Zürich Crème Ltd' })
      .expect(201);
    expect(first.body.slug).toBe('zurich-creme-ltd');
    const second = await t.http
      .post('/api/workspaces')
      .set('Authorization', t.internal)
      .send({ name: 'Zürich Crème Ltd' })
      .expect(201);
    expect(second.body.slug).toBe('zurich-creme-ltd-2');
  });

  describe('failing cases', () => {
    it('refuses a taken slug', async () => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .post('/api/workspaces')
        .set('Authorization', t.internal)
        .send({ name: 'Again', slug: ws.slug })
        .expect(409);
      expect(res.body.code).toBe('SLUG_TAKEN');
    });

    it('refuses creation without the internal token', async () => {
      const res = await t.http.post('/api/workspaces').send({ name: 'x' }).expect(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a wrong internal token', async () => {
      const res = await t.http
        .post('/api/workspaces')
        .set('Authorization', 'Bearer not-the-token')
        .send({ name: 'x' })
        .expect(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses creation by a signed-in admin (internal token only)', async () => {
      const ws = await createWorkspace(t);
      const cookie = await signIn(t, ws.slug, ws.adminEmail);
      const res = await t.http.post('/api/workspaces').set('Cookie', cookie).send({ name: 'x' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it.each([
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', slug: 'Not A Slug' }, 'slug'],
      [{ name: 'x', slug: '123e4567-e89b-12d3-a456-426614174000' }, 'slug'],
      [{ name: 'x', firstAdmin: { email: 'not-an-email' } }, 'firstAdmin.email'],
      [
        { name: 'x', firstAdmin: { email: 'a@b.example', password: 'short' } },
        'firstAdmin.password',
      ],
      [{ name: 'x', extra: true }, 'extra'],
    ])('refuses invalid input %j naming %s', async (body, field) => {
      const res = await t.http
        .post('/api/workspaces')
        .set('Authorization', t.internal)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('answers 404 for an unknown workspace', async () => {
      const res = await t.http
        .get('/api/workspaces/no-such-workspace')
        .set('Authorization', t.internal)
        .expect(404);
      expect(res.body.code).toBe('WORKSPACE_NOT_FOUND');
    });
  });

  describe('settings', () => {
    it('reads by id or slug and updates settings', async () => {
      const ws = await createWorkspace(t);
      await t.http.get(`/api/workspaces/${ws.id}`).set('Authorization', t.internal).expect(200);
      const res = await t.http
        .patch(`/api/workspaces/${ws.slug.toUpperCase()}/settings`)
        .set('Authorization', t.internal)
        .send({
          signInMethods: { office365: false },
          sessionLifetimeSeconds: 3600,
          sessionIdleTimeoutSeconds: 900,
          scimOnlyProvisioning: true,
        })
        .expect(200);
      expect(res.body.settings).toEqual({
        signInMethods: { password: true, office365: false, saml: true, oidc: false },
        sessionLifetimeSeconds: 3600,
        sessionIdleTimeoutSeconds: 900,
        scimOnlyProvisioning: true,
      });
      const cleared = await t.http
        .patch(`/api/workspaces/${ws.id}/settings`)
        .set('Authorization', t.internal)
        .send({ sessionIdleTimeoutSeconds: null, scimOnlyProvisioning: false })
        .expect(200);
      expect(cleared.body.settings.sessionIdleTimeoutSeconds).toBeNull();
      expect(cleared.body.settings.scimOnlyProvisioning).toBe(false);
    });

    it('refuses turning every sign-in method off, and changes nothing', async () => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .patch(`/api/workspaces/${ws.id}/settings`)
        .set('Authorization', t.internal)
        .send({ signInMethods: { password: false, office365: false, saml: false } })
        .expect(409);
      expect(res.body.code).toBe('NO_SIGN_IN_METHOD');
      const after = await t.http.get(`/api/workspaces/${ws.id}`).set('Authorization', t.internal);
      expect(after.body.settings.signInMethods).toEqual({
        password: true,
        office365: true,
        saml: true,
        oidc: false,
      });
    });

    it.each([
      [{ sessionLifetimeSeconds: 10 }, 'sessionLifetimeSeconds'],
      [{ sessionLifetimeSeconds: '3600' }, 'sessionLifetimeSeconds'],
      [{ sessionIdleTimeoutSeconds: 0 }, 'sessionIdleTimeoutSeconds'],
      [{ signInMethods: { password: 'yes' } }, 'signInMethods.password'],
      [{ signInMethods: { ldap: true } }, 'signInMethods.ldap'],
      [{ scimOnlyProvisioning: 1 }, 'scimOnlyProvisioning'],
    ])('refuses invalid settings %j', async (body, field) => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .patch(`/api/workspaces/${ws.id}/settings`)
        .set('Authorization', t.internal)
        .send(body)
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('records settings changes in the audit trail with before and after', async () => {
      const ws = await createWorkspace(t);
      await t.http
        .patch(`/api/workspaces/${ws.id}/settings`)
        .set('Authorization', t.internal)
        .send({ sessionLifetimeSeconds: 7200 })
        .expect(200);
      const audit = await t.http
        .get(`/api/workspaces/${ws.id}/audit-events`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(audit.body.items[0]).toMatchObject({
        action: 'workspace.settings_updated',
        channel: 'internal',
        before: { sessionLifetimeSeconds: 2592000 },
        after: { sessionLifetimeSeconds: 7200 },
      });
    });
  });
});
