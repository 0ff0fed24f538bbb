import type supertest from 'supertest';
import { addMember } from '../support/fixtures.js';
import {
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  type ScimWorkspace,
  scimWorkspace,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const GATEHOUSE_GROUP = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';
const OKTA_AGENT = 'Okta SCIM Client 1.0.0';

type Json = Record<string, unknown>;

const patchOp = (...Operations: Json[]) => ({ schemas: [PATCH_SCHEMA], Operations });

/**
 * Okta's group push carries a group's name and members only, so "members of this group are
 * admins" is set in Gatehouse by an admin, on the pushed group, and survives Okta's later pushes.
 */
describe('the admin role of a group, set by an admin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  function scim(
    ws: ScimWorkspace,
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
  ): supertest.Test {
    return t.http[method](`/scim/v2${path}`)
      .set('Authorization', ws.auth)
      .set('User-Agent', OKTA_AGENT)
      .set('Content-Type', 'application/scim+json');
  }

  async function createUser(ws: ScimWorkspace, local: string): Promise<string> {
    const email = `${local}@${ws.slug}.test`;
    const res = await scim(ws, 'post', '/Users').send(
      oktaUser(email, { externalId: `ext-${local}` }),
    );
    if (res.status !== 201) throw new Error(`create user: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  /** Okta's push: a group with a name and members, nothing else. */
  async function pushGroup(ws: ScimWorkspace, displayName: string, members: string[]) {
    const res = await scim(ws, 'post', '/Groups').send({
      schemas: [GROUP_SCHEMA],
      displayName,
      members: members.map((value) => ({ value })),
    });
    if (res.status !== 201) throw new Error(`push group: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  const groupUrl = (ws: ScimWorkspace, id: string) => `/api/workspaces/${ws.slug}/groups/${id}`;

  function patchGroup(ws: ScimWorkspace, id: string, body: Json): supertest.Test {
    return t.http.patch(groupUrl(ws, id)).set('Authorization', t.internal).send(body);
  }

  async function roleOf(ws: ScimWorkspace, userId: string): Promise<string> {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/members/${userId}`)
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.role as string;
  }

  async function audit(ws: ScimWorkspace, action: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events`)
      .query({ action, limit: 200 })
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as Json[];
  }

  async function setScimOnly(ws: ScimWorkspace) {
    await t.http
      .patch(`/api/workspaces/${ws.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ scimOnlyProvisioning: true })
      .expect(200);
  }

  describe('successful', () => {
    it('marks an Okta-pushed group as granting the admin role: its members are admins at once, audited, shown in the group and its SCIM resource', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const bob = await createUser(ws, 'bob');
      const id = await pushGroup(ws, 'Gatehouse admins', [ada]);
      const before = (await scim(ws, 'get', `/Groups/${id}`).expect(200)).body.meta.version;

      const res = await patchGroup(ws, id, { adminRole: true }).expect(200);
      expect(res.body).toMatchObject({
        id,
        displayName: 'Gatehouse admins',
        scimManaged: true,
        adminRole: true,
        adminRoleSetBy: 'admin',
        memberCount: 1,
      });
      expect(await roleOf(ws, ada)).toBe('admin');
      expect(await roleOf(ws, bob)).toBe('member');

      const got = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal).expect(200);
      expect(got.body).toMatchObject({ adminRole: true, adminRoleSetBy: 'admin' });
      const list = await t.http
        .get(`/api/workspaces/${ws.slug}/groups`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(list.body.items).toEqual([expect.objectContaining({ id, adminRole: true })]);

      expect(await audit(ws, 'group.updated')).toEqual([
        expect.objectContaining({
          channel: 'internal',
          targetId: id,
          before: { adminRole: false, adminRoleSetBy: null },
          after: { adminRole: true, adminRoleSetBy: 'admin' },
        }),
      ]);
      expect(await audit(ws, 'member.roles_changed')).toContainEqual(
        expect.objectContaining({
          channel: 'internal',
          targetId: ada,
          details: expect.objectContaining({ promoted: [ada], demoted: [] }),
        }),
      );

      // The IdP sees the group change (new version) and the role in the Gatehouse extension.
      const resource = (await scim(ws, 'get', `/Groups/${id}`).expect(200)).body;
      expect(resource[GATEHOUSE_GROUP]).toEqual({ role: 'admin' });
      expect(resource.meta.version).not.toBe(before);
    });

    it("keeps the role through Okta's later PUTs and PATCHes, which never carry it, and applies it to the members they push", async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const bob = await createUser(ws, 'bob');
      const cat = await createUser(ws, 'cat');
      const id = await pushGroup(ws, 'Admins', [ada]);
      await patchGroup(ws, id, { adminRole: true }).expect(200);

      // Okta's PUT (App Integration Wizard apps): name and members only.
      await scim(ws, 'put', `/Groups/${id}`)
        .send({
          schemas: [GROUP_SCHEMA],
          id,
          displayName: 'Admins',
          members: [{ value: ada }, { value: bob }],
        })
        .expect(200);
      expect(await roleOf(ws, ada)).toBe('admin');
      expect(await roleOf(ws, bob)).toBe('admin');

      // Okta's PATCHes: members and the name.
      await scim(ws, 'patch', `/Groups/${id}`)
        .send(
          patchOp(
            { op: 'add', path: 'members', value: [{ value: cat }] },
            { op: 'remove', path: `members[value eq "${ada}"]` },
          ),
        )
        .expect(204);
      await scim(ws, 'patch', `/Groups/${id}`)
        .send(patchOp({ op: 'replace', value: { id, displayName: 'Workspace admins' } }))
        .expect(204);
      expect(await roleOf(ws, ada)).toBe('member');
      expect(await roleOf(ws, cat)).toBe('admin');

      // Even a PUT that leaves the extension out on purpose does not clear what an admin set.
      await scim(ws, 'put', `/Groups/${id}`)
        .send({ schemas: [GROUP_SCHEMA], id, displayName: 'Workspace admins' })
        .expect(200);
      const group = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(group.body).toMatchObject({
        displayName: 'Workspace admins',
        adminRole: true,
        adminRoleSetBy: 'admin',
      });
      expect(await roleOf(ws, bob)).toBe('admin');
      expect(await roleOf(ws, cat)).toBe('admin');
    });

    it('turns the role off again: members who are admins only through the group are demoted at once', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const own = await scim(ws, 'post', '/Users')
        .send(
          oktaUser(`own@${ws.slug}.test`, { externalId: 'ext-own', roles: [{ value: 'admin' }] }),
        )
        .expect(201);
      const id = await pushGroup(ws, 'Admins', [ada, own.body.id as string]);
      await patchGroup(ws, id, { adminRole: true }).expect(200);
      expect(await roleOf(ws, ada)).toBe('admin');

      const res = await patchGroup(ws, id, { adminRole: false }).expect(200);
      expect(res.body).toMatchObject({ adminRole: false, adminRoleSetBy: null });
      expect(await roleOf(ws, ada)).toBe('member');
      expect(await roleOf(ws, own.body.id as string)).toBe('admin');
      // Okta's next push leaves it off.
      await scim(ws, 'put', `/Groups/${id}`)
        .send({ schemas: [GROUP_SCHEMA], id, displayName: 'Admins', members: [{ value: ada }] })
        .expect(200);
      expect(await roleOf(ws, ada)).toBe('member');
    });

    it('is allowed under the SCIM-only lock, for this field only', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const id = await pushGroup(ws, 'Admins', [ada]);
      await setScimOnly(ws);
      await patchGroup(ws, id, { adminRole: true }).expect(200);
      expect(await roleOf(ws, ada)).toBe('admin');

      const rename = await patchGroup(ws, id, { displayName: 'Renamed' }).expect(409);
      expect(rename.body.code).toBe('SCIM_ONLY_PROVISIONING');
      const both = await patchGroup(ws, id, { displayName: 'Renamed', adminRole: false }).expect(
        409,
      );
      expect(both.body.code).toBe('SCIM_ONLY_PROVISIONING');
      const group = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(group.body).toMatchObject({ displayName: 'Admins', adminRole: true });
      expect(await roleOf(ws, ada)).toBe('admin');
    });

    it('an admin may take over a role the IdP set, which Okta-style pushes then keep', async () => {
      const ws = await scimWorkspace(t, 'generic');
      const ada = await createUser(ws, 'ada');
      const created = await scim(ws, 'post', '/Groups')
        .send({
          schemas: [GROUP_SCHEMA, GATEHOUSE_GROUP],
          displayName: 'Admins',
          members: [{ value: ada }],
          [GATEHOUSE_GROUP]: { role: 'admin' },
        })
        .expect(201);
      const id = created.body.id as string;
      const before = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(before.body).toMatchObject({ adminRole: true, adminRoleSetBy: 'scim' });

      await patchGroup(ws, id, { adminRole: true }).expect(200);
      await scim(ws, 'put', `/Groups/${id}`)
        .send({ schemas: [GROUP_SCHEMA], id, displayName: 'Admins' })
        .expect(200);
      const after = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(after.body).toMatchObject({ adminRole: true, adminRoleSetBy: 'admin' });
      expect(await roleOf(ws, ada)).toBe('admin');
    });
  });

  describe('failing cases', () => {
    it("refuses with 409 LAST_ADMIN to turn off the role that makes the workspace's last active admin; the IdP's own removal is never refused", async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const id = await pushGroup(ws, 'Admins', [ada]);
      await patchGroup(ws, id, { adminRole: true }).expect(200);
      // The first admin steps down: Ada, admin through the group, is the only one left.
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${ws.adminId}`)
        .set('Authorization', t.internal)
        .send({ role: 'member' })
        .expect(200);

      const res = await patchGroup(ws, id, { adminRole: false }).expect(409);
      expect(res.body.code).toBe('LAST_ADMIN');
      expect(await roleOf(ws, ada)).toBe('admin');
      const group = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(group.body).toMatchObject({ adminRole: true, adminRoleSetBy: 'admin' });
      expect(
        (await audit(ws, 'group.updated')).filter((e) => (e.after as Json).adminRole === false),
      ).toEqual([]);

      // Okta unassigning Ada from the group is provisioning: applied, and the gap recorded.
      await scim(ws, 'patch', `/Groups/${id}`)
        .send(patchOp({ op: 'remove', path: `members[value eq "${ada}"]` }))
        .expect(204);
      expect(await roleOf(ws, ada)).toBe('member');
      expect(await audit(ws, 'workspace.no_active_admin')).toHaveLength(1);
    });

    it('refuses with 409 SCIM_MANAGED to turn off a role the IdP set through the Gatehouse extension', async () => {
      const ws = await scimWorkspace(t, 'generic');
      const ada = await createUser(ws, 'ada');
      const created = await scim(ws, 'post', '/Groups')
        .send({
          schemas: [GROUP_SCHEMA, GATEHOUSE_GROUP],
          displayName: 'Admins',
          members: [{ value: ada }],
          [GATEHOUSE_GROUP]: { role: 'admin' },
        })
        .expect(201);
      const res = await patchGroup(ws, created.body.id as string, { adminRole: false }).expect(409);
      expect(res.body.code).toBe('SCIM_MANAGED');
      expect(res.body.message).toMatch(/identity provider/);
      expect(await roleOf(ws, ada)).toBe('admin');
    });

    it('still refuses every other edit of a SCIM-managed group with 409 SCIM_MANAGED, with or without adminRole', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const bob = await createUser(ws, 'bob');
      const id = await pushGroup(ws, 'Admins', [ada]);
      const rename = await patchGroup(ws, id, { displayName: 'Mine', adminRole: true }).expect(409);
      expect(rename.body.code).toBe('SCIM_MANAGED');
      const add = await t.http
        .put(`${groupUrl(ws, id)}/members/${bob}`)
        .set('Authorization', t.internal)
        .expect(409);
      expect(add.body.code).toBe('SCIM_MANAGED');
      const del = await t.http
        .delete(groupUrl(ws, id))
        .set('Authorization', t.internal)
        .expect(409);
      expect(del.body.code).toBe('SCIM_MANAGED');
      const group = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(group.body).toMatchObject({ displayName: 'Admins', adminRole: false, memberCount: 1 });
      expect(await roleOf(ws, ada)).toBe('member');
    });

    it.each([[{ adminRole: 'yes' }], [{ adminRole: null }], [{ adminRole: 1 }]])(
      'refuses %j with 400 naming adminRole',
      async (body) => {
        const ws = await scimWorkspace(t, 'okta');
        const id = await pushGroup(ws, 'Admins', []);
        const res = await patchGroup(ws, id, body).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('adminRole');
      },
    );

    it("answers 404 GROUP_NOT_FOUND for another workspace's group", async () => {
      const ws = await scimWorkspace(t, 'okta');
      const other = await scimWorkspace(t, 'okta');
      const theirs = await pushGroup(other, 'Admins', [await createUser(other, 'ada')]);
      const res = await t.http
        .patch(groupUrl(ws, theirs))
        .set('Authorization', t.internal)
        .send({ adminRole: true })
        .expect(404);
      expect(res.body.code).toBe('GROUP_NOT_FOUND');
      const group = await t.http.get(groupUrl(other, theirs)).set('Authorization', t.internal);
      expect(group.body.adminRole).toBe(false);
    });
  });

  describe('on a group made by hand', () => {
    it("makes the IdP's members in it admins while they are in it; members managed by hand keep their own role", async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const hand = await addMember(t, ws.slug, `hand@${ws.slug}.test`);
      const created = await t.http
        .post(`/api/workspaces/${ws.slug}/groups`)
        .set('Authorization', t.internal)
        .send({ displayName: 'Owners', memberIds: [hand] })
        .expect(201);
      const id = created.body.id as string;
      await patchGroup(ws, id, { adminRole: true }).expect(200);
      expect(await roleOf(ws, hand)).toBe('member');

      await t.http
        .put(`${groupUrl(ws, id)}/members/${ada}`)
        .set('Authorization', t.internal)
        .expect(204);
      expect(await roleOf(ws, ada)).toBe('admin');
      await t.http
        .delete(`${groupUrl(ws, id)}/members/${ada}`)
        .set('Authorization', t.internal)
        .expect(204);
      expect(await roleOf(ws, ada)).toBe('member');

      await t.http
        .put(`${groupUrl(ws, id)}/members/${ada}`)
        .set('Authorization', t.internal)
        .expect(204);
      await t.http.delete(groupUrl(ws, id)).set('Authorization', t.internal).expect(204);
      expect(await roleOf(ws, ada)).toBe('member');
    });

    it('refuses with 409 LAST_ADMIN to take the last active admin out of it by hand', async () => {
      const ws = await scimWorkspace(t, 'okta');
      const ada = await createUser(ws, 'ada');
      const created = await t.http
        .post(`/api/workspaces/${ws.slug}/groups`)
        .set('Authorization', t.internal)
        .send({ displayName: 'Owners', memberIds: [ada] })
        .expect(201);
      const id = created.body.id as string;
      await patchGroup(ws, id, { adminRole: true }).expect(200);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${ws.adminId}`)
        .set('Authorization', t.internal)
        .send({ role: 'member' })
        .expect(200);

      const out = await t.http
        .delete(`${groupUrl(ws, id)}/members/${ada}`)
        .set('Authorization', t.internal)
        .expect(409);
      expect(out.body.code).toBe('LAST_ADMIN');
      const del = await t.http
        .delete(groupUrl(ws, id))
        .set('Authorization', t.internal)
        .expect(409);
      expect(del.body.code).toBe('LAST_ADMIN');
      expect(await roleOf(ws, ada)).toBe('admin');
      const group = await t.http.get(groupUrl(ws, id)).set('Authorization', t.internal);
      expect(group.body).toMatchObject({ adminRole: true, memberCount: 1 });
    });
  });

  it('describes adminRole in the OpenAPI document', async () => {
    const res = await t.http.get('/docs/json').expect(200);
    const schemas = res.body.components.schemas;
    expect(schemas.UpdateGroupDto.properties.adminRole).toMatchObject({ type: 'boolean' });
    expect(schemas.UpdateGroupDto.required ?? []).not.toContain('displayName');
    expect(schemas.GroupDto.properties).toMatchObject({
      adminRole: { type: 'boolean' },
      adminRoleSetBy: { enum: ['admin', 'scim'] },
    });
    const patch = res.body.paths['/api/workspaces/{ws}/groups/{id}'].patch;
    expect(patch.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/GroupDto',
    });
  });
});
