import { addMember, PASSWORD, signIn, workspaceWithSignedInAdmin } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { itWithConcurrentConnections } from '../support/test-database.js';

describe('members', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const members = (ws: string) => `/api/workspaces/${ws}/members`;

  it('adds, lists, filters, reads, updates and removes members', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    const added = await t.http
      .post(members(ws.slug))
      .set('Authorization', t.internal)
      .send({ email: 'Grace@Example.com', fullName: 'Grace Hopper', role: 'member' })
      .expect(201);
    expect(added.body).toMatchObject({
      email: 'grace@example.com',
      fullName: 'Grace Hopper',
      role: 'member',
      status: 'active',
      source: 'manual',
      scimManaged: false,
    });
    const userId = added.body.userId as string;

    const list = await t.http.get(members(ws.slug)).set('Cookie', ws.adminCookie).expect(200);
    expect(list.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
    const filtered = await t.http
      .get(`${members(ws.slug)}?role=member&email=GRACE`)
      .set('Cookie', ws.adminCookie)
      .expect(200);
    expect(filtered.body.items.map((m: { userId: string }) => m.userId)).toEqual([userId]);
    const paged = await t.http
      .get(`${members(ws.slug)}?limit=1&offset=1`)
      .set('Cookie', ws.adminCookie)
      .expect(200);
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.total).toBe(2);

    const updated = await t.http
      .patch(`${members(ws.slug)}/${userId}`)
      .set('Cookie', ws.adminCookie)
      .send({ role: 'admin', fullName: 'Rear Admiral Hopper' })
      .expect(200);
    expect(updated.body).toMatchObject({ role: 'admin', fullName: 'Rear Admiral Hopper' });

    await t.http
      .delete(`${members(ws.slug)}/${userId}`)
      .set('Cookie', ws.adminCookie)
      .expect(204);
    await t.http
      .get(`${members(ws.slug)}/${userId}`)
      .set('Cookie', ws.adminCookie)
      .expect(404);

    const audit = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events?targetId=${userId}`)
      .set('Cookie', ws.adminCookie)
      .expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      'member.removed',
      'member.updated',
      'member.added',
    ]);
    expect(audit.body.items[1]).toMatchObject({
      channel: 'admin',
      actorId: ws.adminId,
      before: { role: 'member' },
      after: { role: 'admin' },
    });
  });

  it('lets one person belong to several workspaces', async () => {
    const a = await workspaceWithSignedInAdmin(t);
    const b = await workspaceWithSignedInAdmin(t);
    const idA = await addMember(t, a.slug, 'shared@example.com');
    const res = await t.http
      .post(members(b.slug))
      .set('Authorization', t.internal)
      .send({ email: 'SHARED@example.com' })
      .expect(201);
    expect(res.body.userId).toBe(idA);
  });

  it('deactivation ends the member sessions in that workspace; reactivation lets them back', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    const userId = await addMember(t, ws.slug, 'dee@example.com');
    const cookie = await signIn(t, ws.slug, 'dee@example.com');
    await t.http.get('/auth/session').set('Cookie', cookie).expect(200);

    await t.http
      .patch(`${members(ws.slug)}/${userId}`)
      .set('Cookie', ws.adminCookie)
      .send({ status: 'deactivated' })
      .expect(200);
    await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    const refused = await t.http
      .post('/auth/password/login')
      .send({ workspace: ws.slug, email: 'dee@example.com', password: PASSWORD })
      .expect(403);
    expect(refused.body.code).toBe('MEMBERSHIP_DEACTIVATED');

    const reactivated = await t.http
      .patch(`${members(ws.slug)}/${userId}`)
      .set('Cookie', ws.adminCookie)
      .send({ status: 'active' })
      .expect(200);
    expect(reactivated.body).toMatchObject({ status: 'active', deactivatedAt: null });
    await signIn(t, ws.slug, 'dee@example.com');
  });

  it('signs one member out, or everyone', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    const userId = await addMember(t, ws.slug, 'out@example.com');
    const cookie = await signIn(t, ws.slug, 'out@example.com');
    const one = await t.http
      .delete(`${members(ws.slug)}/${userId}/sessions`)
      .set('Cookie', ws.adminCookie)
      .expect(200);
    expect(one.body).toEqual({ revoked: 1 });
    await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    await t.http.get('/auth/session').set('Cookie', ws.adminCookie).expect(200);

    await signIn(t, ws.slug, 'out@example.com');
    const all = await t.http
      .post(`/api/workspaces/${ws.slug}/sessions/revoke`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(all.body).toEqual({ revoked: 2 });
    await t.http.get('/auth/session').set('Cookie', ws.adminCookie).expect(401);
  });

  it('lets a non-admin member read their own profile only', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    const userId = await addMember(t, ws.slug, 'self@example.com');
    const cookie = await signIn(t, ws.slug, 'self@example.com');
    const own = await t.http
      .get(`${members(ws.slug)}/${userId}`)
      .set('Cookie', cookie)
      .expect(200);
    expect(own.body.email).toBe('self@example.com');
    const other = await t.http.get(`${members(ws.slug)}/${ws.adminId}`).set('Cookie', cookie);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('FORBIDDEN');
    for (const [method, path] of [
      ['get', members(ws.slug)],
      ['patch', `${members(ws.slug)}/${userId}`],
      ['get', `/api/workspaces/${ws.slug}`],
      ['get', `/api/workspaces/${ws.slug}/audit-events`],
    ] as const) {
      const res = await t.http[method](path).set('Cookie', cookie).send({ role: 'admin' });
      expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
  });

  describe('failing cases', () => {
    it('keeps workspaces apart: another workspace admin gets 404', async () => {
      const a = await workspaceWithSignedInAdmin(t);
      const b = await workspaceWithSignedInAdmin(t);
      for (const ws of [b.slug, b.id]) {
        const res = await t.http.get(members(ws)).set('Cookie', a.adminCookie).expect(404);
        expect(res.body.code).toBe('WORKSPACE_NOT_FOUND');
      }
      // A's member id looked up in B's workspace (internal token): no such member there.
      const res = await t.http
        .get(`${members(b.slug)}/${a.adminId}`)
        .set('Authorization', t.internal)
        .expect(404);
      expect(res.body.code).toBe('MEMBER_NOT_FOUND');
      await t.http
        .patch(`${members(b.slug)}/${a.adminId}`)
        .set('Authorization', t.internal)
        .send({ role: 'member' })
        .expect(404);
    });

    it('answers 404 for a malformed member id', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .get(`${members(ws.slug)}/not-a-uuid`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('MEMBER_NOT_FOUND');
    });

    it('refuses listing without credentials', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http.get(members(ws.slug)).expect(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
      await t.http.get(members(ws.slug)).set('Cookie', 'gatehouse_session=forged').expect(401);
    });

    it('refuses adding members by a signed-in admin (internal token only)', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(members(ws.slug))
        .set('Cookie', ws.adminCookie)
        .send({ email: 'x@example.com' })
        .expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('refuses adding an existing member', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(members(ws.slug))
        .set('Authorization', t.internal)
        .send({ email: ws.adminEmail.toUpperCase() })
        .expect(409);
      expect(res.body.code).toBe('ALREADY_A_MEMBER');
    });

    it('refuses setting a password on an existing person', async () => {
      const a = await workspaceWithSignedInAdmin(t);
      const b = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(members(b.slug))
        .set('Authorization', t.internal)
        .send({ email: a.adminEmail, password: 'another password entirely' })
        .expect(409);
      expect(res.body.code).toBe('PASSWORD_ALREADY_SET');
      await signIn(t, a.slug, a.adminEmail);
      await t.http
        .get(`${members(b.slug)}/${a.adminId}`)
        .set('Authorization', t.internal)
        .expect(404);
    });

    it('refuses adding members while SCIM-only provisioning is on', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Cookie', ws.adminCookie)
        .send({ scimOnlyProvisioning: true })
        .expect(200);
      const res = await t.http
        .post(members(ws.slug))
        .set('Authorization', t.internal)
        .send({ email: 'new@example.com' })
        .expect(409);
      expect(res.body.code).toBe('SCIM_ONLY_PROVISIONING');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Cookie', ws.adminCookie)
        .send({ scimOnlyProvisioning: false })
        .expect(200);
      await t.http
        .post(members(ws.slug))
        .set('Authorization', t.internal)
        .send({ email: 'new@example.com' })
        .expect(201);
    });

    it.each([
      [{ role: 'owner' }, 'role'],
      [{ status: 'suspended' }, 'status'],
      [{ fullName: '' }, 'fullName'],
      [{ email: 'x@example.com' }, 'email'],
    ])('refuses invalid update %j', async (body, field) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .patch(`${members(ws.slug)}/${ws.adminId}`)
        .set('Cookie', ws.adminCookie)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    describe('the last active admin', () => {
      it.each([
        ['demoted', { role: 'member' }],
        ['deactivated', { status: 'deactivated' }],
      ])('cannot be %s', async (_, body) => {
        const ws = await workspaceWithSignedInAdmin(t);
        const res = await t.http
          .patch(`${members(ws.slug)}/${ws.adminId}`)
          .set('Authorization', t.internal)
          .send(body)
          .expect(409);
        expect(res.body.code).toBe('LAST_ADMIN');
        const after = await t.http
          .get(`${members(ws.slug)}/${ws.adminId}`)
          .set('Authorization', t.internal);
        expect(after.body).toMatchObject({ role: 'admin', status: 'active' });
      });

      it('cannot be removed', async () => {
        const ws = await workspaceWithSignedInAdmin(t);
        const res = await t.http
          .delete(`${members(ws.slug)}/${ws.adminId}`)
          .set('Authorization', t.internal)
          .expect(409);
        expect(res.body.code).toBe('LAST_ADMIN');
      });

      it('does not count a deactivated admin', async () => {
        const ws = await workspaceWithSignedInAdmin(t);
        const other = await addMember(t, ws.slug, 'second@example.com', 'admin');
        await t.http
          .patch(`${members(ws.slug)}/${other}`)
          .set('Authorization', t.internal)
          .send({ status: 'deactivated' })
          .expect(200);
        await t.http
          .patch(`${members(ws.slug)}/${ws.adminId}`)
          .set('Authorization', t.internal)
          .send({ role: 'member' })
          .expect(409);
      });

      it('can step down once another admin exists', async () => {
        const ws = await workspaceWithSignedInAdmin(t);
        await addMember(t, ws.slug, 'heir@example.com', 'admin');
        await t.http
          .patch(`${members(ws.slug)}/${ws.adminId}`)
          .set('Cookie', ws.adminCookie)
          .send({ role: 'member' })
          .expect(200);
        // The session now belongs to a member: admin routes are closed to it at once.
        await t.http.get(members(ws.slug)).set('Cookie', ws.adminCookie).expect(403);
      });

      itWithConcurrentConnections('survives two admins demoting each other at once', async () => {
        const ws = await workspaceWithSignedInAdmin(t);
        const other = await addMember(t, ws.slug, 'rival@example.com', 'admin');
        const results = await Promise.all(
          [ws.adminId, other].map((id) =>
            t.http
              .patch(`${members(ws.slug)}/${id}`)
              .set('Authorization', t.internal)
              .send({ role: 'member' }),
          ),
        );
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const admins = await t.http
          .get(`${members(ws.slug)}?role=admin&status=active`)
          .set('Authorization', t.internal);
        expect(admins.body.total).toBe(1);
      });
    });
  });
});
