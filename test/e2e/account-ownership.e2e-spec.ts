/**
 * Who owns a person's account (docs/security.md). Every identity-changing path is run as
 * workspace A (its admin's session, its SCIM token, its SAML IdP) against the people of
 * workspace B, and B's people must come out unchanged. Then the same paths succeed where A has
 * authority, so the refusals are not a blanket "no".
 */
import {
  addMember,
  createWorkspace,
  signIn,
  uniqueSlug,
  workspaceWithSignedInAdmin,
  type WorkspaceFixture,
  verifyDomain,
} from '../support/fixtures.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
import {
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  type ScimWorkspace,
} from '../support/scim-fixtures.js';
import { inviteTokenFromOutbox } from '../support/mail-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Row = Record<string, unknown>;

describe('account ownership: workspace A against the people of workspace B', () => {
  let t: TestApp;
  /** A as its admin sees it in the admin API (password sign-in on). */
  let aAdmin: WorkspaceFixture;
  /** A as its identity provider sees it (SAML only, SCIM on). */
  let aScim: ScimWorkspace;
  let b: WorkspaceFixture;
  let bDomain: string;
  /** B's people: its admin (in B's verified domain), a guest (outside it), a person in A and B. */
  let people: { admin: string; guest: string; shared: string };
  let emails: { admin: string; guest: string; shared: string };

  /** Everything about B's people that signs them in or that B sees. */
  async function snapshotOfB(): Promise<Row[]> {
    return t.dataSource.query<Row[]>(
      `SELECT u.id, u.email, u.full_name, u.password_hash, u.scim_workspace_id, u.updated_at,
              m.role, m.status, m.scim_managed,
              (SELECT count(*)::int FROM memberships o WHERE o.user_id = u.id) AS memberships,
              (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id) AS sessions
         FROM users u JOIN memberships m ON m.user_id = u.id AND m.workspace_id = $1
        ORDER BY u.email`,
      [b.id],
    );
  }

  async function membershipIn(workspaceId: string, userId: string): Promise<Row | undefined> {
    const [row] = await t.dataSource.query<Row[]>(
      `SELECT * FROM memberships WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId],
    );
    return row;
  }

  async function auditOf(workspaceId: string, action: string): Promise<Row[]> {
    const res = await t.http
      .get(`/api/workspaces/${workspaceId}/audit-events`)
      .query({ action })
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as Row[];
  }

  function scimAs(ws: ScimWorkspace) {
    return {
      post: (path: string, body: object) =>
        t.http.post(`/scim/v2${path}`).set('Authorization', ws.auth).send(body),
      put: (path: string, body: object) =>
        t.http.put(`/scim/v2${path}`).set('Authorization', ws.auth).send(body),
      patch: (path: string, operations: object[]) =>
        t.http
          .patch(`/scim/v2${path}`)
          .set('Authorization', ws.auth)
          .send({ schemas: [PATCH_SCHEMA], Operations: operations }),
    };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const bSlug = uniqueSlug('b');
    bDomain = `${bSlug}.test`;
    b = {
      ...(await createWorkspace(t, { slug: bSlug, adminEmail: `boss@${bDomain}` })),
      adminCookie: '',
    };
    await verifyDomain(t, b.slug, bDomain);
    b.adminCookie = await signIn(t, b.slug, b.adminEmail);
    aAdmin = await workspaceWithSignedInAdmin(t);
    aScim = await scimWorkspace(t);
    emails = {
      admin: b.adminEmail,
      guest: `guest@${bSlug}-friends.test`,
      shared: `shared@${bDomain}`,
    };
    people = {
      admin: b.adminId,
      guest: await addMember(t, b.slug, emails.guest),
      shared: await addMember(t, b.slug, emails.shared),
    };
    // The shared person also belongs to both attacking workspaces (added by the operator).
    await addMember(t, aAdmin.slug, emails.shared);
    await t.http
      .patch(`/api/workspaces/${aScim.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ scimOnlyProvisioning: false })
      .expect(200);
    await addMember(t, aScim.slug, emails.shared);
  });
  afterAll(() => t.close());

  describe('every identity-changing path of A leaves B’s people unchanged', () => {
    let before: Row[];
    let bAuditBefore: number;
    beforeAll(async () => {
      before = await snapshotOfB();
      bAuditBefore = (
        await t.http
          .get(`/api/workspaces/${b.id}/audit-events`)
          .set('Authorization', t.internal)
          .expect(200)
      ).body.total as number;
    });

    it('SCIM POST /Users with the email of B’s admin: 409 uniqueness, no link, no rename', async () => {
      const res = await scimAs(aScim).post(
        '/Users',
        oktaUser(emails.admin, { name: { givenName: 'Mallory', familyName: 'Evil' } }),
      );
      expect(res.status).toBe(409);
      expect(res.body.scimType).toBe('uniqueness');
      // It names no other workspace (neither its id nor its name).
      expect(res.body.detail).not.toMatch(new RegExp(`${b.id}|Workspace ${b.slug}`));
      expect(await membershipIn(aScim.id, people.admin)).toBeUndefined();
    });

    it('SCIM POST /Users with the email of B’s guest (no verified domain): 409 uniqueness', async () => {
      const res = await scimAs(aScim).post('/Users', oktaUser(emails.guest));
      expect([res.status, res.body.scimType]).toEqual([409, 'uniqueness']);
      expect(await membershipIn(aScim.id, people.guest)).toBeUndefined();
    });

    it('SCIM POST /Users pre-registering a new address in B’s verified domain: 409', async () => {
      const res = await scimAs(aScim).post('/Users', oktaUser(`ceo@${bDomain}`));
      expect([res.status, res.body.scimType]).toEqual([409, 'uniqueness']);
      expect(res.body.detail).toMatch(/verified that domain/);
      const rows = await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [
        `ceo@${bDomain}`,
      ]);
      expect(rows).toHaveLength(0);
    });

    it('SCIM PATCH emails / PUT name of a person A shares with B: refused', async () => {
      const patch = await scimAs(aScim).patch(`/Users/${people.shared}`, [
        { op: 'replace', path: 'emails', value: [{ value: 'attacker@evil.test', primary: true }] },
      ]);
      expect(patch.status).toBe(409);
      const put = await scimAs(aScim).put(
        `/Users/${people.shared}`,
        oktaUser(emails.shared, { name: { givenName: 'Renamed', familyName: 'ByA' } }),
      );
      expect(put.status).toBe(409);
      expect(await membershipIn(aScim.id, people.shared)).toMatchObject({ scim_managed: false });
    });

    it('SCIM PATCH of A’s own user to an address in B’s verified domain: 409', async () => {
      const own = await scimAs(aScim).post('/Users', oktaUser(`own.${uniqueSlug()}@a-own.test`));
      expect(own.status).toBe(201);
      const res = await scimAs(aScim).patch(`/Users/${own.body.id}`, [
        { op: 'replace', path: 'emails', value: [{ value: `boss2@${bDomain}`, primary: true }] },
      ]);
      expect([res.status, res.body.scimType]).toEqual([409, 'uniqueness']);
    });

    it('SCIM group push naming B’s people: they are not added anywhere', async () => {
      const res = await scimAs(aScim).post('/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Grab B',
        members: [{ value: people.admin }, { value: people.guest }],
      });
      expect(res.status).toBe(201);
      expect(res.body.members ?? []).toEqual([]);
    });

    it('SAML just-in-time sign-in through A’s IdP asserting B’s admin: refused, no membership', async () => {
      const [key] = await idpKeys();
      const provider = await createProvider(t, aAdmin.slug, { key: key! });
      const res = await postToAcs(t, provider, await responseFor(provider, emails.admin));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await membershipIn(aAdmin.id, people.admin)).toBeUndefined();
    });

    it('invites: the answer carries no token, and accepting needs the person’s own session', async () => {
      const created = await t.http
        .post(`/api/workspaces/${aAdmin.slug}/invites`)
        .set('Cookie', aAdmin.adminCookie)
        .send({ email: emails.admin })
        .expect(201);
      expect(JSON.stringify(created.body)).not.toMatch(/token|\/invites\//i);
      // Even holding the token (it only reaches B's admin's mailbox), A cannot accept it:
      const token = await inviteTokenFromOutbox(t, emails.admin);
      const preview = await t.http.get(`/api/invites/${token}`).expect(200);
      expect(preview.body).not.toHaveProperty('accountExists');
      const anonymous = await t.http.post(`/api/invites/${token}/accept`).send({});
      expect([anonymous.status, anonymous.body.code]).toEqual([401, 'INVITE_SIGN_IN_REQUIRED']);
      const asA = await t.http
        .post(`/api/invites/${token}/accept`)
        .set('Cookie', aAdmin.adminCookie)
        .send({ fullName: 'Renamed' });
      expect([asA.status, asA.body.code]).toEqual([403, 'INVITE_FOR_ANOTHER_ACCOUNT']);
      expect(await membershipIn(aAdmin.id, people.admin)).toBeUndefined();
    });

    it('member edits: A’s admin cannot rename a person A shares with B', async () => {
      const res = await t.http
        .patch(`/api/workspaces/${aAdmin.slug}/members/${people.shared}`)
        .set('Cookie', aAdmin.adminCookie)
        .send({ fullName: 'Renamed by A' });
      expect([res.status, res.body.code]).toEqual([403, 'ACCOUNT_MANAGED_ELSEWHERE']);
    });

    it('domain claims: A cannot claim B’s verified domain', async () => {
      const res = await t.http
        .post(`/api/workspaces/${aAdmin.slug}/domains`)
        .set('Cookie', aAdmin.adminCookie)
        .send({ domain: bDomain });
      expect([res.status, res.body.code]).toEqual([409, 'DOMAIN_ALREADY_CLAIMED']);
    });

    it('leaves B’s people and B’s audit trail exactly as they were', async () => {
      expect(await snapshotOfB()).toEqual(before);
      const after = await t.http
        .get(`/api/workspaces/${b.id}/audit-events`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(after.body.total).toBe(bAuditBefore);
    });
  });

  describe('where a workspace has authority, the same paths work and are seen by all', () => {
    it('B (owner through its verified domain) renames its admin: every workspace of theirs hears of it', async () => {
      const res = await t.http
        .patch(`/api/workspaces/${b.slug}/members/${people.shared}`)
        .set('Cookie', b.adminCookie)
        .send({ fullName: 'Shared Person' })
        .expect(200);
      expect(res.body.fullName).toBe('Shared Person');
      for (const ws of [aAdmin.id, aScim.id]) {
        const [event] = await auditOf(ws, 'account.updated');
        expect(event).toMatchObject({
          targetId: people.shared,
          before: { fullName: null },
          after: { fullName: 'Shared Person' },
          details: { changedByWorkspaceId: b.id },
        });
      }
      expect(await auditOf(b.id, 'account.updated')).toEqual([]);
    });

    it('A renames and re-addresses an account it created and that belongs to it alone', async () => {
      const email = `solo.${uniqueSlug()}@a-own.test`;
      const created = await scimAs(aScim).post('/Users', oktaUser(email));
      expect(created.status).toBe(201);
      const renamed = await scimAs(aScim).patch(`/Users/${created.body.id}`, [
        { op: 'replace', path: 'name.givenName', value: 'Grace' },
        { op: 'replace', path: 'emails', value: [{ value: `new.${email}`, primary: true }] },
      ]);
      expect(renamed.status).toBe(200);
      const [row] = await t.dataSource.query<Row[]>(
        `SELECT email, full_name FROM users WHERE id = $1`,
        [created.body.id],
      );
      expect(row).toEqual({ email: `new.${email}`, full_name: 'Grace Lovelace' });
    });

    it('a workspace that verified the domain links an existing account of another workspace', async () => {
      const c = await scimWorkspace(t);
      const cDomain = `${c.slug}.test`;
      await verifyDomain(t, c.slug, cDomain);
      const email = `member@${cDomain}`;
      const id = await addMember(t, b.slug, email);
      const linked = await scimAs(c).post(
        '/Users',
        oktaUser(email, { name: { givenName: 'Linked', familyName: 'ByDomain' } }),
      );
      expect(linked.status).toBe(201);
      expect(linked.body.id).toBe(id);
      // B sees the change its member's account went through, made by the domain's workspace.
      const [event] = await auditOf(b.id, 'account.updated');
      expect(event).toMatchObject({ targetId: id, after: { fullName: 'Linked ByDomain' } });
    });

    it("the workspace that verified the domain takes over another workspace's SCIM link", async () => {
      const first = await scimWorkspace(t);
      const owner = await scimWorkspace(t);
      const domain = `${owner.slug}.test`;
      const email = `moved@${domain}`;
      // Provisioned by `first` before anyone verified the domain: `first` made the account.
      const created = await scimAs(first).post('/Users', oktaUser(email));
      expect(created.status).toBe(201);
      // A workspace without the domain still cannot take the link.
      const third = await scimWorkspace(t);
      const refused = await scimAs(third).post('/Users', oktaUser(email));
      expect([refused.status, refused.body.scimType]).toEqual([409, 'uniqueness']);

      await verifyDomain(t, owner.slug, domain);
      const linked = await scimAs(owner).post('/Users', oktaUser(email));
      expect(linked.status).toBe(201);
      expect(linked.body.id).toBe(created.body.id);
      const [person] = await t.dataSource.query<Row[]>(
        `SELECT scim_workspace_id FROM users WHERE id = $1`,
        [created.body.id],
      );
      expect(person!.scim_workspace_id).toBe(owner.id);
      expect(await membershipIn(first.id, created.body.id)).toMatchObject({
        scim_managed: false,
        status: 'active',
      });
      const [moved] = await auditOf(first.id, 'member.scim_link_moved');
      expect(moved).toMatchObject({
        targetId: created.body.id,
        details: { toWorkspaceId: owner.id },
      });
      // `first`'s IdP can no longer change the account.
      const put = await scimAs(first).put(
        `/Users/${created.body.id}`,
        oktaUser(email, { name: { givenName: 'Not', familyName: 'Yours' } }),
      );
      expect([put.status, put.body.scimType]).toEqual([409, 'uniqueness']);
    });

    it('once another workspace verified the domain, the SCIM workspace keeps the membership but not the account', async () => {
      const first = await scimWorkspace(t);
      const owner = await createWorkspace(t);
      const domain = `${owner.slug}.test`;
      const email = `managed@${domain}`;
      const created = await scimAs(first).post('/Users', oktaUser(email));
      expect(created.status).toBe(201);
      await verifyDomain(t, owner.slug, domain);

      const rename = await scimAs(first).put(
        `/Users/${created.body.id}`,
        oktaUser(email, { name: { givenName: 'Re', familyName: 'Named' } }),
      );
      expect(rename.status).toBe(403);
      const readdress = await scimAs(first).patch(`/Users/${created.body.id}`, [
        {
          op: 'replace',
          path: 'emails',
          value: [{ value: `x@${first.slug}.test`, primary: true }],
        },
      ]);
      expect(readdress.status).toBe(403);
      const [row] = await t.dataSource.query<Row[]>(
        `SELECT email, full_name FROM users WHERE id = $1`,
        [created.body.id],
      );
      expect(row).toEqual({ email, full_name: 'Ada Lovelace' });
      // What is the workspace's own still follows its IdP.
      const deactivate = await scimAs(first).patch(`/Users/${created.body.id}`, [
        { op: 'replace', path: 'active', value: false },
      ]);
      expect(deactivate.status).toBe(200);
      expect(await membershipIn(first.id, created.body.id)).toMatchObject({
        status: 'deactivated',
      });
    });

    it('an admin renames a member the workspace created and that belongs to it alone', async () => {
      const email = `solo.${uniqueSlug()}@somewhere.test`;
      const id = await addMember(t, aAdmin.slug, email);
      await t.http
        .patch(`/api/workspaces/${aAdmin.slug}/members/${id}`)
        .set('Cookie', aAdmin.adminCookie)
        .send({ fullName: 'Named Here' })
        .expect(200);
    });
  });
});
