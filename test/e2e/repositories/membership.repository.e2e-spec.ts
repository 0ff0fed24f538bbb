import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  MembershipRepository,
  ROLE_GRANTED_BY_IDP,
} from '../../../src/workspace/repositories/membership.repository.js';
import { MissingWorkspaceError } from '../../../src/workspace/repositories/repository-support.js';
import { createWorkspace } from '../../support/fixtures.js';
import { recordingManager } from '../../support/recorded-manager.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * MembershipRepository driven directly on the test app's database: what each method reads and
 * writes (checked in SQL), that it never reads or writes another workspace's memberships, that a
 * missing workspace id is refused before any SQL, and that every write bumps the version.
 */
describe('MembershipRepository', () => {
  let t: TestApp;
  let repository: MembershipRepository;
  /** The data source's manager, recording each statement sent through it. */
  let db: EntityManager;
  const statements: string[] = [];
  /** Two workspaces, each with its first admin: `ws` is the one acted on. */
  let ws: { id: string; adminId: string; adminEmail: string };
  let other: { id: string; adminId: string; adminEmail: string };

  beforeAll(async () => {
    t = await startTestApp();
    repository = t.app.get(MembershipRepository);
    db = recordingManager(t.dataSource.manager, statements);
    ws = await createWorkspace(t);
    other = await createWorkspace(t);
  }, 120_000);
  afterAll(() => t.close());
  beforeEach(() => {
    statements.length = 0;
  });

  /** A new account (plain SQL); returns its id. */
  async function newUser(name = 'person', fullName: string | null = null): Promise<string> {
    const email = `${name}-${randomBytes(4).toString('hex')}@example.com`;
    const [row] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO users (email, full_name) VALUES ($1, $2) RETURNING id`,
      [email, fullName],
    );
    return row!.id;
  }

  /** A membership written in plain SQL; returns the person's id. */
  async function member(
    workspaceId: string,
    fields: {
      role?: 'admin' | 'member';
      status?: 'active' | 'deactivated';
      scimManaged?: boolean;
      scimAdmin?: boolean;
      scimUserName?: string;
      name?: string;
    } = {},
  ): Promise<string> {
    const userId = await newUser(fields.name);
    await t.dataSource.query(
      `INSERT INTO memberships (workspace_id, user_id, role, status, source, scim_managed,
                                scim_admin, scim_user_name)
       VALUES ($1, $2, $3, $4, 'manual', $5, $6, $7)`,
      [
        workspaceId,
        userId,
        fields.role ?? 'member',
        fields.status ?? 'active',
        fields.scimManaged ?? false,
        fields.scimAdmin ?? false,
        fields.scimUserName ?? null,
      ],
    );
    return userId;
  }

  async function row(workspaceId: string, userId: string) {
    const [found] = await t.dataSource.query<
      {
        role: string;
        status: string;
        source: string;
        scim_managed: boolean;
        scim_user_name: string | null;
        scim_external_id: string | null;
        scim_data: unknown;
        scim_admin: boolean;
        deactivated_at: Date | null;
        updated_at: Date;
        version: string;
      }[]
    >(
      `SELECT role, status, source, scim_managed, scim_user_name, scim_external_id, scim_data,
              scim_admin, deactivated_at, updated_at, version
         FROM memberships WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId],
    );
    return found ?? null;
  }

  const SOME_ID = '00000000-0000-4000-8000-000000000000';
  const calls: [string, (workspaceId: string) => Promise<unknown>][] = [
    ['find', (w) => repository.find(db, w, SOME_ID)],
    ['findByEmail', (w) => repository.findByEmail(db, w, 'a@example.com')],
    ['statuses', (w) => repository.statuses(db, w, [SOME_ID])],
    ['statuses of nobody', (w) => repository.statuses(db, w, [])],
    ['page', (w) => repository.page(db, w, {}, { limit: 10, offset: 0 })],
    ['countActiveAdmins', (w) => repository.countActiveAdmins(db, w)],
    ['hasOtherActiveAdmin', (w) => repository.hasOtherActiveAdmin(db, w, SOME_ID)],
    ['userNameTaken', (w) => repository.userNameTaken(db, w, 'someone', null)],
    [
      'insert',
      (w) =>
        repository.insert(db, w, {
          userId: SOME_ID,
          role: 'member',
          source: 'manual',
          scimManaged: false,
        }),
    ],
    ['update', (w) => repository.update(db, w, { userIds: [SOME_ID] }, { role: 'admin' })],
    ['update of nobody', (w) => repository.update(db, w, { userIds: [] }, { role: 'admin' })],
    ['remove', (w) => repository.remove(db, w, SOME_ID)],
    ['lock', (w) => repository.lock(db, w, [SOME_ID])],
    ['lock of nobody', (w) => repository.lock(db, w, [])],
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
    it('returns the membership with its person', async () => {
      const userId = await newUser('found', 'Found Person');
      await repository.insert(db, ws.id, {
        userId,
        role: 'member',
        source: 'scim',
        scimManaged: true,
        scim: { userName: 'found.person', externalId: 'ext-1', data: {}, admin: false },
      });
      expect(await repository.find(db, ws.id, userId)).toMatchObject({
        userId,
        fullName: 'Found Person',
        role: 'member',
        status: 'active',
        source: 'scim',
        scimManaged: true,
        scimUserName: 'found.person',
        scimAdmin: false,
        deactivatedAt: null,
      });
    });

    it('does not find a member of another workspace', async () => {
      expect(await repository.find(db, ws.id, other.adminId)).toBeNull();
    });
  });

  describe('findByEmail', () => {
    it('returns the id and status of the member with this email', async () => {
      expect(await repository.findByEmail(db, ws.id, ws.adminEmail)).toEqual({
        userId: ws.adminId,
        status: 'active',
      });
    });

    it('does not find a member of another workspace', async () => {
      expect(await repository.findByEmail(db, ws.id, other.adminEmail)).toBeNull();
    });
  });

  describe('statuses', () => {
    it("returns each member's status, leaving out people who are not members here", async () => {
      const deactivated = await member(ws.id, { status: 'deactivated' });
      const statuses = await repository.statuses(db, ws.id, [
        ws.adminId,
        deactivated,
        other.adminId,
      ]);
      expect(statuses).toEqual(
        new Map([
          [ws.adminId, 'active'],
          [deactivated, 'deactivated'],
        ]),
      );
    });
  });

  describe('page', () => {
    it('returns the filtered members ordered by email, and their total, of this workspace only', async () => {
      const local = await createWorkspace(t);
      const a = await member(local.id, { name: 'pa' });
      await member(local.id, { name: 'pb', status: 'deactivated' });
      const c = await member(local.id, { name: 'pc' });
      await member(other.id, { name: 'pz' });
      const page = await repository.page(
        db,
        local.id,
        { status: 'active', role: 'member' },
        { limit: 1, offset: 1 },
      );
      expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(page.items.map((m) => m.userId)).toEqual([c]);
      const first = await repository.page(db, local.id, { email: 'PA-' }, { limit: 10, offset: 0 });
      expect(first.items.map((m) => m.userId)).toEqual([a]);
    });

    it("treats the email filter's % and _ as plain characters", async () => {
      const page = await repository.page(db, ws.id, { email: '%' }, { limit: 10, offset: 0 });
      expect(page).toMatchObject({ items: [], total: 0 });
    });
  });

  describe('countActiveAdmins', () => {
    it("counts this workspace's active admins only", async () => {
      const local = await createWorkspace(t);
      await member(local.id, { role: 'admin' });
      await member(local.id, { role: 'admin', status: 'deactivated' });
      await member(local.id, { role: 'member' });
      expect(await repository.countActiveAdmins(db, local.id)).toBe(2);
    });
  });

  describe('hasOtherActiveAdmin', () => {
    it('is false when the only active admin is the one left out', async () => {
      const local = await createWorkspace(t);
      await member(local.id, { role: 'admin', status: 'deactivated' });
      expect(await repository.hasOtherActiveAdmin(db, local.id, local.adminId)).toBe(false);
    });

    it('is true when another active admin is left', async () => {
      const local = await createWorkspace(t);
      await member(local.id, { role: 'admin' });
      expect(await repository.hasOtherActiveAdmin(db, local.id, local.adminId)).toBe(true);
    });
  });

  describe('userNameTaken', () => {
    it('is true for another member showing this userName, in any case', async () => {
      await member(ws.id, { scimUserName: 'Taken.Name' });
      expect(await repository.userNameTaken(db, ws.id, 'taken.NAME', null)).toBe(true);
    });

    it('is false for the member left out', async () => {
      const userId = await member(ws.id, { scimUserName: 'mine.name' });
      expect(await repository.userNameTaken(db, ws.id, 'mine.name', userId)).toBe(false);
    });

    it('is false for a userName shown only in another workspace', async () => {
      await member(other.id, { scimUserName: 'elsewhere.name' });
      expect(await repository.userNameTaken(db, ws.id, 'elsewhere.name', null)).toBe(false);
    });
  });

  describe('insert', () => {
    it('writes an active membership at version 1 in this workspace', async () => {
      const userId = await newUser();
      await repository.insert(db, ws.id, {
        userId,
        role: 'admin',
        source: 'scim',
        scimManaged: true,
        scim: { userName: 'new.person', externalId: 'ext-9', data: { a: 1 }, admin: true },
      });
      expect(await row(ws.id, userId)).toMatchObject({
        role: 'admin',
        status: 'active',
        source: 'scim',
        scim_managed: true,
        scim_user_name: 'new.person',
        scim_external_id: 'ext-9',
        scim_data: { a: 1 },
        scim_admin: true,
        version: '1',
      });
      expect(await row(other.id, userId)).toBeNull();
    });
  });

  describe('update', () => {
    it('writes the changes, bumps the version and returns the roles', async () => {
      const userId = await member(ws.id);
      const before = await row(ws.id, userId);
      const outcome = await repository.update(
        db,
        ws.id,
        { userIds: [userId] },
        {
          role: 'admin',
          scimManaged: true,
          scim: { userName: 'updated', externalId: 'x', data: { b: 2 }, admin: false },
        },
      );
      expect(outcome).toEqual([{ userId, role: 'admin' }]);
      const after = await row(ws.id, userId);
      expect(after).toMatchObject({
        role: 'admin',
        scim_managed: true,
        scim_user_name: 'updated',
        scim_external_id: 'x',
        scim_data: { b: 2 },
        version: String(Number(before!.version) + 1),
      });
      expect(after!.updated_at.getTime()).toBeGreaterThanOrEqual(before!.updated_at.getTime());
    });

    it('sets deactivated_at on deactivation and clears it on reactivation', async () => {
      const userId = await member(ws.id);
      await repository.update(db, ws.id, { userIds: [userId] }, { status: 'deactivated' });
      expect(await row(ws.id, userId)).toMatchObject({
        status: 'deactivated',
        deactivated_at: expect.any(Date) as Date,
        version: '2',
      });
      await repository.update(db, ws.id, { userIds: [userId] }, { status: 'active' });
      expect(await row(ws.id, userId)).toMatchObject({
        status: 'active',
        deactivated_at: null,
        version: '3',
      });
    });

    it("never writes another workspace's membership", async () => {
      const outcome = await repository.update(
        db,
        ws.id,
        { userIds: [other.adminId] },
        { role: 'member' },
      );
      expect(outcome).toEqual([]);
      expect(await row(other.id, other.adminId)).toMatchObject({ role: 'admin', version: '1' });
    });

    it('writes every SCIM-managed membership of this workspace only, for allScimManaged', async () => {
      const local = await createWorkspace(t);
      const managed = await member(local.id, { scimManaged: true });
      const manual = await member(local.id);
      const elsewhere = await member(other.id, { scimManaged: true });
      const outcome = await repository.update(
        db,
        local.id,
        { allScimManaged: true },
        { scimManaged: false },
      );
      expect(outcome).toEqual([{ userId: managed, role: 'member' }]);
      expect(await row(local.id, managed)).toMatchObject({ scim_managed: false, version: '2' });
      expect(await row(local.id, manual)).toMatchObject({ version: '1' });
      expect(await row(other.id, elsewhere)).toMatchObject({ scim_managed: true, version: '1' });
    });

    it('grants the role the IdP gives, writing only the rows whose role changes', async () => {
      const local = await createWorkspace(t);
      const promoted = await member(local.id, { scimManaged: true, scimAdmin: true });
      const unchanged = await member(local.id, { scimManaged: true });
      const manual = await member(local.id, { scimAdmin: true });
      const outcome = await repository.update(
        db,
        local.id,
        { userIds: [promoted, unchanged, manual] },
        { role: ROLE_GRANTED_BY_IDP },
      );
      expect(outcome).toEqual([{ userId: promoted, role: 'admin' }]);
      expect(await row(local.id, promoted)).toMatchObject({ role: 'admin', version: '2' });
      expect(await row(local.id, unchanged)).toMatchObject({ role: 'member', version: '1' });
      expect(await row(local.id, manual)).toMatchObject({ role: 'member', version: '1' });
    });

    it('grants admin to a SCIM-managed member of a group with the admin role', async () => {
      const userId = await member(ws.id, { scimManaged: true });
      const [group] = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO groups (workspace_id, display_name, admin_role) VALUES ($1, $2, true)
         RETURNING id`,
        [ws.id, `admins-${randomBytes(3).toString('hex')}`],
      );
      await t.dataSource.query(
        `INSERT INTO group_members (workspace_id, group_id, user_id) VALUES ($1, $2, $3)`,
        [ws.id, group!.id, userId],
      );
      const outcome = await repository.update(
        db,
        ws.id,
        { userIds: [userId] },
        { role: ROLE_GRANTED_BY_IDP },
      );
      expect(outcome).toEqual([{ userId, role: 'admin' }]);
    });

    it('writes nothing for an empty list of people', async () => {
      expect(await repository.update(db, ws.id, { userIds: [] }, { role: 'admin' })).toEqual([]);
      expect(statements).toEqual([]);
    });
  });

  describe('remove', () => {
    it('deletes the membership and its group memberships', async () => {
      const userId = await member(ws.id);
      const [group] = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO groups (workspace_id, display_name) VALUES ($1, $2) RETURNING id`,
        [ws.id, `g-${randomBytes(3).toString('hex')}`],
      );
      await t.dataSource.query(
        `INSERT INTO group_members (workspace_id, group_id, user_id) VALUES ($1, $2, $3)`,
        [ws.id, group!.id, userId],
      );
      expect(await repository.remove(db, ws.id, userId)).toBe(true);
      expect(await row(ws.id, userId)).toBeNull();
      const [left] = await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM group_members WHERE user_id = $1`,
        [userId],
      );
      expect(left!.n).toBe(0);
    });

    it("never deletes another workspace's membership", async () => {
      const userId = await member(other.id);
      expect(await repository.remove(db, ws.id, userId)).toBe(false);
      expect(await row(other.id, userId)).not.toBeNull();
    });
  });

  describe('lock', () => {
    /** Whether another connection can lock the membership right now. */
    async function lockedElsewhere(workspaceId: string, userId: string): Promise<boolean> {
      const runner = t.dataSource.createQueryRunner();
      try {
        await runner.startTransaction();
        await runner.query(
          `SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2
            FOR NO KEY UPDATE NOWAIT`,
          [workspaceId, userId],
        );
        return false;
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') return true;
        throw error;
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    }

    it('locks the memberships until the transaction ends', async () => {
      const userId = await member(ws.id);
      await t.dataSource.transaction(async (tx) => {
        await repository.lock(tx, ws.id, [userId]);
        expect(await lockedElsewhere(ws.id, userId)).toBe(true);
      });
      expect(await lockedElsewhere(ws.id, userId)).toBe(false);
    });

    it("never locks another workspace's membership", async () => {
      const userId = await member(other.id);
      await t.dataSource.transaction(async (tx) => {
        await repository.lock(tx, ws.id, [userId]);
        expect(await lockedElsewhere(other.id, userId)).toBe(false);
      });
    });
  });
});
