import type supertest from 'supertest';
import {
  addMember,
  createWorkspace,
  signIn,
  WorkspaceFixture,
  workspaceWithSignedInAdmin,
} from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const UNKNOWN_ID = '123e4567-e89b-42d3-a456-426614174000';

type Write = (ws: WorkspaceFixture, groupId: string, userId: string) => supertest.Test;

describe('groups', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  // --- local helpers -------------------------------------------------------------------------

  const groupsUrl = (ws: WorkspaceFixture) => `/api/workspaces/${ws.slug}/groups`;

  async function createGroup(
    ws: WorkspaceFixture,
    displayName: string,
    memberIds?: string[],
  ): Promise<{ id: string; displayName: string; memberCount: number }> {
    const res = await t.http
      .post(groupsUrl(ws))
      .set('Cookie', ws.adminCookie)
      .send(memberIds ? { displayName, memberIds } : { displayName });
    if (res.status !== 201) throw new Error(`create group: ${res.status} ${res.text}`);
    return res.body;
  }

  function getGroup(ws: WorkspaceFixture, id: string): supertest.Test {
    return t.http.get(`${groupsUrl(ws)}/${id}`).set('Cookie', ws.adminCookie);
  }

  async function groupMemberIds(ws: WorkspaceFixture, id: string): Promise<string[]> {
    const res = await t.http
      .get(`${groupsUrl(ws)}/${id}/members`)
      .set('Cookie', ws.adminCookie)
      .expect(200);
    return (res.body.items as { userId: string }[]).map((m) => m.userId);
  }

  async function setScimOnly(ws: WorkspaceFixture, on: boolean) {
    await t.http
      .patch(`/api/workspaces/${ws.slug}/settings`)
      .set('Cookie', ws.adminCookie)
      .send({ scimOnlyProvisioning: on })
      .expect(200);
  }

  async function setMemberStatus(
    ws: WorkspaceFixture,
    userId: string,
    status: 'active' | 'deactivated',
  ) {
    await t.http
      .patch(`/api/workspaces/${ws.slug}/members/${userId}`)
      .set('Cookie', ws.adminCookie)
      .send({ status })
      .expect(200);
  }

  async function markScimManaged(groupId: string) {
    await t.dataSource.query(`UPDATE groups SET scim_managed = true WHERE id = $1`, [groupId]);
  }

  async function auditEvents(ws: WorkspaceFixture, action: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events`)
      .query({ action })
      .set('Cookie', ws.adminCookie)
      .expect(200);
    return res.body.items as Record<string, unknown>[];
  }

  /** A workspace with a signed-in admin, two more active members and one group. */
  async function workspaceWithGroup() {
    const ws = await workspaceWithSignedInAdmin(t);
    const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
    const bob = await addMember(t, ws.slug, `bob@${ws.slug}.example.com`);
    const group = await createGroup(ws, 'Engineering', [ada]);
    return { ws, ada, bob, group };
  }

  // --- create, read, list ----------------------------------------------------------------------

  describe('create and read', () => {
    it('creates a group with a trimmed display name and no members', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send({ displayName: '  Design  ' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        displayName: 'Design',
        scimManaged: false,
        adminRole: false,
        adminRoleSetBy: null,
        memberCount: 0,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const got = await getGroup(ws, res.body.id).expect(200);
      expect(got.body).toEqual(res.body);
    });

    it('creates a group with its first members, ignoring repeated ids', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'Engineering', memberIds: [ada, ws.adminId, ada.toUpperCase()] })
        .expect(201);
      expect(res.body.memberCount).toBe(2);
      expect((await groupMemberIds(ws, res.body.id)).sort()).toEqual([ada, ws.adminId].sort());
    });

    it('accepts the internal token', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Authorization', t.internal)
        .send({ displayName: 'Ops' })
        .expect(201);
      await t.http
        .get(`/api/workspaces/${ws.id}/groups/${res.body.id}`)
        .set('Authorization', t.internal)
        .expect(200);
    });

    it('accepts a display name of 200 characters', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const displayName = 'x'.repeat(200);
      expect((await createGroup(ws, displayName)).displayName).toBe(displayName);
    });

    it('lists groups by display name, case-insensitive, with member counts and paging', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      await createGroup(ws, 'charlie');
      await createGroup(ws, 'Alpha', [ada, ws.adminId]);
      await createGroup(ws, 'bravo', [ada]);
      const res = await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(res.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(
        (res.body.items as { displayName: string; memberCount: number }[]).map((g) => [
          g.displayName,
          g.memberCount,
        ]),
      ).toEqual([
        ['Alpha', 2],
        ['bravo', 1],
        ['charlie', 0],
      ]);
      const page = await t.http
        .get(groupsUrl(ws))
        .query({ limit: 1, offset: 1 })
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.body.items.map((g: { displayName: string }) => g.displayName)).toEqual(['bravo']);
    });

    it('filters the list by part of the display name, case-insensitive', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      await createGroup(ws, 'Platform Engineering');
      await createGroup(ws, 'engineering managers');
      await createGroup(ws, 'Sales');
      await createGroup(ws, '100% remote');
      const res = await t.http
        .get(groupsUrl(ws))
        .query({ displayName: 'ENGINEER' })
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(res.body.total).toBe(2);
      expect(res.body.items.map((g: { displayName: string }) => g.displayName)).toEqual([
        'engineering managers',
        'Platform Engineering',
      ]);
      const literal = await t.http
        .get(groupsUrl(ws))
        .query({ displayName: '%' })
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(literal.body.items.map((g: { displayName: string }) => g.displayName)).toEqual([
        '100% remote',
      ]);
    });

    it('lists only the groups of the workspace', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      await createGroup(ws, 'Mine');
      await createGroup(other, 'Theirs');
      const res = await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(res.body.items.map((g: { displayName: string }) => g.displayName)).toEqual(['Mine']);
    });

    it('lists the members of a group by email, with the member view and paging', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const zed = await addMember(t, ws.slug, `zed@${ws.slug}.example.com`);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      await addMember(t, ws.slug, `not-in-group@${ws.slug}.example.com`);
      const group = await createGroup(ws, 'Engineering', [zed, ada]);
      const res = await t.http
        .get(`${groupsUrl(ws)}/${group.id}/members`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(res.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
      expect(res.body.items).toEqual([
        expect.objectContaining({
          userId: ada,
          email: `ada@${ws.slug}.example.com`,
          role: 'member',
          status: 'active',
          source: 'manual',
          scimManaged: false,
        }),
        expect.objectContaining({ userId: zed, email: `zed@${ws.slug}.example.com` }),
      ]);
      const page = await t.http
        .get(`${groupsUrl(ws)}/${group.id}/members`)
        .query({ limit: 1, offset: 1 })
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(page.body.total).toBe(2);
      expect(page.body.items.map((m: { userId: string }) => m.userId)).toEqual([zed]);
    });

    it('records group.created and group.member_added in the audit trail', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      const group = await createGroup(ws, 'Engineering', [ada]);
      expect(await auditEvents(ws, 'group.created')).toEqual([
        expect.objectContaining({
          channel: 'admin',
          actorId: ws.adminId,
          targetType: 'group',
          targetId: group.id,
          after: { displayName: 'Engineering', scimManaged: false },
        }),
      ]);
      expect(await auditEvents(ws, 'group.member_added')).toEqual([
        expect.objectContaining({
          targetId: group.id,
          details: { displayName: 'Engineering', userIds: [ada] },
        }),
      ]);
    });
  });

  describe('create and read: failing cases', () => {
    it('refuses a display name taken in the workspace, case-insensitively', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      await createGroup(ws, 'Engineering');
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send({ displayName: ' ENGINEERING ' })
        .expect(409);
      expect(res.body.code).toBe('GROUP_NAME_TAKEN');
      const list = await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(list.body.total).toBe(1);
    });

    it('allows the same display name in another workspace', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      await createGroup(ws, 'Engineering');
      await createGroup(other, 'engineering');
    });

    it('refuses memberIds that are not members of the workspace, naming them, and creates nothing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await createWorkspace(t);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'Engineering', memberIds: [ada, UNKNOWN_ID, other.adminId, 'nope'] })
        .expect(404);
      expect(res.body.code).toBe('MEMBER_NOT_FOUND');
      expect(res.body.missingIds).toEqual([UNKNOWN_ID, other.adminId, 'nope']);
      const list = await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(list.body.total).toBe(0);
      expect(await auditEvents(ws, 'group.created')).toEqual([]);
    });

    it('refuses deactivated memberIds, naming them, and creates nothing', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const ada = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      const bob = await addMember(t, ws.slug, `bob@${ws.slug}.example.com`);
      await setMemberStatus(ws, bob, 'deactivated');
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'Engineering', memberIds: [ada, bob] })
        .expect(409);
      expect(res.body.code).toBe('MEMBER_DEACTIVATED');
      expect(res.body.deactivatedIds).toEqual([bob]);
      const list = await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(list.body.total).toBe(0);
    });

    it("answers 404 GROUP_NOT_FOUND for another workspace's group", async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      const theirs = await createGroup(other, 'Theirs');
      const res = await getGroup(ws, theirs.id).expect(404);
      expect(res.body.code).toBe('GROUP_NOT_FOUND');
      const members = await t.http
        .get(`${groupsUrl(ws)}/${theirs.id}/members`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(members.body.code).toBe('GROUP_NOT_FOUND');
    });

    it.each([UNKNOWN_ID, 'not-a-uuid'])(
      'answers 404 GROUP_NOT_FOUND for group id %s',
      async (id) => {
        const ws = await workspaceWithSignedInAdmin(t);
        const res = await getGroup(ws, id).expect(404);
        expect(res.body.code).toBe('GROUP_NOT_FOUND');
      },
    );

    it.each([
      [{}, 'displayName'],
      [{ displayName: '' }, 'displayName'],
      [{ displayName: '   ' }, 'displayName'],
      [{ displayName: 'x'.repeat(201) }, 'displayName'],
      [{ displayName: 42 }, 'displayName'],
      [{ displayName: 'Ok', memberIds: 'not-a-list' }, 'memberIds'],
      [{ displayName: 'Ok', memberIds: [1] }, 'memberIds'],
      [{ displayName: 'Ok', extra: true }, 'extra'],
    ])('refuses invalid input %j naming %s', async (body, field) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('refuses an invalid list query', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .get(groupsUrl(ws))
        .query({ limit: 0 })
        .set('Cookie', ws.adminCookie)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  // --- rename and delete -----------------------------------------------------------------------

  describe('rename and delete', () => {
    it('renames a group and records before and after', async () => {
      const { ws, group } = await workspaceWithGroup();
      const res = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ displayName: ' Platform ' })
        .expect(200);
      expect(res.body).toMatchObject({ id: group.id, displayName: 'Platform', memberCount: 1 });
      expect(await auditEvents(ws, 'group.updated')).toEqual([
        expect.objectContaining({
          targetId: group.id,
          before: { displayName: 'Engineering' },
          after: { displayName: 'Platform' },
        }),
      ]);
    });

    it('allows changing only the case of its own name', async () => {
      const { ws, group } = await workspaceWithGroup();
      const res = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'ENGINEERING' })
        .expect(200);
      expect(res.body.displayName).toBe('ENGINEERING');
    });

    it('deletes a group with its memberships and records it', async () => {
      const { ws, ada, group } = await workspaceWithGroup();
      await t.http
        .delete(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expect((await getGroup(ws, group.id).expect(404)).body.code).toBe('GROUP_NOT_FOUND');
      const rows = await t.dataSource.query<unknown[]>(
        `SELECT 1 FROM group_members WHERE group_id = $1`,
        [group.id],
      );
      expect(rows).toEqual([]);
      // The member stays in the workspace.
      await t.http
        .get(`/api/workspaces/${ws.slug}/members/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(await auditEvents(ws, 'group.deleted')).toEqual([
        expect.objectContaining({
          targetId: group.id,
          before: { displayName: 'Engineering', memberCount: 1 },
        }),
      ]);
    });
  });

  describe('rename and delete: failing cases', () => {
    it('refuses renaming to a name taken in the workspace, case-insensitively', async () => {
      const { ws, group } = await workspaceWithGroup();
      await createGroup(ws, 'Sales');
      const res = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'sALES' })
        .expect(409);
      expect(res.body.code).toBe('GROUP_NAME_TAKEN');
      expect((await getGroup(ws, group.id).expect(200)).body.displayName).toBe('Engineering');
    });

    it.each([
      [{}, 'displayName'],
      [{ displayName: ' ' }, 'displayName'],
      [{ displayName: 'x'.repeat(201) }, 'displayName'],
      [{ displayName: 'Ok', scimManaged: false }, 'scimManaged'],
    ])('refuses an invalid rename %j naming %s', async (body, field) => {
      const { ws, group } = await workspaceWithGroup();
      const res = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it("answers 404 GROUP_NOT_FOUND when renaming or deleting another workspace's group", async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      const theirs = await createGroup(other, 'Theirs');
      const rename = await t.http
        .patch(`${groupsUrl(ws)}/${theirs.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'Mine now' })
        .expect(404);
      expect(rename.body.code).toBe('GROUP_NOT_FOUND');
      const remove = await t.http
        .delete(`${groupsUrl(ws)}/${theirs.id}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(remove.body.code).toBe('GROUP_NOT_FOUND');
      expect((await getGroup(other, theirs.id).expect(200)).body.displayName).toBe('Theirs');
    });
  });

  // --- group members ---------------------------------------------------------------------------

  describe('members', () => {
    it('adds a member, idempotently', async () => {
      const { ws, ada, bob, group } = await workspaceWithGroup();
      const url = `${groupsUrl(ws)}/${group.id}/members/${bob}`;
      await t.http.put(url).set('Cookie', ws.adminCookie).expect(204);
      await t.http.put(url).set('Cookie', ws.adminCookie).expect(204);
      expect((await getGroup(ws, group.id).expect(200)).body.memberCount).toBe(2);
      expect((await groupMemberIds(ws, group.id)).sort()).toEqual([ada, bob].sort());
      const added = await auditEvents(ws, 'group.member_added');
      expect(added.filter((e) => (e.details as { userIds: string[] }).userIds[0] === bob)).toEqual([
        expect.objectContaining({ targetType: 'group', targetId: group.id }),
      ]);
    });

    it('removes a member, idempotently for a workspace member not in the group', async () => {
      const { ws, ada, bob, group } = await workspaceWithGroup();
      await t.http
        .delete(`${groupsUrl(ws)}/${group.id}/members/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      await t.http
        .delete(`${groupsUrl(ws)}/${group.id}/members/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      await t.http
        .delete(`${groupsUrl(ws)}/${group.id}/members/${bob}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expect(await groupMemberIds(ws, group.id)).toEqual([]);
      expect(await auditEvents(ws, 'group.member_removed')).toEqual([
        expect.objectContaining({
          targetId: group.id,
          details: { displayName: 'Engineering', userIds: [ada] },
        }),
      ]);
    });

    it('removes a deactivated member from every group; reactivating does not restore them', async () => {
      const { ws, ada, bob, group } = await workspaceWithGroup();
      const second = await createGroup(ws, 'Everyone', [ada, bob]);
      await setMemberStatus(ws, ada, 'deactivated');
      expect(await groupMemberIds(ws, group.id)).toEqual([]);
      expect(await groupMemberIds(ws, second.id)).toEqual([bob]);
      await setMemberStatus(ws, ada, 'active');
      expect(await groupMemberIds(ws, group.id)).toEqual([]);
      expect(await groupMemberIds(ws, second.id)).toEqual([bob]);
      // Once active again, they can be added back by hand.
      await t.http
        .put(`${groupsUrl(ws)}/${group.id}/members/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expect(await groupMemberIds(ws, group.id)).toEqual([ada]);
    });

    it('drops group memberships when the member leaves the workspace', async () => {
      const { ws, ada, group } = await workspaceWithGroup();
      await t.http
        .delete(`/api/workspaces/${ws.slug}/members/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expect((await getGroup(ws, group.id).expect(200)).body.memberCount).toBe(0);
    });
  });

  describe('members: failing cases', () => {
    it.each([
      ['an unknown user', () => Promise.resolve(UNKNOWN_ID)],
      ['a malformed id', () => Promise.resolve('not-a-uuid')],
      ["another workspace's member", async () => (await createWorkspace(t)).adminId],
    ])('refuses adding %s with 404 MEMBER_NOT_FOUND', async (_, userId) => {
      const { ws, group } = await workspaceWithGroup();
      const res = await t.http
        .put(`${groupsUrl(ws)}/${group.id}/members/${await userId()}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('MEMBER_NOT_FOUND');
      expect((await getGroup(ws, group.id).expect(200)).body.memberCount).toBe(1);
    });

    it.each([
      ['an unknown user', () => Promise.resolve(UNKNOWN_ID)],
      ['a malformed id', () => Promise.resolve('not-a-uuid')],
      ["another workspace's member", async () => (await createWorkspace(t)).adminId],
    ])('refuses removing %s with 404 MEMBER_NOT_FOUND', async (_, userId) => {
      const { ws, group } = await workspaceWithGroup();
      const res = await t.http
        .delete(`${groupsUrl(ws)}/${group.id}/members/${await userId()}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('MEMBER_NOT_FOUND');
    });

    it('refuses adding a deactivated member with 409 MEMBER_DEACTIVATED', async () => {
      const { ws, bob, group } = await workspaceWithGroup();
      await setMemberStatus(ws, bob, 'deactivated');
      const res = await t.http
        .put(`${groupsUrl(ws)}/${group.id}/members/${bob}`)
        .set('Cookie', ws.adminCookie)
        .expect(409);
      expect(res.body.code).toBe('MEMBER_DEACTIVATED');
      expect(await groupMemberIds(ws, group.id)).not.toContain(bob);
    });

    it("refuses adding to another workspace's group with 404 GROUP_NOT_FOUND", async () => {
      const { ws, bob } = await workspaceWithGroup();
      const other = await workspaceWithSignedInAdmin(t);
      const theirs = await createGroup(other, 'Theirs');
      const put = await t.http
        .put(`${groupsUrl(ws)}/${theirs.id}/members/${bob}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(put.body.code).toBe('GROUP_NOT_FOUND');
      const del = await t.http
        .delete(`${groupsUrl(ws)}/${theirs.id}/members/${bob}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(del.body.code).toBe('GROUP_NOT_FOUND');
    });
  });

  // --- SCIM-only provisioning and SCIM-managed groups ------------------------------------------

  describe('while scimOnlyProvisioning is on', () => {
    const writes: [string, Write][] = [
      ['create', (ws) => t.http.post(groupsUrl(ws)).send({ displayName: 'New' })],
      [
        'rename',
        (ws, groupId) => t.http.patch(`${groupsUrl(ws)}/${groupId}`).send({ displayName: 'X' }),
      ],
      ['delete', (ws, groupId) => t.http.delete(`${groupsUrl(ws)}/${groupId}`)],
      [
        'add a member',
        (ws, groupId, userId) => t.http.put(`${groupsUrl(ws)}/${groupId}/members/${userId}`),
      ],
      [
        'remove a member',
        (ws, groupId, userId) => t.http.delete(`${groupsUrl(ws)}/${groupId}/members/${userId}`),
      ],
    ];

    it.each(writes)('refuses to %s with 409 SCIM_ONLY_PROVISIONING', async (name, send) => {
      const { ws, ada, bob, group } = await workspaceWithGroup();
      await setScimOnly(ws, true);
      const userId = name === 'add a member' ? bob : ada;
      const res = await send(ws, group.id, userId).set('Cookie', ws.adminCookie).expect(409);
      expect(res.body.code).toBe('SCIM_ONLY_PROVISIONING');
      const after = await getGroup(ws, group.id).expect(200);
      expect(after.body).toMatchObject({ displayName: 'Engineering', memberCount: 1 });
      expect(await groupMemberIds(ws, group.id)).toEqual([ada]);
      const list = await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      expect(list.body.total).toBe(1);
    });

    it('refuses the internal token too', async () => {
      const { ws } = await workspaceWithGroup();
      await setScimOnly(ws, true);
      const res = await t.http
        .post(groupsUrl(ws))
        .set('Authorization', t.internal)
        .send({ displayName: 'New' })
        .expect(409);
      expect(res.body.code).toBe('SCIM_ONLY_PROVISIONING');
    });

    it("still allows setting a group's admin role, and nothing else in the same request", async () => {
      const { ws, group } = await workspaceWithGroup();
      await setScimOnly(ws, true);
      const both = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'X', adminRole: true })
        .expect(409);
      expect(both.body.code).toBe('SCIM_ONLY_PROVISIONING');
      expect((await getGroup(ws, group.id).expect(200)).body.adminRole).toBe(false);
      const res = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ adminRole: true })
        .expect(200);
      expect(res.body).toMatchObject({ displayName: 'Engineering', adminRole: true });
    });

    it('still allows reads', async () => {
      const { ws, ada, group } = await workspaceWithGroup();
      await setScimOnly(ws, true);
      await t.http.get(groupsUrl(ws)).set('Cookie', ws.adminCookie).expect(200);
      await getGroup(ws, group.id).expect(200);
      expect(await groupMemberIds(ws, group.id)).toEqual([ada]);
    });

    it('allows every write again once turned off', async () => {
      const { ws, ada, bob, group } = await workspaceWithGroup();
      await setScimOnly(ws, true);
      await t.http
        .post(groupsUrl(ws))
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'New' })
        .expect(409);
      await setScimOnly(ws, false);
      const created = await createGroup(ws, 'New');
      await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ displayName: 'Renamed' })
        .expect(200);
      await t.http
        .put(`${groupsUrl(ws)}/${group.id}/members/${bob}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      await t.http
        .delete(`${groupsUrl(ws)}/${group.id}/members/${ada}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      await t.http
        .delete(`${groupsUrl(ws)}/${created.id}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      expect(await groupMemberIds(ws, group.id)).toEqual([bob]);
    });
  });

  describe('a group managed by SCIM', () => {
    const writes: [string, Write][] = [
      [
        'rename',
        (ws, groupId) => t.http.patch(`${groupsUrl(ws)}/${groupId}`).send({ displayName: 'X' }),
      ],
      ['delete', (ws, groupId) => t.http.delete(`${groupsUrl(ws)}/${groupId}`)],
      [
        'add a member',
        (ws, groupId, userId) => t.http.put(`${groupsUrl(ws)}/${groupId}/members/${userId}`),
      ],
      [
        'remove a member',
        (ws, groupId, userId) => t.http.delete(`${groupsUrl(ws)}/${groupId}/members/${userId}`),
      ],
    ];

    it.each(writes)('refuses to %s with 409 SCIM_MANAGED', async (name, send) => {
      const { ws, ada, bob, group } = await workspaceWithGroup();
      await markScimManaged(group.id);
      const userId = name === 'add a member' ? bob : ada;
      const res = await send(ws, group.id, userId).set('Cookie', ws.adminCookie).expect(409);
      expect(res.body.code).toBe('SCIM_MANAGED');
      const after = await getGroup(ws, group.id).expect(200);
      expect(after.body).toMatchObject({ displayName: 'Engineering', scimManaged: true });
      expect(await groupMemberIds(ws, group.id)).toEqual([ada]);
    });

    it('lets a signed-in admin set its admin role, which the IdP cannot push, audited on the admin channel', async () => {
      const { ws, group } = await workspaceWithGroup();
      await markScimManaged(group.id);
      const res = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', ws.adminCookie)
        .send({ adminRole: true })
        .expect(200);
      expect(res.body).toMatchObject({
        displayName: 'Engineering',
        scimManaged: true,
        adminRole: true,
        adminRoleSetBy: 'admin',
      });
      expect(await auditEvents(ws, 'group.updated')).toEqual([
        expect.objectContaining({
          channel: 'admin',
          actorId: ws.adminId,
          targetId: group.id,
          after: { adminRole: true, adminRoleSetBy: 'admin' },
        }),
      ]);
    });

    it('can still be read, and other groups can still be written', async () => {
      const { ws, bob, group } = await workspaceWithGroup();
      await markScimManaged(group.id);
      await getGroup(ws, group.id).expect(200);
      const mine = await createGroup(ws, 'Hand made');
      await t.http
        .put(`${groupsUrl(ws)}/${mine.id}/members/${bob}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
    });
  });

  it('describes the routes and their input in the OpenAPI document', async () => {
    const res = await t.http.get('/docs/json').expect(200);
    const paths = Object.keys(res.body.paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/workspaces/{ws}/groups',
        '/api/workspaces/{ws}/groups/{id}',
        '/api/workspaces/{ws}/groups/{id}/members',
        '/api/workspaces/{ws}/groups/{id}/members/{userId}',
      ]),
    );
    expect(res.body.components.schemas.CreateGroupDto).toMatchObject({
      required: ['displayName'],
      properties: { displayName: { maxLength: 200 }, memberIds: { type: 'array' } },
    });
  });

  // --- access ----------------------------------------------------------------------------------

  describe('access', () => {
    it('refuses requests without credentials with 401', async () => {
      const { ws, group } = await workspaceWithGroup();
      const list = await t.http.get(groupsUrl(ws)).expect(401);
      expect(list.body.code).toBe('UNAUTHENTICATED');
      const create = await t.http.post(groupsUrl(ws)).send({ displayName: 'x' }).expect(401);
      expect(create.body.code).toBe('UNAUTHENTICATED');
      const del = await t.http.delete(`${groupsUrl(ws)}/${group.id}`).expect(401);
      expect(del.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a non-admin member with 403', async () => {
      const { ws, group } = await workspaceWithGroup();
      const email = `carol@${ws.slug}.example.com`;
      const carol = await addMember(t, ws.slug, email);
      const cookie = await signIn(t, ws.slug, email);
      const list = await t.http.get(groupsUrl(ws)).set('Cookie', cookie).expect(403);
      expect(list.body.code).toBe('FORBIDDEN');
      const get = await t.http.get(`${groupsUrl(ws)}/${group.id}`).set('Cookie', cookie);
      expect(get.status).toBe(403);
      expect(get.body.code).toBe('FORBIDDEN');
      const create = await t.http
        .post(groupsUrl(ws))
        .set('Cookie', cookie)
        .send({ displayName: 'Mine' })
        .expect(403);
      expect(create.body.code).toBe('FORBIDDEN');
      // Not even for themselves.
      const join = await t.http
        .put(`${groupsUrl(ws)}/${group.id}/members/${carol}`)
        .set('Cookie', cookie)
        .expect(403);
      expect(join.body.code).toBe('FORBIDDEN');
    });

    it("answers 404 WORKSPACE_NOT_FOUND to another workspace's admin", async () => {
      const { ws, group } = await workspaceWithGroup();
      const other = await workspaceWithSignedInAdmin(t);
      const list = await t.http.get(groupsUrl(ws)).set('Cookie', other.adminCookie).expect(404);
      expect(list.body.code).toBe('WORKSPACE_NOT_FOUND');
      const rename = await t.http
        .patch(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', other.adminCookie)
        .send({ displayName: 'Hijacked' })
        .expect(404);
      expect(rename.body.code).toBe('WORKSPACE_NOT_FOUND');
      const del = await t.http
        .delete(`${groupsUrl(ws)}/${group.id}`)
        .set('Cookie', other.adminCookie)
        .expect(404);
      expect(del.body.code).toBe('WORKSPACE_NOT_FOUND');
      expect((await getGroup(ws, group.id).expect(200)).body.displayName).toBe('Engineering');
    });
  });
});
