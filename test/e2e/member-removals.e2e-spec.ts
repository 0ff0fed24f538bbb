import {
  addMember,
  createWorkspace,
  signIn,
  uniqueSlug,
  verifyDomain,
  type WorkspaceFixture,
  workspaceWithSignedInAdmin,
} from '../support/fixtures.js';
import { sessionCookieOf } from '../support/http.js';
import { inviteTokenFromOutbox } from '../support/mail-fixtures.js';
import {
  createProvider,
  idpKeys,
  postToAcs,
  type ProviderFixture,
  responseFor,
} from '../support/saml-fixtures.js';
import { oktaUser, scimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Json = Record<string, unknown>;

/**
 * A member an admin removed by hand stays out of just-in-time sign-in until an admin lets them
 * back in (re-adds, invites, or deletes the removal) or the IdP assigns them by SCIM.
 */
describe('member removals', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const membersUrl = (ws: { slug: string }) => `/api/workspaces/${ws.slug}/members`;
  const removalsUrl = (ws: { slug: string }) => `${membersUrl(ws)}/removals`;

  /** A workspace with a signed-in admin, a SAML provider, a verified domain and one member in it. */
  async function samlWorkspace(): Promise<{
    ws: WorkspaceFixture;
    provider: ProviderFixture;
    domain: string;
    ada: string;
    adaEmail: string;
  }> {
    const ws = await workspaceWithSignedInAdmin(t);
    const domain = `${uniqueSlug('jit')}.test`;
    await verifyDomain(t, ws.slug, domain);
    const [key] = await idpKeys();
    const provider = await createProvider(t, ws.slug, { key: key! });
    const adaEmail = `ada@${domain}`;
    const ada = await addMember(t, ws.slug, adaEmail);
    return { ws, provider, domain, ada, adaEmail };
  }

  function removeByAdmin(ws: WorkspaceFixture, userId: string) {
    return t.http
      .delete(`${membersUrl(ws)}/${userId}`)
      .set('Cookie', ws.adminCookie)
      .expect(204);
  }

  async function samlSignIn(provider: ProviderFixture, email: string) {
    return postToAcs(t, provider, await responseFor(provider, email));
  }

  async function membership(ws: { id: string }, userId: string) {
    return t.dataSource.query<{ source: string }[]>(
      `SELECT source FROM memberships WHERE workspace_id = $1 AND user_id = $2`,
      [ws.id, userId],
    );
  }

  async function removals(ws: WorkspaceFixture, query: Json = {}) {
    const res = await t.http
      .get(removalsUrl(ws))
      .query(query)
      .set('Cookie', ws.adminCookie)
      .expect(200);
    return res.body as { items: Json[]; total: number; limit: number; offset: number };
  }

  async function audit(ws: { slug: string }, action: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events`)
      .query({ action, limit: 200 })
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as Json[];
  }

  describe('just-in-time sign-in', () => {
    it('does not re-create a member an admin removed: 403 MEMBER_REMOVED telling them to ask an admin, audited', async () => {
      const { ws, provider, ada, adaEmail } = await samlWorkspace();
      await removeByAdmin(ws, ada);

      const res = await samlSignIn(provider, adaEmail);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('MEMBER_REMOVED');
      expect(res.body.message).toMatch(/ask an admin/i);
      expect(sessionCookieOf(res)).toBeUndefined();
      expect(await membership(ws, ada)).toEqual([]);
      expect((await audit(ws, 'auth.sign_in_failed'))[0]).toMatchObject({
        channel: 'saml',
        details: expect.objectContaining({ reason: 'MEMBER_REMOVED', email: adaEmail }),
      });
      // Someone else of the domain still gets an account just in time.
      const newcomer = await samlSignIn(provider, `newcomer@${adaEmail.split('@')[1]}`);
      expect(newcomer.status).toBe(302);
    });

    it('lets them in again once an admin deletes the removal', async () => {
      const { ws, provider, ada, adaEmail } = await samlWorkspace();
      await removeByAdmin(ws, ada);
      expect((await samlSignIn(provider, adaEmail)).status).toBe(403);

      await t.http
        .delete(`${removalsUrl(ws)}/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expect((await removals(ws)).items).toEqual([]);
      expect(await audit(ws, 'member.removal_cleared')).toEqual([
        expect.objectContaining({
          channel: 'admin',
          actorId: ws.adminId,
          targetId: ada,
          details: { reason: 'deleted' },
        }),
      ]);
      const res = await samlSignIn(provider, adaEmail);
      expect(res.status).toBe(302);
      expect(await membership(ws, ada)).toEqual([{ source: 'saml' }]);
    });

    it('lets them in again once an admin adds them back', async () => {
      const { ws, provider, ada, adaEmail } = await samlWorkspace();
      await removeByAdmin(ws, ada);
      await addMember(t, ws.slug, adaEmail);
      expect((await removals(ws)).total).toBe(0);
      expect(await audit(ws, 'member.removal_cleared')).toEqual([
        expect.objectContaining({
          channel: 'internal',
          targetId: ada,
          details: { reason: 'added' },
        }),
      ]);
      // Removed again, then signing in: refused again (each removal by hand counts).
      expect((await samlSignIn(provider, adaEmail)).status).toBe(302);
      await removeByAdmin(ws, ada);
      expect((await samlSignIn(provider, adaEmail)).body.code).toBe('MEMBER_REMOVED');
    });

    it('lets them in again once they accept an invite', async () => {
      const { ws, provider, ada, adaEmail } = await samlWorkspace();
      // Ada also belongs to another workspace, where she is signed in.
      const elsewhere = await createWorkspace(t);
      await addMember(t, elsewhere.slug, adaEmail);
      const adaCookie = await signIn(t, elsewhere.slug, adaEmail);
      await removeByAdmin(ws, ada);

      await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .send({ email: adaEmail })
        .expect(201);
      // Invited but not yet accepted: still refused (the invite is the way back in).
      expect((await samlSignIn(provider, adaEmail)).body.code).toBe('MEMBER_REMOVED');
      const token = await inviteTokenFromOutbox(t, adaEmail);
      await t.http
        .post(`/api/invites/${token}/accept`)
        .set('Cookie', adaCookie)
        .send({})
        .expect(200);
      expect((await removals(ws)).total).toBe(0);
      expect(await audit(ws, 'member.removal_cleared')).toEqual([
        expect.objectContaining({ targetId: ada, details: { reason: 'invite_accepted' } }),
      ]);
      expect(await membership(ws, ada)).toEqual([{ source: 'invite' }]);
      expect((await samlSignIn(provider, adaEmail)).status).toBe(302);
    });

    it('a deactivated member is refused as before, and a removal is not recorded for it', async () => {
      const { ws, provider, ada, adaEmail } = await samlWorkspace();
      await t.http
        .patch(`${membersUrl(ws)}/${ada}`)
        .set('Cookie', ws.adminCookie)
        .send({ status: 'deactivated' })
        .expect(200);
      expect((await samlSignIn(provider, adaEmail)).body.code).toBe('MEMBERSHIP_DEACTIVATED');
      expect((await removals(ws)).total).toBe(0);
    });
  });

  describe('SCIM', () => {
    it('an explicit SCIM assignment from the IdP still provisions a removed member, and clears the removal', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const email = `ada@${ws.slug}.test`;
      const ada = await addMember(t, ws.slug, email);
      await t.http
        .delete(`${membersUrl(ws)}/${ada}`)
        .set('Authorization', t.internal)
        .expect(204);
      const before = await t.http.get(removalsUrl(ws)).set('Authorization', t.internal).expect(200);
      expect(before.body.items).toEqual([
        expect.objectContaining({
          userId: ada,
          email,
          removedBy: {
            channel: 'internal',
            type: 'internal',
            id: null,
            label: 'internal API token',
          },
        }),
      ]);

      const created = await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .set('Content-Type', 'application/scim+json')
        .send(oktaUser(email))
        .expect(201);
      expect(created.body.id).toBe(ada);
      const after = await t.http.get(removalsUrl(ws)).set('Authorization', t.internal).expect(200);
      expect(after.body.total).toBe(0);
      expect(await audit(ws, 'member.removal_cleared')).toEqual([
        expect.objectContaining({
          channel: 'scim',
          targetId: ada,
          details: { reason: 'scim_provisioned' },
        }),
      ]);
    });

    it("the IdP's own deprovisioning (SCIM DELETE) is not a removal by hand", async () => {
      const ws = await scimWorkspace(t, 'okta');
      const created = await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .set('Content-Type', 'application/scim+json')
        .send(oktaUser(`bob@${ws.slug}.test`))
        .expect(201);
      await t.http
        .delete(`/scim/v2/Users/${created.body.id as string}`)
        .set('Authorization', ws.auth)
        .expect(204);
      const list = await t.http.get(removalsUrl(ws)).set('Authorization', t.internal).expect(200);
      expect(list.body.total).toBe(0);
    });
  });

  describe('the list of removals', () => {
    it('lists who removed whom and when, newest first, paged and filtered by email', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const ids: string[] = [];
      for (const name of ['ada', 'bob', 'cat']) {
        const id = await addMember(t, ws.slug, `${name}@${ws.slug}.example.com`);
        await removeByAdmin(ws, id);
        ids.push(id);
      }
      const all = await removals(ws);
      expect(all).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(all.items.map((r) => r.userId)).toEqual([...ids].reverse());
      expect(all.items[0]).toEqual({
        userId: ids[2],
        email: `cat@${ws.slug}.example.com`,
        fullName: null,
        removedAt: expect.any(String),
        removedBy: { channel: 'admin', type: 'user', id: ws.adminId, label: ws.adminEmail },
      });
      const page = await removals(ws, { limit: 1, offset: 1 });
      expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.items.map((r) => r.userId)).toEqual([ids[1]]);
      const bob = await removals(ws, { email: 'BOB@' });
      expect(bob.items.map((r) => r.userId)).toEqual([ids[1]]);
      // The removed people no longer show among the members.
      const members = await t.http.get(membersUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(members.body.total).toBe(1);
    });

    it('is described in the OpenAPI document', async () => {
      const res = await t.http.get('/docs/json').expect(200);
      expect(Object.keys(res.body.paths as object)).toEqual(
        expect.arrayContaining([
          '/api/workspaces/{ws}/members/removals',
          '/api/workspaces/{ws}/members/removals/{userId}',
        ]),
      );
      expect(res.body.components.schemas.MemberRemovalDto.properties).toMatchObject({
        userId: { format: 'uuid' },
        removedAt: { format: 'date-time' },
      });
    });
  });

  describe('the list of removals: failing cases', () => {
    it('is for admins: a member gets 403, a request without credentials 401', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const gone = await addMember(t, ws.slug, `gone@${ws.slug}.example.com`);
      await removeByAdmin(ws, gone);
      const email = `carol@${ws.slug}.example.com`;
      await addMember(t, ws.slug, email);
      const cookie = await signIn(t, ws.slug, email);
      const list = await t.http.get(removalsUrl(ws)).set('Cookie', cookie).expect(403);
      expect(list.body.code).toBe('FORBIDDEN');
      const del = await t.http.delete(`${removalsUrl(ws)}/${gone}`).set('Cookie', cookie);
      expect([del.status, del.body.code]).toEqual([403, 'FORBIDDEN']);
      expect((await t.http.get(removalsUrl(ws)).expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await removals(ws)).total).toBe(1);
    });

    it("neither lists nor deletes another workspace's removals", async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      const theirs = await addMember(t, other.slug, `theirs@${other.slug}.example.com`);
      await removeByAdmin(other, theirs);
      expect((await removals(ws)).total).toBe(0);
      const res = await t.http
        .delete(`${removalsUrl(ws)}/${theirs}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('MEMBER_REMOVAL_NOT_FOUND');
      expect((await removals(other)).total).toBe(1);
      const foreign = await t.http
        .get(removalsUrl(other))
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(foreign.body.code).toBe('WORKSPACE_NOT_FOUND');
    });

    it.each(['123e4567-e89b-42d3-a456-426614174000', 'not-a-uuid'])(
      'answers 404 MEMBER_REMOVAL_NOT_FOUND for %s',
      async (userId) => {
        const ws = await workspaceWithSignedInAdmin(t);
        const res = await t.http
          .delete(`${removalsUrl(ws)}/${userId}`)
          .set('Cookie', ws.adminCookie)
          .expect(404);
        expect(res.body.code).toBe('MEMBER_REMOVAL_NOT_FOUND');
      },
    );

    it('answers 404 MEMBER_REMOVAL_NOT_FOUND for a member who was not removed, and deletes nothing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      const res = await t.http
        .delete(`${removalsUrl(ws)}/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('MEMBER_REMOVAL_NOT_FOUND');
      await t.http
        .get(`${membersUrl(ws)}/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(await audit(ws, 'member.removal_cleared')).toEqual([]);
    });

    it.each([
      ['limit 0', { limit: 0 }],
      ['limit 201', { limit: 201 }],
      ['a negative offset', { offset: -1 }],
      ['an email of 255 characters', { email: 'x'.repeat(255) }],
      ['an unknown parameter', { role: 'admin' }],
    ])('refuses a query with %s with 400', async (_, query) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .get(removalsUrl(ws))
        .query(query)
        .set('Cookie', ws.adminCookie)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });
});
