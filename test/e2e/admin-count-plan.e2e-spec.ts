import {
  ACTIVE_ADMINS_SQL,
  OTHER_ACTIVE_ADMIN_SQL,
} from '../../src/workspace/repositories/membership.repository.js';
import { createWorkspace } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** The plan PostgreSQL picks, as text. */
async function plan(t: TestApp, sql: string, params: unknown[]): Promise<string> {
  const rows = await t.dataSource.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${sql}`, params);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

describe('Counting active admins at 100,000 members', () => {
  let t: TestApp;
  let workspaceId: string;

  beforeAll(async () => {
    // Seeding 100,000 members is one long statement, slower still on a busy machine.
    t = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '120000' });
    workspaceId = (await createWorkspace(t)).id;
    await t.dataSource.query(
      `WITH people AS (
         INSERT INTO users (email)
         SELECT 'plan' || i || '@admins.test' FROM generate_series(1, 100000) AS i RETURNING id)
       INSERT INTO memberships (workspace_id, user_id, role, status, source)
       SELECT $1::uuid, id, 'member', 'active', 'scim' FROM people`,
      [workspaceId],
    );
    await t.dataSource.query(`ANALYZE memberships`);
  }, 120_000);
  afterAll(() => t.close());

  // No sequential scan over memberships: the partial index holds only the active admins.
  it.each([
    ['the no-active-admin record (MembershipRepository.countActiveAdmins)', ACTIVE_ADMINS_SQL, []],
    [
      "the admin API's last-admin rule (MembershipRepository.hasOtherActiveAdmin)",
      OTHER_ACTIVE_ADMIN_SQL,
      ['00000000-0000-4000-8000-000000000000'],
    ],
  ])('%s uses memberships_active_admins_idx', async (_name, sql, extra) => {
    const text = await plan(t, sql, [workspaceId, ...extra]);
    expect(text).toContain('memberships_active_admins_idx');
    expect(text).not.toMatch(/Seq Scan on memberships/);
  });
});
