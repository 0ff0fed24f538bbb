// What docs/scim-okta.md, docs/scim-generic.md and the SAML guides tell admins, run as written:
// the requests Okta documents for App Integration Wizard apps, the recovery steps when no admin
// is left, and where refused SAML sign-ins show up.
import { addMember, createWorkspace } from '../support/fixtures.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
import {
  GROUP_SCHEMA,
  oktaUser,
  type ScimWorkspace,
  scimWorkspace,
  USER_SCHEMA,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Json = Record<string, unknown>;

const OKTA_AGENT = 'Okta SCIM Client 1.0.0';

describe('What the IdP guides promise', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const okta = (ws: ScimWorkspace) => {
    const send = (req: ReturnType<TestApp['http']['post']>, body: unknown) =>
      req
        .set('Authorization', ws.auth)
        .set('User-Agent', OKTA_AGENT)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(body));
    return {
      get: (path: string, query: Json = {}) =>
        t.http.get(`/scim/v2${path}`).query(query).set('Authorization', ws.auth),
      post: (path: string, body: unknown) => send(t.http.post(`/scim/v2${path}`), body),
      put: (path: string, body: unknown) => send(t.http.put(`/scim/v2${path}`), body),
    };
  };

  const api = {
    get: (path: string) => t.http.get(`/api${path}`).set('Authorization', t.internal),
    post: (path: string, body: Json) =>
      t.http.post(`/api${path}`).set('Authorization', t.internal).send(body),
    patch: (path: string, body: Json) =>
      t.http.patch(`/api${path}`).set('Authorization', t.internal).send(body),
  };

  async function member(ws: { slug: string }, userId: string) {
    return (await api.get(`/workspaces/${ws.slug}/members/${userId}`).expect(200)).body as Json;
  }

  async function groupMembers(ws: ScimWorkspace, groupId: string) {
    const res = await okta(ws).get(`/Groups/${groupId}`).expect(200);
    return ((res.body.members ?? []) as { value: string }[]).map((m) => m.value).sort();
  }

  async function warnings(ws: { slug: string }) {
    const res = await api.get(`/workspaces/${ws.slug}`).expect(200);
    return ((res.body.warnings ?? []) as { code: string }[]).map((w) => w.code);
  }

  async function auditEvents(ws: { slug: string }, query: string) {
    const res = await api.get(`/workspaces/${ws.slug}/audit-events?${query}`).expect(200);
    return res.body.items as Json[];
  }

  /** Okta's AIW PUT: the user as Okta read it, with the changed attributes (developer.okta.com). */
  async function oktaPutUser(ws: ScimWorkspace, id: string, changes: Json) {
    const current = (await okta(ws).get(`/Users/${id}`).expect(200)).body as Json;
    const body = {
      schemas: [USER_SCHEMA],
      id,
      userName: current.userName,
      name: current.name,
      emails: current.emails,
      active: current.active,
      groups: [],
      meta: { resourceType: 'User' },
      ...changes,
    };
    const res = await okta(ws).put(`/Users/${id}`, body);
    if (res.status !== 200) throw new Error(`PUT user: ${res.status} ${res.text}`);
    return res.body as Json;
  }

  describe('Okta apps made with the App Integration Wizard (everything by PUT)', () => {
    it('deactivates, reactivates and changes group memberships from PUTs alone', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const lookup = await okta(ws)
        .get('/Users', { filter: 'userName eq "ada@aiw.test"', startIndex: 1, count: 100 })
        .expect(200);
      expect(lookup.body.totalResults).toBe(0);
      const ada = (await okta(ws).post('/Users', oktaUser('ada@aiw.test')).expect(201)).body.id;
      const bob = (await okta(ws).post('/Users', oktaUser('bob@aiw.test')).expect(201)).body.id;

      // Push Groups: a POST with no members, then memberships as PUTs of the whole group.
      const created = await okta(ws)
        .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [] })
        .expect(201);
      const groupId = created.body.id as string;
      const putGroup = (displayName: string, ids: string[]) =>
        okta(ws)
          .put(`/Groups/${groupId}`, {
            schemas: [GROUP_SCHEMA],
            displayName,
            members: ids.map((value) => ({ value, display: value })),
          })
          .expect(200);
      await putGroup('Engineering', [ada, bob]);
      expect(await groupMembers(ws, groupId)).toEqual([ada, bob].sort());
      await putGroup('Engineering', [ada]);
      expect(await groupMembers(ws, groupId)).toEqual([ada]);
      const renamed = await putGroup('Platform', [ada]);
      expect(renamed.body.displayName).toBe('Platform');

      // Unassigned in Okta: a PUT of the whole user with active false.
      const deactivated = await oktaPutUser(ws, ada, { active: false });
      expect(deactivated.active).toBe(false);
      expect(await member(ws, ada)).toMatchObject({ status: 'deactivated', scimManaged: true });
      expect(await groupMembers(ws, groupId)).toEqual([]);
      const [event] = await auditEvents(ws, 'action=member.deactivated&channel=scim');
      expect(event).toMatchObject({ targetId: ada, actorLabel: OKTA_AGENT });

      // Assigned again: a PUT with active true. No group comes back until Okta pushes it again.
      expect((await oktaPutUser(ws, ada, { active: true })).active).toBe(true);
      expect(await member(ws, ada)).toMatchObject({ status: 'active' });
      expect(await groupMembers(ws, groupId)).toEqual([]);
      await putGroup('Platform', [ada]);
      expect(await groupMembers(ws, groupId)).toEqual([ada]);
    });
  });

  describe('no active admin left', () => {
    /** A SCIM workspace whose only admin Okta manages, then demoted by Okta's next PUT. */
    async function workspaceWithoutAdmin() {
      const ws = await scimWorkspace(t, 'okta');
      const linked = await okta(ws)
        .post('/Users', oktaUser(ws.adminEmail, { role: 'admin' }))
        .expect(201);
      expect(linked.body.id).toBe(ws.adminId);
      await oktaPutUser(ws, ws.adminId, { role: 'member' });
      expect(await member(ws, ws.adminId)).toMatchObject({ role: 'member', scimManaged: true });
      expect(await warnings(ws)).toContain('NO_ACTIVE_ADMIN');
      return ws;
    }

    it('refuses a role set by hand on a SCIM-managed member, even with the internal token', async () => {
      const ws = await workspaceWithoutAdmin();
      const refused = await api
        .patch(`/workspaces/${ws.slug}/members/${ws.adminId}`, { role: 'admin' })
        .expect(409);
      expect(refused.body.code).toBe('SCIM_MANAGED');
      expect(await member(ws, ws.adminId)).toMatchObject({ role: 'member' });
      expect(await warnings(ws)).toContain('NO_ACTIVE_ADMIN');
    });

    it('recovers when the IdP sends role = admin', async () => {
      const ws = await workspaceWithoutAdmin();
      await oktaPutUser(ws, ws.adminId, { role: 'admin' });
      expect(await member(ws, ws.adminId)).toMatchObject({ role: 'admin', status: 'active' });
      expect(await warnings(ws)).not.toContain('NO_ACTIVE_ADMIN');
    });

    it('recovers with the internal token: a pushed group marked as an admin group', async () => {
      const ws = await workspaceWithoutAdmin();
      const pushed = await okta(ws)
        .post('/Groups', {
          schemas: [GROUP_SCHEMA],
          displayName: 'IT',
          members: [{ value: ws.adminId, display: ws.adminEmail }],
        })
        .expect(201);
      const groups = await api.get(`/workspaces/${ws.slug}/groups?limit=200`).expect(200);
      const it = (groups.body.items as Json[]).find((g) => g.displayName === 'IT')!;
      expect(it).toMatchObject({ id: pushed.body.id, scimManaged: true });
      await api
        .patch(`/workspaces/${ws.slug}/groups/${it.id as string}`, { adminRole: true })
        .expect(200);
      expect(await member(ws, ws.adminId)).toMatchObject({ role: 'admin', scimManaged: true });
      expect(await warnings(ws)).not.toContain('NO_ACTIVE_ADMIN');
      // Okta's next push of the group, without the Gatehouse extension, keeps it an admin group.
      await okta(ws)
        .put(`/Groups/${it.id as string}`, {
          schemas: [GROUP_SCHEMA],
          displayName: 'IT',
          members: [{ value: ws.adminId, display: ws.adminEmail }],
        })
        .expect(200);
      expect(await member(ws, ws.adminId)).toMatchObject({ role: 'admin' });
    });

    it('recovers with the internal token: a member Gatehouse manages made admin by hand', async () => {
      const ws = await workspaceWithoutAdmin();
      await api
        .patch(`/workspaces/${ws.slug}/settings`, { scimOnlyProvisioning: true })
        .expect(200);
      const locked = await api
        .post(`/workspaces/${ws.slug}/members`, { email: 'it-admin@acme.test', role: 'admin' })
        .expect(409);
      expect(locked.body.code).toBe('SCIM_ONLY_PROVISIONING');

      await api
        .patch(`/workspaces/${ws.slug}/settings`, { scimOnlyProvisioning: false })
        .expect(200);
      const added = await api
        .post(`/workspaces/${ws.slug}/members`, {
          email: 'it-admin@acme.test',
          fullName: 'IT Admin',
          role: 'admin',
        })
        .expect(201);
      expect(added.body).toMatchObject({ role: 'admin', scimManaged: false, status: 'active' });
      expect(await warnings(ws)).not.toContain('NO_ACTIVE_ADMIN');

      // A member added by hand earlier (not SCIM-managed) can be promoted the same way.
      const hand = await addMember(t, ws.slug, 'helpdesk@acme.test');
      const promoted = await api
        .patch(`/workspaces/${ws.slug}/members/${hand}`, { role: 'admin' })
        .expect(200);
      expect(promoted.body).toMatchObject({ role: 'admin', scimManaged: false });
    });
  });

  describe('refused SAML sign-ins in the audit trail', () => {
    it('records refusals at the ACS of a known provider, with the asserted email once read', async () => {
      const [key] = await idpKeys();
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'ada@acme.test');
      const provider = await createProvider(t, ws.slug, { key: key!, name: 'Okta' });
      const failures = () => auditEvents(ws, 'action=auth.sign_in_failed&channel=saml');

      await api
        .patch(`/workspaces/${ws.slug}/settings`, { signInMethods: { saml: false } })
        .expect(200);
      const off = await postToAcs(t, provider, await responseFor(provider, 'ada@acme.test'));
      expect([off.status, off.body.code]).toEqual([403, 'SIGN_IN_METHOD_DISABLED']);
      await api
        .patch(`/workspaces/${ws.slug}/settings`, { signInMethods: { saml: true } })
        .expect(200);

      const ada = (await api.get(`/workspaces/${ws.slug}/members?email=ada@acme.test`)).body
        .items[0].userId as string;
      await api
        .patch(`/workspaces/${ws.slug}/members/${ada}`, { status: 'deactivated' })
        .expect(200);
      const deactivated = await postToAcs(
        t,
        provider,
        await responseFor(provider, 'ada@acme.test'),
      );
      expect([deactivated.status, deactivated.body.code]).toEqual([403, 'MEMBERSHIP_DEACTIVATED']);

      const events = await failures();
      expect(events.map((e) => (e.details as Json).reason)).toEqual([
        'MEMBERSHIP_DEACTIVATED',
        'SIGN_IN_METHOD_DISABLED',
      ]);
      for (const event of events) {
        expect(event).toMatchObject({
          channel: 'saml',
          actorType: 'idp',
          actorLabel: 'Okta',
          targetId: provider.id,
          details: { method: 'saml', message: expect.any(String) },
        });
      }
      expect(events[0]!.details).toMatchObject({ email: 'ada@acme.test' });
      // Refused before the response was read: no email.
      expect(events[1]!.details).not.toHaveProperty('email');
      expect(
        (await auditEvents(ws, `action=auth.sign_in_failed&targetId=${provider.id}`)).length,
      ).toBe(2);

      // An address that names no provider belongs to no workspace: nothing is recorded.
      const unknown = await t.http
        .post('/auth/saml/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/acs')
        .type('form')
        .set('Accept', 'application/json')
        .send({ SAMLResponse: 'PHhtbC8+' });
      expect([unknown.status, unknown.body.code]).toEqual([404, 'SAML_PROVIDER_NOT_FOUND']);
      expect(await failures()).toHaveLength(2);
    });
  });
});
