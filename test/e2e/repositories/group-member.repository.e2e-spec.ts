import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { GroupMemberRepository } from '../../../src/workspace/repositories/group-member.repository.js';
import { MissingWorkspaceError } from '../../../src/workspace/repositories/repository-support.js';
import { createWorkspace } from '../../support/fixtures.js';
import { recordingManager } from '../../support/recorded-manager.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * GroupMemberRepository driven directly on the test app's database: what each method reads and
 * writes (checked in SQL), that it never reads or writes another workspace's group members, that
 * a missing workspace id is refused before any SQL, and that its writes leave the group's version
 * alone (the caller writes the group once).
 */
describe('GroupMemberRepository', () => {
  let t: TestApp;
  let repository: GroupMemberRepository;
  /** The data source's manager, recording each statement sent through it. */
  let db: EntityManager;
  const statements: string[] = [];
  /** Two workspaces: `ws` is the one acted on. */
  let ws: { id: string; adminId: string };
  let other: { id: string; adminId: string };

  beforeAll(async () => {
    t = await startTestApp();
    repository = t.app.get(GroupMemberRepository);
    db = recordingManager(t.dataSource.manager, statements);
    ws = await createWorkspace(t);
    other = await createWorkspace(t);
  }, 120_000);
  afterAll(() => t.close());
  beforeEach(() => {
    statements.length = 0;
  });

  /** A new person with a membership of the workspace (plain SQL); returns the id. */
  async function member(
    workspaceId: string,
    options: { status?: 'active' | 'deactivated'; name?: string } = {},
  ): Promise<string> {
    const email = `${options.name ?? 'person'}-${randomBytes(4).toString('hex')}@example.com`;
    const [user] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO users (email) VALUES ($1) RETURNING id`,
      [email],
    );
    await t.dataSource.query(
      `INSERT INTO memberships (workspace_id, user_id, role, status, source)
       VALUES ($1, $2, 'member', $3, 'manual')`,
      [workspaceId, user!.id, options.status ?? 'active'],
    );
    return user!.id;
  }

  /** A group of the workspace (plain SQL), with these members; returns its id. */
  async function group(workspaceId: string, memberIds: string[] = []): Promise<string> {
    const [row] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO groups (workspace_id, display_name) VALUES ($1, $2) RETURNING id`,
      [workspaceId, `group-${randomBytes(4).toString('hex')}`],
    );
    if (memberIds.length > 0) {
      await t.dataSource.query(
        `INSERT INTO group_members (workspace_id, group_id, user_id)
         SELECT $1, $2, unnest($3::uuid[])`,
        [workspaceId, row!.id, memberIds],
      );
    }
    return row!.id;
  }

  /** The ids of the group's members, in SQL, sorted. */
  async function membersOf(groupId: string): Promise<string[]> {
    const rows = await t.dataSource.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id`,
      [groupId],
    );
    return rows.map((r) => r.user_id);
  }

  async function groupVersion(groupId: string): Promise<string> {
    const [row] = await t.dataSource.query<{ version: string }[]>(
      `SELECT version FROM groups WHERE id = $1`,
      [groupId],
    );
    return row!.version;
  }

  const sorted = (ids: string[]) => [...ids].sort();

  const SOME_ID = '00000000-0000-4000-8000-000000000000';
  const calls: [string, (workspaceId: string) => Promise<unknown>][] = [
    ['add', (w) => repository.add(db, w, SOME_ID, [SOME_ID])],
    ['add of nobody', (w) => repository.add(db, w, SOME_ID, [])],
    ['remove', (w) => repository.remove(db, w, SOME_ID, [SOME_ID])],
    ['remove of nobody', (w) => repository.remove(db, w, SOME_ID, [])],
    ['removeAllBut', (w) => repository.removeAllBut(db, w, SOME_ID, [])],
    ['removeFromAllGroups', (w) => repository.removeFromAllGroups(db, w, SOME_ID)],
    ['memberIds', (w) => repository.memberIds(db, w, SOME_ID)],
    ['page', (w) => repository.page(db, w, SOME_ID, { limit: 10, offset: 0 })],
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

  describe('add', () => {
    it('puts active members in the group and returns the ids added', async () => {
      const a = await member(ws.id);
      const b = await member(ws.id);
      const groupId = await group(ws.id);
      expect(sorted(await repository.add(db, ws.id, groupId, [a, b]))).toEqual(sorted([a, b]));
      expect(await membersOf(groupId)).toEqual(sorted([a, b]));
    });

    it('leaves out deactivated members', async () => {
      const deactivated = await member(ws.id, { status: 'deactivated' });
      const groupId = await group(ws.id);
      expect(await repository.add(db, ws.id, groupId, [deactivated])).toEqual([]);
      expect(await membersOf(groupId)).toEqual([]);
    });

    it('leaves people already in the group as they are, and does not return them', async () => {
      const already = await member(ws.id);
      const added = await member(ws.id);
      const groupId = await group(ws.id, [already]);
      expect(await repository.add(db, ws.id, groupId, [already, added])).toEqual([added]);
      expect(await membersOf(groupId)).toEqual(sorted([already, added]));
    });

    it('never adds a member of another workspace', async () => {
      const stranger = await member(other.id);
      const groupId = await group(ws.id);
      expect(await repository.add(db, ws.id, groupId, [stranger])).toEqual([]);
      expect(await membersOf(groupId)).toEqual([]);
    });

    it("never adds to another workspace's group", async () => {
      const otherGroup = await group(other.id);
      const otherMember = await member(other.id);
      await expect(repository.add(db, ws.id, otherGroup, [otherMember])).resolves.toEqual([]);
      expect(await membersOf(otherGroup)).toEqual([]);
    });

    it("leaves the group's version alone", async () => {
      const a = await member(ws.id);
      const groupId = await group(ws.id);
      await repository.add(db, ws.id, groupId, [a]);
      expect(await groupVersion(groupId)).toBe('1');
    });

    it('writes nothing for an empty list of people', async () => {
      expect(await repository.add(db, ws.id, SOME_ID, [])).toEqual([]);
      expect(statements).toEqual([]);
    });
  });

  describe('remove', () => {
    it('takes these people out of the group and returns the ids that were in it', async () => {
      const a = await member(ws.id);
      const b = await member(ws.id);
      const outsider = await member(ws.id);
      const groupId = await group(ws.id, [a, b]);
      expect(await repository.remove(db, ws.id, groupId, [a, outsider])).toEqual([a]);
      expect(await membersOf(groupId)).toEqual([b]);
      expect(await groupVersion(groupId)).toBe('1');
    });

    it("never takes anyone out of another workspace's group", async () => {
      const otherMember = await member(other.id);
      const otherGroup = await group(other.id, [otherMember]);
      expect(await repository.remove(db, ws.id, otherGroup, [otherMember])).toEqual([]);
      expect(await membersOf(otherGroup)).toEqual([otherMember]);
    });

    it('writes nothing for an empty list of people', async () => {
      expect(await repository.remove(db, ws.id, SOME_ID, [])).toEqual([]);
      expect(statements).toEqual([]);
    });
  });

  describe('removeAllBut', () => {
    it('takes everyone but these people out and returns the ids taken out', async () => {
      const kept = await member(ws.id);
      const gone = await member(ws.id);
      const groupId = await group(ws.id, [kept, gone]);
      expect(await repository.removeAllBut(db, ws.id, groupId, [kept])).toEqual([gone]);
      expect(await membersOf(groupId)).toEqual([kept]);
      expect(await groupVersion(groupId)).toBe('1');
    });

    it('empties the group when nobody is kept', async () => {
      const a = await member(ws.id);
      const groupId = await group(ws.id, [a]);
      expect(await repository.removeAllBut(db, ws.id, groupId, [])).toEqual([a]);
      expect(await membersOf(groupId)).toEqual([]);
    });

    it("never takes anyone out of another workspace's group", async () => {
      const otherMember = await member(other.id);
      const otherGroup = await group(other.id, [otherMember]);
      expect(await repository.removeAllBut(db, ws.id, otherGroup, [])).toEqual([]);
      expect(await membersOf(otherGroup)).toEqual([otherMember]);
    });
  });

  describe('removeFromAllGroups', () => {
    it('takes the person out of every group of the workspace and returns those groups', async () => {
      const a = await member(ws.id);
      const first = await group(ws.id, [a]);
      const second = await group(ws.id, [a]);
      expect(sorted(await repository.removeFromAllGroups(db, ws.id, a))).toEqual(
        sorted([first, second]),
      );
      expect(await membersOf(first)).toEqual([]);
      expect(await membersOf(second)).toEqual([]);
    });

    it("leaves the person's groups of another workspace", async () => {
      const [user] = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO users (email) VALUES ($1) RETURNING id`,
        [`both-${randomBytes(4).toString('hex')}@example.com`],
      );
      const both = user!.id;
      await t.dataSource.query(
        `INSERT INTO memberships (workspace_id, user_id, role, status, source)
         VALUES ($1, $3, 'member', 'active', 'manual'), ($2, $3, 'member', 'active', 'manual')`,
        [ws.id, other.id, both],
      );
      const here = await group(ws.id, [both]);
      const there = await group(other.id, [both]);
      expect(await repository.removeFromAllGroups(db, ws.id, both)).toEqual([here]);
      expect(await membersOf(there)).toEqual([both]);
    });
  });

  describe('memberIds', () => {
    it("returns the ids of the group's members", async () => {
      const a = await member(ws.id);
      const b = await member(ws.id);
      const groupId = await group(ws.id, [a, b]);
      expect(sorted(await repository.memberIds(db, ws.id, groupId))).toEqual(sorted([a, b]));
    });

    it("does not read another workspace's group", async () => {
      const otherMember = await member(other.id);
      const otherGroup = await group(other.id, [otherMember]);
      expect(await repository.memberIds(db, ws.id, otherGroup)).toEqual([]);
    });
  });

  describe('page', () => {
    it("returns a page of the group's members by email, and their total", async () => {
      const c = await member(ws.id, { name: 'pc' });
      const a = await member(ws.id, { name: 'pa' });
      const b = await member(ws.id, { name: 'pb' });
      const groupId = await group(ws.id, [a, b, c]);
      const page = await repository.page(db, ws.id, groupId, { limit: 2, offset: 1 });
      expect(page).toMatchObject({ total: 3, limit: 2, offset: 1 });
      expect(page.items.map((m) => m.userId)).toEqual([b, c]);
      expect(page.items[0]).toMatchObject({ role: 'member', status: 'active', source: 'manual' });
    });

    it("does not read another workspace's group", async () => {
      const otherMember = await member(other.id);
      const otherGroup = await group(other.id, [otherMember]);
      expect(await repository.page(db, ws.id, otherGroup, { limit: 10, offset: 0 })).toMatchObject({
        items: [],
        total: 0,
      });
    });
  });
});
