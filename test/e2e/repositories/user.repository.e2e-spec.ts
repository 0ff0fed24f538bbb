import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { MissingWorkspaceError } from '../../../src/workspace/repositories/repository-support.js';
import { UserRepository } from '../../../src/workspace/repositories/user.repository.js';
import { createWorkspace, verifyDomain } from '../../support/fixtures.js';
import { recordingManager } from '../../support/recorded-manager.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * UserRepository driven directly on the test app's database. An account is shared by the
 * workspaces its person belongs to, so the acting workspace is what the account is created by
 * and linked to, and a workspace never lets go of another's SCIM link. Checked in SQL: what each
 * method reads and writes, the version bump of each update, and that a missing workspace id is
 * refused before any SQL.
 */
describe('UserRepository', () => {
  let t: TestApp;
  let repository: UserRepository;
  /** The data source's manager, recording each statement sent through it. */
  let db: EntityManager;
  const statements: string[] = [];
  /** Two workspaces: `ws` is the one acting. */
  let ws: { id: string; slug: string; adminId: string };
  let other: { id: string; slug: string; adminId: string };

  beforeAll(async () => {
    t = await startTestApp();
    repository = t.app.get(UserRepository);
    db = recordingManager(t.dataSource.manager, statements);
    ws = await createWorkspace(t);
    other = await createWorkspace(t);
  }, 120_000);
  afterAll(() => t.close());
  beforeEach(() => {
    statements.length = 0;
  });

  const uniqueEmail = (name = 'person', domain = 'example.com') =>
    `${name}-${randomBytes(4).toString('hex')}@${domain}`;

  /** An account written in plain SQL; returns its id. */
  async function account(
    fields: { email?: string; scimWorkspaceId?: string | null } = {},
  ): Promise<string> {
    const [row] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO users (email, scim_workspace_id) VALUES ($1, $2) RETURNING id`,
      [fields.email ?? uniqueEmail(), fields.scimWorkspaceId ?? null],
    );
    return row!.id;
  }

  async function row(userId: string) {
    const [found] = await t.dataSource.query<
      {
        email: string;
        full_name: string | null;
        password_hash: string | null;
        scim_workspace_id: string | null;
        created_by_workspace_id: string | null;
        updated_at: Date;
        version: string;
      }[]
    >(
      `SELECT email, full_name, password_hash, scim_workspace_id, created_by_workspace_id,
              updated_at, version
         FROM users WHERE id = $1`,
      [userId],
    );
    return found ?? null;
  }

  /** Whether another connection can lock the account right now. */
  async function lockedElsewhere(userId: string): Promise<boolean> {
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE NOWAIT`, [userId]);
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
    ['lockByEmail', (w) => repository.lockByEmail(db, w, 'a@example.com')],
    [
      'insert',
      (w) =>
        repository.insert(db, w, {
          email: uniqueEmail(),
          fullName: null,
          passwordHash: null,
          scimLinked: false,
        }),
    ],
    ['update', (w) => repository.update(db, w, { userIds: [SOME_ID] }, { fullName: 'x' })],
    ['update of nobody', (w) => repository.update(db, w, { userIds: [] }, { fullName: 'x' })],
    ['accountFacts', (w) => repository.accountFacts(db, w, SOME_ID)],
    ['belongsToAnyWorkspace', (w) => repository.belongsToAnyWorkspace(db, w, SOME_ID)],
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

  describe('lockByEmail', () => {
    it('returns the account, locked until the transaction ends', async () => {
      const email = uniqueEmail();
      const id = await account({ email, scimWorkspaceId: ws.id });
      await t.dataSource.transaction(async (tx) => {
        expect(await repository.lockByEmail(tx, ws.id, email)).toEqual({
          id,
          email,
          fullName: null,
          scimWorkspaceId: ws.id,
        });
        expect(await lockedElsewhere(id)).toBe(true);
      });
      expect(await lockedElsewhere(id)).toBe(false);
    });

    it('returns the password hash only when asked', async () => {
      const email = uniqueEmail();
      const id = await account({ email });
      await t.dataSource.query(`UPDATE users SET password_hash = 'hash' WHERE id = $1`, [id]);
      expect(
        await repository.lockByEmail(db, ws.id, email, { withPasswordHash: true }),
      ).toMatchObject({ id, passwordHash: 'hash' });
      expect(await repository.lockByEmail(db, ws.id, email)).not.toHaveProperty('passwordHash');
    });

    it('returns null for an email nobody has', async () => {
      expect(await repository.lockByEmail(db, ws.id, uniqueEmail('nobody'))).toBeNull();
    });
  });

  describe('insert', () => {
    it('writes the account, created by this workspace, at version 1', async () => {
      const email = uniqueEmail();
      const created = await repository.insert(db, ws.id, {
        email,
        fullName: 'New Person',
        passwordHash: 'hash',
        scimLinked: false,
      });
      expect(created).toEqual({ id: expect.any(String) as string, domainWorkspaceId: null });
      expect(await row(created!.id)).toMatchObject({
        email,
        full_name: 'New Person',
        password_hash: 'hash',
        created_by_workspace_id: ws.id,
        scim_workspace_id: null,
        version: '1',
      });
    });

    it("links the account to this workspace's SCIM when asked", async () => {
      const created = await repository.insert(db, ws.id, {
        email: uniqueEmail(),
        fullName: null,
        passwordHash: null,
        scimLinked: true,
      });
      expect(await row(created!.id)).toMatchObject({ scim_workspace_id: ws.id });
    });

    it("answers with the workspace that verified the email's domain", async () => {
      const domain = `${randomBytes(4).toString('hex')}.example.org`;
      await verifyDomain(t, other.slug, domain);
      const created = await repository.insert(db, ws.id, {
        email: uniqueEmail('p', domain),
        fullName: null,
        passwordHash: null,
        scimLinked: false,
      });
      expect(created).toMatchObject({ domainWorkspaceId: other.id });
      expect(await row(created!.id)).toMatchObject({ created_by_workspace_id: ws.id });
    });

    it('returns null and writes nothing when the email is taken, the transaction going on', async () => {
      const email = uniqueEmail();
      const id = await account({ email });
      await t.dataSource.transaction(async (tx) => {
        expect(
          await repository.insert(tx, ws.id, {
            email,
            fullName: 'Intruder',
            passwordHash: 'hash',
            scimLinked: true,
          }),
        ).toBeNull();
        await expect(tx.query('SELECT 1')).resolves.toHaveLength(1);
      });
      expect(await row(id)).toMatchObject({
        full_name: null,
        password_hash: null,
        scim_workspace_id: null,
        created_by_workspace_id: null,
        version: '1',
      });
    });
  });

  describe('update', () => {
    it('writes the changes, bumps the version and returns how many it wrote', async () => {
      const id = await account();
      const before = await row(id);
      const email = uniqueEmail('renamed');
      expect(
        await repository.update(
          db,
          ws.id,
          { userIds: [id] },
          { email, fullName: 'Renamed', passwordHash: 'new-hash' },
        ),
      ).toBe(1);
      const after = await row(id);
      expect(after).toMatchObject({
        email,
        full_name: 'Renamed',
        password_hash: 'new-hash',
        version: '2',
      });
      expect(after!.updated_at.getTime()).toBeGreaterThanOrEqual(before!.updated_at.getTime());
    });

    it("with scimLink 'here', links the account to this workspace's SCIM", async () => {
      const id = await account();
      expect(await repository.update(db, ws.id, { userIds: [id] }, { scimLink: 'here' })).toBe(1);
      expect(await row(id)).toMatchObject({ scim_workspace_id: ws.id, version: '2' });
    });

    it("with scimLink 'none', lets go of this workspace's own link", async () => {
      const id = await account({ scimWorkspaceId: ws.id });
      expect(await repository.update(db, ws.id, { userIds: [id] }, { scimLink: 'none' })).toBe(1);
      expect(await row(id)).toMatchObject({ scim_workspace_id: null, version: '2' });
    });

    it("with scimLink 'none', never lets go of another workspace's link", async () => {
      const id = await account({ scimWorkspaceId: other.id });
      expect(
        await repository.update(db, ws.id, { userIds: [id] }, { scimLink: 'none', fullName: 'x' }),
      ).toBe(0);
      expect(await row(id)).toMatchObject({
        scim_workspace_id: other.id,
        full_name: null,
        version: '1',
      });
    });

    it('writes only the accounts linked to this workspace, for allScimLinkedHere', async () => {
      const here = await account({ scimWorkspaceId: ws.id });
      const there = await account({ scimWorkspaceId: other.id });
      const unlinked = await account();
      await repository.update(db, ws.id, { allScimLinkedHere: true }, { fullName: 'Managed' });
      expect(await row(here)).toMatchObject({ full_name: 'Managed', version: '2' });
      expect(await row(there)).toMatchObject({ full_name: null, version: '1' });
      expect(await row(unlinked)).toMatchObject({ full_name: null, version: '1' });
    });

    it("carries a new email to the person's memberships", async () => {
      const id = await account();
      await t.dataSource.query(
        `INSERT INTO memberships (workspace_id, user_id, role, status, source)
         VALUES ($1, $2, 'member', 'active', 'manual')`,
        [other.id, id],
      );
      const email = uniqueEmail('moved');
      await repository.update(db, ws.id, { userIds: [id] }, { email });
      const [membership] = await t.dataSource.query<{ email: string }[]>(
        `SELECT email FROM memberships WHERE user_id = $1`,
        [id],
      );
      expect(membership!.email).toBe(email);
    });

    it('writes nothing for an empty list of people', async () => {
      expect(await repository.update(db, ws.id, { userIds: [] }, { fullName: 'x' })).toBe(0);
      expect(statements).toEqual([]);
    });
  });

  describe('accountFacts', () => {
    it('returns what decides authority over the account', async () => {
      const domain = `${randomBytes(4).toString('hex')}.example.net`;
      await verifyDomain(t, other.slug, domain);
      const created = await repository.insert(db, ws.id, {
        email: uniqueEmail('facts', domain),
        fullName: null,
        passwordHash: null,
        scimLinked: true,
      });
      const id = created!.id;
      await t.dataSource.query(
        `INSERT INTO memberships (workspace_id, user_id, role, status, source)
         VALUES ($1, $3, 'member', 'active', 'manual'), ($2, $3, 'member', 'active', 'manual')`,
        [ws.id, other.id, id],
      );
      const facts = await repository.accountFacts(db, ws.id, id);
      expect({ ...facts, memberOf: [...facts.memberOf].sort() }).toEqual({
        userId: id,
        email: (await row(id))!.email,
        scimWorkspaceId: ws.id,
        createdByWorkspaceId: ws.id,
        domainWorkspaceId: other.id,
        memberOf: [ws.id, other.id].sort(),
      });
    });

    it('throws for an account that does not exist', async () => {
      await expect(repository.accountFacts(db, ws.id, SOME_ID)).rejects.toThrow(
        `No account ${SOME_ID}`,
      );
    });
  });

  describe('belongsToAnyWorkspace', () => {
    it('is true for a person who belongs to some workspace, even another one', async () => {
      expect(await repository.belongsToAnyWorkspace(db, ws.id, other.adminId)).toBe(true);
    });

    it('is false for a person who belongs to no workspace', async () => {
      expect(await repository.belongsToAnyWorkspace(db, ws.id, await account())).toBe(false);
    });
  });
});
