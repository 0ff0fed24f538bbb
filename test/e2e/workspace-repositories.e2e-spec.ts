import type { EntityManager } from 'typeorm';
import { GroupMemberRepository } from '../../src/workspace/repositories/group-member.repository.js';
import { GroupRepository } from '../../src/workspace/repositories/group.repository.js';
import {
  memberPageQuery,
  MembershipRepository,
} from '../../src/workspace/repositories/membership.repository.js';
import { MissingWorkspaceError } from '../../src/workspace/repositories/repository-support.js';
import { UserRepository } from '../../src/workspace/repositories/user.repository.js';
import { createWorkspace } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const SOME_ID = '00000000-0000-4000-8000-000000000000';

/** Every method of a repository: (db, workspaceId, ...rest). */
function methodsOf(repository: object): string[] {
  return Object.getOwnPropertyNames(Object.getPrototypeOf(repository)).filter(
    (name) => name !== 'constructor',
  );
}

/**
 * The Workspace repositories scope every statement by workspace (ARCHITECTURE.md §3): each
 * method takes the workspace id right after the transaction and refuses a missing one before any
 * SQL runs, so a caller that forgot it fails instead of reading or writing another workspace.
 */
describe('Workspace repositories', () => {
  let t: TestApp;
  /** The data source's manager, recording each statement sent through it. */
  let db: EntityManager;
  const statements: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const manager = t.dataSource.manager;
    db = new Proxy(manager, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (sql: string, values?: unknown[]) => {
          statements.push(sql);
          return target.query(sql, values);
        };
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    statements.length = 0;
  });

  const repositories = () =>
    [MembershipRepository, UserRepository, GroupRepository, GroupMemberRepository].map(
      (type) => [type.name, t.app.get<object>(type)] as const,
    );

  it('have methods to check', () => {
    for (const [, repository] of repositories())
      expect(methodsOf(repository).length).toBeGreaterThan(3);
  });

  it.each([
    ['an empty workspace id', ''],
    ['an undefined workspace id', undefined],
    ['a null workspace id', null],
  ])('refuse %s in every method, before any SQL', async (_case, workspaceId) => {
    for (const [name, repository] of repositories()) {
      for (const method of methodsOf(repository)) {
        const call = (repository as Record<string, (...args: unknown[]) => Promise<unknown>>)[
          method
        ]!.bind(repository);
        await expect(
          call(db, workspaceId, SOME_ID, [SOME_ID], { userIds: [SOME_ID] }),
        ).rejects.toBeInstanceOf(MissingWorkspaceError);
        expect({ repository: name, method, statements }).toEqual({
          repository: name,
          method,
          statements: [],
        });
      }
    }
    expect(() => memberPageQuery(workspaceId as string, {}, { limit: 1, offset: 0 })).toThrow(
      MissingWorkspaceError,
    );
  });

  it('run their SQL, scoped by the workspace given', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const memberships = t.app.get(MembershipRepository);
    expect(await memberships.countActiveAdmins(db, ws.id)).toBe(1);
    expect(statements).toHaveLength(1);
    expect(await memberships.find(db, ws.id, ws.adminId)).toMatchObject({
      userId: ws.adminId,
      email: ws.adminEmail,
      role: 'admin',
    });
    // Another workspace's member is not found through this one.
    expect(await memberships.find(db, ws.id, other.adminId)).toBeNull();
    expect(await memberships.find(db, other.id, other.adminId)).not.toBeNull();
  });
});
