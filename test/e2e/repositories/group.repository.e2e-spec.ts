import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { GroupRepository } from '../../../src/workspace/repositories/group.repository.js';
import { MissingWorkspaceError } from '../../../src/workspace/repositories/repository-support.js';
import { createWorkspace } from '../../support/fixtures.js';
import { recordingManager } from '../../support/recorded-manager.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * GroupRepository driven directly on the test app's database: what each method reads and writes
 * (checked in SQL), that it never reads or writes another workspace's groups, that a missing
 * workspace id is refused before any SQL, and that its update bumps the version.
 */
describe('GroupRepository', () => {
  let t: TestApp;
  let repository: GroupRepository;
  /** The data source's manager, recording each statement sent through it. */
  let db: EntityManager;
  const statements: string[] = [];
  /** Two workspaces: `ws` is the one acted on. */
  let ws: { id: string; adminId: string };
  let other: { id: string; adminId: string };

  beforeAll(async () => {
    t = await startTestApp();
    repository = t.app.get(GroupRepository);
    db = recordingManager(t.dataSource.manager, statements);
    ws = await createWorkspace(t);
    other = await createWorkspace(t);
  }, 120_000);
  afterAll(() => t.close());
  beforeEach(() => {
    statements.length = 0;
  });

  const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

  /** A group of the workspace (plain SQL); returns its id. */
  async function group(
    workspaceId: string,
    fields: { name?: string; scimManaged?: boolean; adminRole?: boolean } = {},
  ): Promise<string> {
    const [row] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO groups (workspace_id, display_name, scim_managed, admin_role)
       VALUES ($1, $2, $3, $4) RETURNING id`,
      [
        workspaceId,
        fields.name ?? unique('group'),
        fields.scimManaged ?? false,
        !!fields.adminRole,
      ],
    );
    return row!.id;
  }

  async function row(groupId: string) {
    const [found] = await t.dataSource.query<
      {
        workspace_id: string;
        display_name: string;
        scim_managed: boolean;
        scim_external_id: string | null;
        admin_role: boolean;
        admin_role_by_admin: boolean;
        updated_at: Date;
        version: string;
      }[]
    >(
      `SELECT workspace_id, display_name, scim_managed, scim_external_id, admin_role,
              admin_role_by_admin, updated_at, version
         FROM groups WHERE id = $1`,
      [groupId],
    );
    return found ?? null;
  }

  /** Whether another connection can lock the group right now. */
  async function lockedElsewhere(groupId: string): Promise<boolean> {
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query(`SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE NOWAIT`, [groupId]);
      return false;
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return true;
      throw error;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  const SOME_ID = '00000000-0000-4000-8000-000000000000';
  const calls: [string, (workspaceId: string) => Promise<unknown>][] = [
    ['find', (w) => repository.find(db, w, SOME_ID)],
    ['find with lock', (w) => repository.find(db, w, SOME_ID, { lock: true })],
    ['lockByName', (w) => repository.lockByName(db, w, 'name')],
    ['view', (w) => repository.view(db, w, SOME_ID)],
    ['page', (w) => repository.page(db, w, {}, { limit: 10, offset: 0 })],
    ['insert', (w) => repository.insert(db, w, { displayName: 'x', scimManaged: false })],
    ['update', (w) => repository.update(db, w, { groupIds: [SOME_ID] }, {})],
    ['update of no group', (w) => repository.update(db, w, { groupIds: [] }, {})],
    ['remove', (w) => repository.remove(db, w, SOME_ID)],
  ];

  describe.each([
    ['an empty', ''],
    ['an undefined', undefined],
  ])('with %s workspace id', (_case, workspaceId) => {
    it.each(calls)('%s throws MissingWorkspaceError before any SQL', async (_name, call) => {
      await expect(call(workspaceId as string)).rejects.toBeInstanceOf(MissingWorkspaceError);
      expect(statements).toEqual([]);
    });
  });

  describe('find', () => {
    it('returns the group', async () => {
      const name = unique('found');
      const id = await group(ws.id, { name, scimManaged: true, adminRole: true });
      expect(await repository.find(db, ws.id, id)).toEqual({
        id,
        displayName: name,
        scimManaged: true,
        scimExternalId: null,
        adminRole: true,
        adminRoleByAdmin: false,
      });
    });

    it("does not find another workspace's group", async () => {
      expect(await repository.find(db, ws.id, await group(other.id))).toBeNull();
    });

    it('with lock, locks the group until the transaction ends', async () => {
      const id = await group(ws.id);
      await t.dataSource.transaction(async (tx) => {
        await repository.find(tx, ws.id, id, { lock: true });
        expect(await lockedElsewhere(id)).toBe(true);
      });
      expect(await lockedElsewhere(id)).toBe(false);
    });

    it('without lock, leaves the group unlocked', async () => {
      const id = await group(ws.id);
      await t.dataSource.transaction(async (tx) => {
        await repository.find(tx, ws.id, id);
        expect(await lockedElsewhere(id)).toBe(false);
      });
    });
  });

  describe('lockByName', () => {
    it('returns the group with this name in any case, locked until the transaction ends', async () => {
      const name = unique('Named');
      const id = await group(ws.id, { name });
      await t.dataSource.transaction(async (tx) => {
        expect(await repository.lockByName(tx, ws.id, name.toUpperCase())).toMatchObject({
          id,
          displayName: name,
        });
        expect(await lockedElsewhere(id)).toBe(true);
      });
    });

    it("neither finds nor locks another workspace's group of that name", async () => {
      const name = unique('theirs');
      const id = await group(other.id, { name });
      await t.dataSource.transaction(async (tx) => {
        expect(await repository.lockByName(tx, ws.id, name)).toBeNull();
        expect(await lockedElsewhere(id)).toBe(false);
      });
    });
  });

  describe('view', () => {
    it('returns the group with its member count and who set the admin role', async () => {
      const id = await group(ws.id, { adminRole: true });
      await t.dataSource.query(`UPDATE groups SET admin_role_by_admin = true WHERE id = $1`, [id]);
      await t.dataSource.query(
        `INSERT INTO group_members (workspace_id, group_id, user_id) VALUES ($1, $2, $3)`,
        [ws.id, id, ws.adminId],
      );
      expect(await repository.view(db, ws.id, id)).toMatchObject({
        id,
        adminRole: true,
        adminRoleSetBy: 'admin',
        memberCount: 1,
      });
    });

    it('shows an admin role set by SCIM as such, and none without the role', async () => {
      const byScim = await group(ws.id, { adminRole: true });
      const plain = await group(ws.id);
      expect(await repository.view(db, ws.id, byScim)).toMatchObject({ adminRoleSetBy: 'scim' });
      expect(await repository.view(db, ws.id, plain)).toMatchObject({
        adminRoleSetBy: null,
        memberCount: 0,
      });
    });

    it("does not read another workspace's group", async () => {
      expect(await repository.view(db, ws.id, await group(other.id))).toBeNull();
    });
  });

  describe('page', () => {
    it("returns this workspace's groups by name in any case, and their total", async () => {
      const local = await createWorkspace(t);
      const b = await group(local.id, { name: 'beta' });
      const a = await group(local.id, { name: 'Alpha' });
      await group(local.id, { name: 'gamma' });
      await group(other.id, { name: 'aardvark' });
      const page = await repository.page(db, local.id, {}, { limit: 2, offset: 0 });
      expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(page.items.map((g) => g.id)).toEqual([a, b]);
    });

    it('filters by a part of the name, in any case', async () => {
      const local = await createWorkspace(t);
      const match = await group(local.id, { name: 'Engineering' });
      await group(local.id, { name: 'Sales' });
      const page = await repository.page(
        db,
        local.id,
        { displayName: 'NEER' },
        {
          limit: 10,
          offset: 0,
        },
      );
      expect(page).toMatchObject({ total: 1 });
      expect(page.items.map((g) => g.id)).toEqual([match]);
    });

    it("treats the name filter's % and _ as plain characters", async () => {
      const local = await createWorkspace(t);
      await group(local.id, { name: 'anything' });
      const page = await repository.page(
        db,
        local.id,
        { displayName: '%' },
        {
          limit: 10,
          offset: 0,
        },
      );
      expect(page).toMatchObject({ items: [], total: 0 });
    });
  });

  describe('insert', () => {
    it('writes the group in this workspace at version 1 and returns its id', async () => {
      const name = unique('inserted');
      const id = await repository.insert(db, ws.id, {
        displayName: name,
        scimManaged: true,
        scimExternalId: 'ext-1',
        adminRole: true,
      });
      expect(await row(id)).toMatchObject({
        workspace_id: ws.id,
        display_name: name,
        scim_managed: true,
        scim_external_id: 'ext-1',
        admin_role: true,
        admin_role_by_admin: false,
        version: '1',
      });
    });

    it('defaults to no external id and no admin role', async () => {
      const id = await repository.insert(db, ws.id, {
        displayName: unique('plain'),
        scimManaged: false,
      });
      expect(await row(id)).toMatchObject({ scim_external_id: null, admin_role: false });
    });
  });

  describe('update', () => {
    it('writes the changes, bumps the version and returns the ids written', async () => {
      const id = await group(ws.id);
      const before = await row(id);
      const name = unique('renamed');
      expect(
        await repository.update(
          db,
          ws.id,
          { groupIds: [id] },
          {
            displayName: name,
            scimManaged: true,
            scimExternalId: 'ext-2',
            adminRole: true,
            adminRoleByAdmin: true,
          },
        ),
      ).toEqual([id]);
      const after = await row(id);
      expect(after).toMatchObject({
        display_name: name,
        scim_managed: true,
        scim_external_id: 'ext-2',
        admin_role: true,
        admin_role_by_admin: true,
        version: '2',
      });
      expect(after!.updated_at.getTime()).toBeGreaterThanOrEqual(before!.updated_at.getTime());
    });

    it('with no changes, bumps only the version (the group changed through its members)', async () => {
      const name = unique('same');
      const id = await group(ws.id, { name });
      expect(await repository.update(db, ws.id, { groupIds: [id] }, {})).toEqual([id]);
      expect(await row(id)).toMatchObject({ display_name: name, version: '2' });
    });

    it("never writes another workspace's group", async () => {
      const theirs = await group(other.id, { name: 'theirs' });
      expect(
        await repository.update(db, ws.id, { groupIds: [theirs] }, { displayName: 'mine' }),
      ).toEqual([]);
      expect(await row(theirs)).toMatchObject({ display_name: 'theirs', version: '1' });
    });

    it('writes every SCIM-managed group of this workspace only, for allScimManaged', async () => {
      const local = await createWorkspace(t);
      const managed = await group(local.id, { scimManaged: true });
      const manual = await group(local.id);
      const elsewhere = await group(other.id, { scimManaged: true });
      expect(
        await repository.update(db, local.id, { allScimManaged: true }, { scimManaged: false }),
      ).toEqual([managed]);
      expect(await row(managed)).toMatchObject({ scim_managed: false, version: '2' });
      expect(await row(manual)).toMatchObject({ version: '1' });
      expect(await row(elsewhere)).toMatchObject({ scim_managed: true, version: '1' });
    });

    it('writes nothing for an empty list of groups', async () => {
      expect(await repository.update(db, ws.id, { groupIds: [] }, { adminRole: true })).toEqual([]);
      expect(statements).toEqual([]);
    });
  });

  describe('remove', () => {
    it('deletes the group and its memberships, returning its name and admin role', async () => {
      const name = unique('removed');
      const id = await group(ws.id, { name, adminRole: true });
      await t.dataSource.query(
        `INSERT INTO group_members (workspace_id, group_id, user_id) VALUES ($1, $2, $3)`,
        [ws.id, id, ws.adminId],
      );
      expect(await repository.remove(db, ws.id, id)).toEqual({
        displayName: name,
        adminRole: true,
      });
      expect(await row(id)).toBeNull();
      const [left] = await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM group_members WHERE group_id = $1`,
        [id],
      );
      expect(left!.n).toBe(0);
    });

    it("never deletes another workspace's group", async () => {
      const theirs = await group(other.id);
      expect(await repository.remove(db, ws.id, theirs)).toBeNull();
      expect(await row(theirs)).not.toBeNull();
    });
  });
});
