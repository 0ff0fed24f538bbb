import { SessionService } from '../../src/workspace/sessions/session.service.js';
import { tokenDigest } from '../../src/common/secret-tokens.js';
import {
  addMember,
  createWorkspace,
  PASSWORD,
  signIn,
  workspaceWithSignedInAdmin,
  WorkspaceFixture,
} from '../support/fixtures.js';
import { inviteTokenFromOutbox } from '../support/mail-fixtures.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { itWithConcurrentConnections } from '../support/test-database.js';

const NEW_PASSWORD = 'a brand new passphrase';

describe('invites', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function invite(
    ws: WorkspaceFixture,
    email: string,
    role?: 'admin' | 'member',
  ): Promise<{ id: string; token: string }> {
    const res = await t.http
      .post(`/api/workspaces/${ws.slug}/invites`)
      .set('Cookie', ws.adminCookie)
      .send(role ? { email, role } : { email });
    if (res.status !== 201) throw new Error(`invite: ${res.status} ${res.text}`);
    return { id: res.body.id as string, token: await inviteTokenFromOutbox(t, email) };
  }

  /** Accepts as the holder of the link, from a browser signed in as `cookie` if given. */
  function accept(token: string, body: Record<string, unknown> = {}, cookie?: string) {
    const req = t.http.post(`/api/invites/${token}/accept`);
    return (cookie ? req.set('Cookie', cookie) : req).send(body);
  }

  /** A live session of the account (as a SAML sign-in would make): the Cookie header. */
  async function sessionOf(workspaceId: string, userId: string): Promise<string> {
    const sessions = t.app.get(SessionService);
    const { token } = await t.dataSource.transaction((tx) =>
      sessions.create(tx, { workspaceId, userId, method: 'saml' }),
    );
    return `${t.config.session.cookieName}=${token}`;
  }

  async function userCount(email: string): Promise<number> {
    const rows = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM users WHERE email = $1`,
      [email],
    );
    return rows[0]!.n;
  }

  async function setScimOnly(ws: WorkspaceFixture, on: boolean) {
    await t.http
      .patch(`/api/workspaces/${ws.id}/settings`)
      .set('Authorization', t.internal)
      .send({ scimOnlyProvisioning: on })
      .expect(200);
  }

  async function auditActions(ws: WorkspaceFixture): Promise<string[]> {
    const res = await t.http
      .get(`/api/workspaces/${ws.id}/audit-events`)
      .set('Authorization', t.internal)
      .expect(200);
    return (res.body.items as { action: string }[]).map((e) => e.action);
  }

  describe('creating', () => {
    it('creates an invite whose token reaches only the invitee, by e-mail, stored as a digest', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const before = Date.now();
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .send({ email: 'Grace@Example.COM' })
        .expect(201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        email: 'grace@example.com',
        role: 'member',
        status: 'pending',
        createdByUserId: ws.adminId,
        acceptedAt: null,
      });
      // The inviter's answer carries neither the token nor the link.
      expect(res.body).not.toHaveProperty('token');
      expect(res.body).not.toHaveProperty('acceptUrl');
      const outbox = await t.http
        .get('/api/dev/outbox')
        .query({ to: 'grace@example.com' })
        .set('Authorization', t.internal)
        .expect(200);
      const [mail] = outbox.body.items as { subject: string; text: string; html: string }[];
      expect(mail!.subject).toBe(`You are invited to join Workspace ${ws.slug}`);
      const token = await inviteTokenFromOutbox(t, 'grace@example.com');
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(mail!.text).toContain(`${t.config.http.frontendUrl}/invites/${token}`);
      expect(mail!.html).toContain(`${t.config.http.frontendUrl}/invites/${token}`);
      expect(JSON.stringify(res.body)).not.toContain(token);
      const expiresIn = new Date(res.body.expiresAt as string).getTime() - before;
      expect(Math.abs(expiresIn - t.config.invites.ttlSeconds * 1000)).toBeLessThan(60_000);

      const rows = await t.dataSource.query<{ token_hash: string }[]>(
        `SELECT token_hash FROM invites WHERE id = $1`,
        [res.body.id],
      );
      expect(rows[0]!.token_hash).toBe(tokenDigest(t.config.secretKey, token));
      expect(rows[0]!.token_hash).not.toBe(token);
    });

    it('invites as admin, and the internal token can invite too', async () => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.id}/invites`)
        .set('Authorization', t.internal)
        .send({ email: 'boss@example.com', role: 'admin' })
        .expect(201);
      expect(res.body).toMatchObject({ role: 'admin', status: 'pending', createdByUserId: null });
    });

    it('replaces a pending invite of the same email: the old link stops working', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const first = await invite(ws, 'again@example.com');
      const second = await invite(ws, 'AGAIN@example.com', 'admin');
      expect(second.token).not.toBe(first.token);
      await t.http.get(`/api/invites/${first.token}`).expect(404);
      const list = await t.http
        .get(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({ id: second.id, email: 'again@example.com', role: 'admin' }),
      ]);
      const audit = await t.http
        .get(`/api/workspaces/${ws.id}/audit-events?action=invite.created`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(audit.body.items[0]).toMatchObject({
        targetId: second.id,
        channel: 'admin',
        actorId: ws.adminId,
        details: { replacedInviteIds: [first.id] },
      });
    });
  });

  describe('listing and revoking', () => {
    it('lists invites newest first with their status and never a token', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const accepted = await invite(ws, 'accepted@example.com');
      await accept(accepted.token, { password: NEW_PASSWORD }).expect(200);
      const expired = await invite(ws, 'expired@example.com');
      await t.dataSource.query(
        `UPDATE invites SET expires_at = now() - interval '1 minute' WHERE id = $1`,
        [expired.id],
      );
      const pending = await invite(ws, 'pending@example.com');

      const res = await t.http
        .get(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(res.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(res.body.items.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([
        [pending.id, 'pending'],
        [expired.id, 'expired'],
        [accepted.id, 'accepted'],
      ]);
      expect(res.body.items[2].acceptedByUserId).toEqual(expect.any(String));
      expect(JSON.stringify(res.body)).not.toContain(pending.token);
      expect(res.body.items[0]).not.toHaveProperty('token');
      expect(res.body.items[0]).not.toHaveProperty('tokenHash');

      const paged = await t.http
        .get(`/api/workspaces/${ws.slug}/invites?limit=1&offset=1`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(paged.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(paged.body.items.map((i: { id: string }) => i.id)).toEqual([expired.id]);
    });

    it('revokes a pending invite: 204, then its link is unknown', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { id, token } = await invite(ws, 'revoked@example.com');
      await t.http
        .delete(`/api/workspaces/${ws.slug}/invites/${id}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      const res = await accept(token, { password: NEW_PASSWORD }).expect(404);
      expect(res.body.code).toBe('INVITE_NOT_FOUND');
      expect(await auditActions(ws)).toContain('invite.revoked');
    });

    it('refuses to revoke an accepted invite', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { id, token } = await invite(ws, 'kept@example.com');
      await accept(token, { password: NEW_PASSWORD }).expect(200);
      const res = await t.http
        .delete(`/api/workspaces/${ws.slug}/invites/${id}`)
        .set('Cookie', ws.adminCookie)
        .expect(409);
      expect(res.body.code).toBe('INVITE_ALREADY_USED');
    });

    it.each([
      ['an unknown id', '00000000-0000-4000-8000-000000000000'],
      ['a malformed id', 'not-a-uuid'],
    ])('answers 404 INVITE_NOT_FOUND for %s', async (_, id) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .delete(`/api/workspaces/${ws.slug}/invites/${id}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('INVITE_NOT_FOUND');
    });

    it("answers 404 INVITE_NOT_FOUND for another workspace's invite", async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      const { id, token } = await invite(other, 'theirs@example.com');
      const res = await t.http
        .delete(`/api/workspaces/${ws.slug}/invites/${id}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('INVITE_NOT_FOUND');
      await t.http.get(`/api/invites/${token}`).expect(200);
    });
  });

  describe('previewing', () => {
    it('shows the invite to anyone holding the link', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'look@example.com', 'admin');
      const res = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(res.body).toEqual({
        workspace: { id: ws.id, slug: ws.slug, name: `Workspace ${ws.slug}` },
        email: 'look@example.com',
        role: 'admin',
        expiresAt: expect.any(String),
        status: 'pending',
      });
    });

    it('shows an expired invite as expired', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { id, token } = await invite(ws, 'late@example.com');
      await t.dataSource.query(
        `UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      const res = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(res.body.status).toBe('expired');
    });

    it('answers 404 for an unknown token', async () => {
      const res = await t.http.get('/api/invites/no-such-token').expect(404);
      expect(res.body.code).toBe('INVITE_NOT_FOUND');
    });
  });

  describe('accepting', () => {
    it('creates the account, adds the member and lets them sign in with the password', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { id, token } = await invite(ws, 'newbie@example.com');
      const res = await accept(token, { password: NEW_PASSWORD, fullName: 'New Bie' }).expect(200);
      expect(res.body).toEqual({
        workspace: { id: ws.id, slug: ws.slug, name: `Workspace ${ws.slug}` },
        member: expect.objectContaining({
          email: 'newbie@example.com',
          fullName: 'New Bie',
          role: 'member',
          status: 'active',
          source: 'invite',
          scimManaged: false,
        }),
      });
      const userId = res.body.member.userId as string;

      const rows = await t.dataSource.query<{ accepted_by_user_id: string }[]>(
        `SELECT accepted_by_user_id FROM invites WHERE id = $1 AND accepted_at IS NOT NULL`,
        [id],
      );
      expect(rows).toEqual([{ accepted_by_user_id: userId }]);

      const audit = await t.http
        .get(`/api/workspaces/${ws.id}/audit-events`)
        .set('Authorization', t.internal)
        .expect(200);
      const events = audit.body.items as { action: string }[];
      expect(events.slice(0, 3).map((e) => e.action)).toEqual([
        'invite.accepted',
        'member.added',
        'invite.created',
      ]);
      expect(events[0]).toMatchObject({
        channel: 'admin',
        actorType: 'user',
        actorId: userId,
        actorLabel: 'newbie@example.com',
        targetType: 'invite',
        targetId: id,
        details: { userId, role: 'member', newAccount: true },
      });
      expect(events[1]).toMatchObject({
        targetId: userId,
        after: { source: 'invite', role: 'member' },
      });

      await t.http
        .post('/auth/password/login')
        .send({ workspace: ws.slug, email: 'newbie@example.com', password: NEW_PASSWORD })
        .expect(200);
    });

    it('gives the invited role', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'second-admin@example.com', 'admin');
      const res = await accept(token, { password: NEW_PASSWORD }).expect(200);
      expect(res.body.member.role).toBe('admin');
    });

    it('links an existing account from a browser signed in to it, which keeps its password', async () => {
      const home = await createWorkspace(t);
      await addMember(t, home.slug, 'traveller@example.com');
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'traveller@example.com');
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body).not.toHaveProperty('accountExists');

      const session = await signIn(t, home.slug, 'traveller@example.com');
      const res = await accept(token, {}, session).expect(200);
      expect(res.body.member).toMatchObject({ email: 'traveller@example.com', source: 'invite' });
      expect(await userCount('traveller@example.com')).toBe(1);
      await signIn(t, ws.slug, 'traveller@example.com', PASSWORD);
      await signIn(t, home.slug, 'traveller@example.com', PASSWORD);
    });

    it('accepts without a password (the account signs in another way)', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'sso-only@example.com');
      const res = await accept(token).expect(200);
      expect(res.body.member.email).toBe('sso-only@example.com');
    });
  });

  describe('failing cases', () => {
    it('refuses inviting an active member: ALREADY_A_MEMBER', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .send({ email: ws.adminEmail.toUpperCase() })
        .expect(409);
      expect(res.body.code).toBe('ALREADY_A_MEMBER');
    });

    it('refuses inviting a deactivated member: MEMBER_DEACTIVATED', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const userId = await addMember(t, ws.slug, 'gone@example.com');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${userId}`)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .send({ email: 'gone@example.com' })
        .expect(409);
      expect(res.body.code).toBe('MEMBER_DEACTIVATED');
      expect(res.body.message).toMatch(/reactivate/);
    });

    it('refuses an expired invite with 410 and creates nothing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { id, token } = await invite(ws, 'expired-accept@example.com');
      await t.dataSource.query(
        `UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      const res = await accept(token, { password: NEW_PASSWORD }).expect(410);
      expect(res.body.code).toBe('INVITE_EXPIRED');
      expect(await userCount('expired-accept@example.com')).toBe(0);
    });

    it('refuses an invite that was already used with 409', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'once@example.com');
      await accept(token, { password: NEW_PASSWORD }).expect(200);
      const res = await accept(token).expect(409);
      expect(res.body.code).toBe('INVITE_ALREADY_USED');
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body.status).toBe('accepted');
    });

    it('answers 404 for an unknown token', async () => {
      const res = await accept('not-a-real-token', { password: NEW_PASSWORD }).expect(404);
      expect(res.body.code).toBe('INVITE_NOT_FOUND');
    });

    itWithConcurrentConnections('accepts an invite once under concurrent accepts', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'racer@example.com');
      const results = await Promise.all([
        accept(token, { password: NEW_PASSWORD }),
        accept(token, { password: NEW_PASSWORD }),
        accept(token, { password: NEW_PASSWORD }),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) {
        expect(r.body.code).toBe('INVITE_ALREADY_USED');
      }
      expect(await userCount('racer@example.com')).toBe(1);
      expect((await auditActions(ws)).filter((a) => a === 'invite.accepted')).toHaveLength(1);
    });

    it('refuses creating an invite while SCIM-only provisioning is on', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      await setScimOnly(ws, true);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .send({ email: 'scim@example.com' })
        .expect(409);
      expect(res.body.code).toBe('SCIM_ONLY_PROVISIONING');
    });

    it('refuses accepting an invite once SCIM-only provisioning is on, creating nothing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'scim-accept@example.com');
      await setScimOnly(ws, true);
      const res = await accept(token, { password: NEW_PASSWORD }).expect(409);
      expect(res.body.code).toBe('SCIM_ONLY_PROVISIONING');
      expect(await userCount('scim-accept@example.com')).toBe(0);
      await setScimOnly(ws, false);
      await accept(token, { password: NEW_PASSWORD }).expect(200);
    });

    it('refuses accepting for an existing account without its session (the link alone is not enough)', async () => {
      const home = await createWorkspace(t);
      await addMember(t, home.slug, 'needs-session@example.com');
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'needs-session@example.com');
      const res = await accept(token, { password: NEW_PASSWORD }).expect(401);
      expect(res.body.code).toBe('INVITE_SIGN_IN_REQUIRED');
      const bare = await accept(token).expect(401);
      expect(bare.body.code).toBe('INVITE_SIGN_IN_REQUIRED');
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body.status).toBe('pending');
      await signIn(t, home.slug, 'needs-session@example.com', PASSWORD);
    });

    it("refuses accepting from a browser signed in to another account, even the inviter's", async () => {
      const home = await createWorkspace(t);
      await addMember(t, home.slug, 'victim@example.com');
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'victim@example.com');
      const res = await accept(token, {}, ws.adminCookie).expect(403);
      expect(res.body.code).toBe('INVITE_FOR_ANOTHER_ACCOUNT');
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body.status).toBe('pending');
    });

    it('refuses a session cookie sent from another origin', async () => {
      const home = await createWorkspace(t);
      await addMember(t, home.slug, 'cross-site@example.com');
      const session = await signIn(t, home.slug, 'cross-site@example.com');
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'cross-site@example.com');
      const res = await t.http
        .post(`/api/invites/${token}/accept`)
        .set('Cookie', session)
        .set('Origin', 'https://evil.test')
        .send({})
        .expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
      await accept(token, {}, session).expect(200);
    });

    it('lets the mailbox alone accept for an account that belongs to no workspace', async () => {
      const home = await createWorkspace(t);
      const id = await addMember(t, home.slug, 'orphan@example.com');
      await t.http
        .delete(`/api/workspaces/${home.slug}/members/${id}`)
        .set('Authorization', t.internal)
        .expect(204);
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'orphan@example.com');
      // Never a password for an account that exists: that would be a reset by e-mail.
      const withPassword = await accept(token, { password: NEW_PASSWORD }).expect(409);
      expect(withPassword.body.code).toBe('PASSWORD_ALREADY_SET');
      const res = await accept(token).expect(200);
      expect(res.body.member.userId).toBe(id);
      await signIn(t, ws.slug, 'orphan@example.com', PASSWORD);
    });

    it('refuses a password for an existing account that has one, and keeps the invite', async () => {
      const home = await createWorkspace(t);
      await addMember(t, home.slug, 'has-password@example.com');
      const session = await signIn(t, home.slug, 'has-password@example.com');
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'has-password@example.com');
      const res = await accept(token, { password: NEW_PASSWORD }, session).expect(409);
      expect(res.body.code).toBe('PASSWORD_ALREADY_SET');
      await signIn(t, home.slug, 'has-password@example.com', PASSWORD);
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body.status).toBe('pending');
    });

    it('refuses setting a password on an existing account without one', async () => {
      const home = await createWorkspace(t);
      const added = await t.http
        .post(`/api/workspaces/${home.slug}/members`)
        .set('Authorization', t.internal)
        .send({ email: 'no-password@example.com' })
        .expect(201);
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'no-password@example.com');
      // Mailbox alone (the account belongs to a workspace, but has no password to sign in with).
      const anonymous = await accept(token, { password: NEW_PASSWORD }).expect(401);
      expect(anonymous.body.code).toBe('INVITE_SIGN_IN_REQUIRED');
      // Signed in (e.g. through SAML): still no password through an invite.
      const session = await sessionOf(home.id, added.body.userId as string);
      const res = await accept(token, { password: NEW_PASSWORD }, session).expect(409);
      expect(res.body.code).toBe('EMAIL_TAKEN');
      const login = await t.http
        .post('/auth/password/login')
        .send({ workspace: home.slug, email: 'no-password@example.com', password: NEW_PASSWORD });
      expect(login.status).toBe(401);
    });

    it('refuses accepting when the person became a member meanwhile, leaving the invite pending', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, 'meanwhile@example.com');
      await addMember(t, ws.slug, 'meanwhile@example.com');
      const session = await signIn(t, ws.slug, 'meanwhile@example.com');
      const res = await accept(token, {}, session).expect(409);
      expect(res.body.code).toBe('ALREADY_A_MEMBER');
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body.status).toBe('pending');
    });

    it('refuses a non-admin member with 403', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      await addMember(t, ws.slug, 'plain@example.com');
      const cookie = await signIn(t, ws.slug, 'plain@example.com');
      const { id } = await invite(ws, 'someone@example.com');
      for (const req of [
        t.http.post(`/api/workspaces/${ws.slug}/invites`).send({ email: 'x@example.com' }),
        t.http.get(`/api/workspaces/${ws.slug}/invites`),
        t.http.delete(`/api/workspaces/${ws.slug}/invites/${id}`),
      ]) {
        const res = await req.set('Cookie', cookie);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
    });

    it('answers 404 to an admin of another workspace', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      for (const req of [
        t.http.post(`/api/workspaces/${ws.slug}/invites`).send({ email: 'x@example.com' }),
        t.http.get(`/api/workspaces/${ws.slug}/invites`),
      ]) {
        const res = await req.set('Cookie', other.adminCookie);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('WORKSPACE_NOT_FOUND');
      }
    });

    it('answers 401 without credentials', async () => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .send({ email: 'x@example.com' })
        .expect(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
      await t.http.get(`/api/workspaces/${ws.slug}/invites`).expect(401);
    });

    it.each([
      [{}, 'email'],
      [{ email: 'not-an-email' }, 'email'],
      [{ email: 'a@example.com', role: 'owner' }, 'role'],
      [{ email: 'a@example.com', token: 'mine' }, 'token'],
    ])('refuses the invite %j naming %s', async (body, field) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/invites`)
        .set('Cookie', ws.adminCookie)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it.each([
      ['a 5-character password', { password: 'short' }, 'password'],
      ['a 257-character password', { password: 'x'.repeat(257) }, 'password'],
      ['an empty full name', { fullName: '' }, 'fullName'],
      ['an unknown field', { role: 'admin' }, 'role'],
    ])('refuses accepting with %s, and the invite stays usable', async (_, body, field) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const { token } = await invite(ws, `valid-${field}@${ws.slug}.example.com`);
      const res = await accept(token, body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      await accept(token, { password: NEW_PASSWORD }).expect(200);
    });
  });
});

describe('invites delivered over SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({
      SMTP_URL: smtp.url(),
      MAIL_FROM: 'Gatehouse <invites@gatehouse.test>',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('the invitee reads the link in their mailbox and accepts it; the inviter never sees it', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    const created = await t.http
      .post(`/api/workspaces/${ws.slug}/invites`)
      .set('Cookie', ws.adminCookie)
      .send({ email: 'Mailbox@Example.com', role: 'admin' })
      .expect(201);

    const mail = await smtp.waitForMail('mailbox@example.com', 5000);
    expect(mail.from.address).toBe('invites@gatehouse.test');
    expect(mail.to).toEqual(['mailbox@example.com']);
    expect(mail.subject).toBe(`You are invited to join Workspace ${ws.slug}`);
    expect(mail.text).toContain('as an admin');
    const token = new RegExp(`${t.config.http.frontendUrl}/invites/([A-Za-z0-9_-]{43})`).exec(
      mail.text,
    )?.[1];
    expect(token).toBeDefined();
    expect(JSON.stringify(created.body)).not.toContain(token!);
    // With SMTP configured, mail bodies are nobody's to read through the API.
    await t.http.get('/api/dev/outbox').set('Authorization', t.internal).expect(404);

    const accepted = await t.http
      .post(`/api/invites/${token!}/accept`)
      .send({ password: 'a brand new passphrase' })
      .expect(200);
    expect(accepted.body.member).toMatchObject({ email: 'mailbox@example.com', role: 'admin' });
  });
});
