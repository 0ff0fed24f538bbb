import type { DataSource } from 'typeorm';
import {
  findPage,
  GROUP_PAGING,
  pageQuery,
  type ScimTable,
  USER_PAGING,
} from '../../src/scim/store/scim-page.js';
import type { ListQuery } from '../../src/scim/protocol/list-query.js';
import { GROUPS } from '../../src/scim/store/groups.table.js';
import { USERS } from '../../src/scim/store/users.table.js';
import {
  memberPageQuery,
  USER_NAME_TAKEN_SQL,
} from '../../src/workspace/repositories/membership.repository.js';
import { insertWorkspaceRow } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usingEmbeddedDatabase } from '../support/test-database.js';

const MEMBERS = 100_000;
/** The lists as SCIM pages them, with their paging hints (seek, totals in workspace_counts). */
const PAGED_USERS: ScimTable = { ...USERS, paging: USER_PAGING };
const PAGED_GROUPS: ScimTable = { ...GROUPS, paging: GROUP_PAGING };
const GROUP_COUNT = 20_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function explain(ds: DataSource, sql: string, values: unknown[]): Promise<PlanNode> {
  const [row] = await ds.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }[]>(
    `EXPLAIN (FORMAT JSON) ${sql}`,
    values,
  );
  return row!['QUERY PLAN'][0]!.Plan;
}

async function plan(ds: DataSource, sql: string, values: unknown[]): Promise<PlanNode[]> {
  return nodes(await explain(ds, sql, values));
}

/**
 * A list's plan in its two parts: the page (under the Limit), which must walk an index and stop,
 * and the total (the Aggregate), which must read memberships alone. Counting a workspace that is
 * almost the whole table is a sequential scan when the planner says it is cheaper: that is O(n)
 * either way, and not what these tests guard.
 */
async function listPlan(ds: DataSource, sql: string, values: unknown[]) {
  const all = await plan(ds, sql, values);
  const limit = all.find((n) => n['Node Type'] === 'Limit');
  const aggregate = all.find((n) => n['Node Type'] === 'Aggregate');
  return { page: nodes(limit!), count: nodes(aggregate!) };
}

/** The plan reads the tables through indexes only: no sequential scan of them, and no sort of
 * the whole workspace. */
function expectIndexed(all: PlanNode[], index: string): void {
  const seqScans = all.filter(
    (n) =>
      n['Node Type'] === 'Seq Scan' &&
      ['memberships', 'users', 'groups'].includes(n['Relation Name'] ?? ''),
  );
  expect(seqScans.map((n) => n['Relation Name'])).toEqual([]);
  expect(all.map((n) => n['Index Name']).filter(Boolean)).toContain(index);
}

const page = (query: Partial<ListQuery>): ListQuery => ({
  startIndex: 1,
  count: 100,
  sortOrder: 'ascending',
  ...query,
});

/** n members: every other one named by the IdP (userName User.<i>), the others shown by email. */
async function seedMembers(ds: DataSource, workspaceId: string, prefix: string, n: number) {
  await ds.query(
    `WITH u AS (
       INSERT INTO users (email, full_name)
       SELECT lower($2) || '-' || i || '@plans.test', 'Person ' || i FROM generate_series(1, $3::int) i
       RETURNING id, email)
     INSERT INTO memberships
       (workspace_id, user_id, role, status, source, scim_managed, scim_user_name, created_at)
     SELECT $1, u.id, 'member', 'active', 'scim', true,
            CASE WHEN right(split_part(u.email, '@', 1), 1) IN ('0', '2', '4', '6', '8')
                 THEN 'User.' || split_part(u.email, '@', 1) END,
            now() - random() * interval '365 days'
       FROM u`,
    [workspaceId, prefix, n],
  );
}

describe('userName kept by the database', () => {
  let t: TestApp;
  let ws: string;
  beforeAll(async () => {
    t = await startTestApp();
    ws = await insertWorkspaceRow(t.dataSource, 'keys');
    await seedMembers(t.dataSource, ws, 'Key', 4);
  });
  afterAll(() => t.close());

  const key = async (email: string) => {
    const [row] = await t.dataSource.query<{ user_name_key: string; scim_user_name: string }[]>(
      `SELECT m.user_name_key, m.scim_user_name FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE u.email = $1`,
      [email],
    );
    return row!;
  };

  it('is the lower-cased scim_user_name, else the email, on insert and on every update', async () => {
    expect(await key('key-1@plans.test')).toEqual({
      user_name_key: 'key-1@plans.test',
      scim_user_name: null,
    });
    expect((await key('key-2@plans.test')).user_name_key).toBe('user.key-2');

    await t.dataSource.query(
      `UPDATE memberships SET scim_user_name = 'Renamed.One' FROM users u
        WHERE u.id = memberships.user_id AND u.email = 'key-1@plans.test'`,
    );
    expect((await key('key-1@plans.test')).user_name_key).toBe('renamed.one');
    await t.dataSource.query(
      `UPDATE memberships SET scim_user_name = NULL FROM users u
        WHERE u.id = memberships.user_id AND u.email = 'key-1@plans.test'`,
    );
    expect((await key('key-1@plans.test')).user_name_key).toBe('key-1@plans.test');

    // An unnamed member follows the email; a named one keeps its userName.
    await t.dataSource.query(
      `UPDATE users SET email = 'key-3-new@plans.test' WHERE email = 'key-3@plans.test'`,
    );
    expect((await key('key-3-new@plans.test')).user_name_key).toBe('key-3-new@plans.test');
    await t.dataSource.query(
      `UPDATE users SET email = 'key-4-new@plans.test' WHERE email = 'key-4@plans.test'`,
    );
    expect((await key('key-4-new@plans.test')).user_name_key).toBe('user.key-4');

    // A write of the column itself cannot make it lie.
    await t.dataSource.query(
      `UPDATE memberships SET user_name_key = 'forged' FROM users u
        WHERE u.id = memberships.user_id AND u.email = 'key-1@plans.test'`,
    );
    expect((await key('key-1@plans.test')).user_name_key).toBe('key-1@plans.test');
  });

  it("carries its person's email, on insert and when the email changes, and cannot be forged", async () => {
    const emailOf = async (userEmail: string) => {
      const rows = await t.dataSource.query<{ email: string }[]>(
        `SELECT m.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1`,
        [userEmail],
      );
      return rows.map((r) => r.email);
    };
    expect(await emailOf('key-2@plans.test')).toEqual(['key-2@plans.test']);
    await t.dataSource.query(
      `UPDATE users SET email = 'key-2-new@plans.test' WHERE email = 'key-2@plans.test'`,
    );
    expect(await emailOf('key-2-new@plans.test')).toEqual(['key-2-new@plans.test']);
    await t.dataSource.query(
      `UPDATE memberships SET email = 'forged@plans.test' FROM users u
        WHERE u.id = memberships.user_id AND u.email = 'key-2-new@plans.test'`,
    );
    expect(await emailOf('key-2-new@plans.test')).toEqual(['key-2-new@plans.test']);
    await t.dataSource.query(
      `UPDATE users SET email = 'key-2@plans.test' WHERE email = 'key-2-new@plans.test'`,
    );
  });

  it('is unique per workspace: a second member cannot show the same userName in any case', async () => {
    await expect(
      t.dataSource.query(
        `UPDATE memberships SET scim_user_name = 'KEY-1@plans.test' FROM users u
          WHERE u.id = memberships.user_id AND u.email = 'key-2@plans.test'`,
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'memberships_user_name_key' });
    const other = await insertWorkspaceRow(t.dataSource, 'keys-other');
    await t.dataSource.query(
      `INSERT INTO memberships (workspace_id, user_id, role, status, source, scim_user_name)
       SELECT $1, id, 'member', 'active', 'scim', 'User.Key-2' FROM users WHERE email = 'key-1@plans.test'`,
      [other],
    );
    const taken = await t.dataSource.query(USER_NAME_TAKEN_SQL, [other, 'user.KEY-2', null]);
    expect(taken).toHaveLength(1);
  });
});

// Seeding 100,000 rows through the embedded database's single connection takes too long.
const describeAtScale = usingEmbeddedDatabase() ? describe.skip : describe;

describeAtScale(`query plans at ${MEMBERS.toLocaleString('en')} members`, () => {
  let t: TestApp;
  let ws: string;
  let ds: DataSource;
  beforeAll(async () => {
    // Seeding 100,000 members is one long statement, slower still on a busy machine.
    t = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '120000' });
    ds = t.dataSource;
    ws = await insertWorkspaceRow(ds, 'plans');
    await seedMembers(ds, ws, 'Person', MEMBERS);
    await seedMembers(ds, await insertWorkspaceRow(ds, 'plans-small'), 'Small', 1000);
    await ds.query(
      `INSERT INTO groups (workspace_id, display_name, scim_managed, created_at)
       SELECT $1, 'Group ' || i, true, now() - random() * interval '365 days'
         FROM generate_series(1, $2::int) i`,
      [ws, GROUP_COUNT],
    );
    await ds.query('VACUUM ANALYZE memberships, users, groups');
  }, 120_000);
  afterAll(() => t.close());

  it('userName eq (Entra before every create) reads memberships_user_name_key', async () => {
    const query = page({ filter: 'userName eq "USER.person-4242"' });
    const { sql, values } = pageQuery(USERS, ws, query);
    expectIndexed(await plan(ds, sql, values), 'memberships_user_name_key');
    const { rows, total } = await findPage<{ scim_user_name: string }>(ds, USERS, ws, query);
    expect(total).toBe(1);
    expect(rows.map((r) => r.scim_user_name)).toEqual(['User.person-4242']);

    const byEmail = await findPage<{ email: string }>(
      ds,
      USERS,
      ws,
      page({ filter: 'userName eq "Person-4241@Plans.Test"' }),
    );
    expect(byEmail.rows.map((r) => r.email)).toEqual(['person-4241@plans.test']);
  });

  it('userName sw reads the same index', async () => {
    const query = page({ filter: 'userName sw "User.Person-4242"' });
    const { sql, values } = pageQuery(USERS, ws, query);
    expectIndexed(await plan(ds, sql, values), 'memberships_user_name_key');
    const { total } = await findPage(ds, USERS, ws, query);
    expect(total).toBe(6); // user.person-4242 and -42420, -42422, … -42428 (odd ones are unnamed)
  });

  it('the userName-taken check is one indexed lookup', async () => {
    expectIndexed(
      await plan(ds, USER_NAME_TAKEN_SQL, [ws, 'user.person-10', null]),
      'memberships_user_name_key',
    );
    expect(await ds.query(USER_NAME_TAKEN_SQL, [ws, 'USER.PERSON-10', null])).toHaveLength(1);
    expect(await ds.query(USER_NAME_TAKEN_SQL, [ws, 'person-11@plans.test', null])).toHaveLength(1);
    expect(await ds.query(USER_NAME_TAKEN_SQL, [ws, 'person-10@plans.test', null])).toHaveLength(0);
  });

  it('a list page in the default order walks memberships_created_idx, its total kept in workspace_counts', async () => {
    const query = page({});
    const { sql, values } = pageQuery(PAGED_USERS, ws, query);
    const { page: pagePlan, count } = await listPlan(ds, sql, values);
    expectIndexed(pagePlan, 'memberships_created_idx');
    expect(count.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
    expect(count.map((n) => n['Relation Name']).filter(Boolean)).toEqual(['workspace_counts']);
    expect(count.map((n) => n['Index Name']).filter(Boolean)).toEqual(['workspace_counts_pkey']);
    const { rows, total } = await findPage<{ created_at: Date }>(ds, PAGED_USERS, ws, query);
    expect(total).toBe(MEMBERS);
    expect(rows).toHaveLength(100);
    const times = rows.map((r) => r.created_at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a page at a deep offset skips the offset in memberships_created_idx alone', async () => {
    const query = page({ startIndex: MEMBERS - 99 });
    const { sql, values } = pageQuery(USERS, ws, query);
    const { page: pagePlan } = await listPlan(ds, sql, values);
    expectIndexed(pagePlan, 'memberships_created_idx');
    const walk = pagePlan.find((n) => n['Index Name'] === 'memberships_created_idx');
    expect(walk!['Node Type']).toBe('Index Only Scan');
    const { rows, total } = await findPage<{ user_id: string }>(ds, USERS, ws, query);
    expect(total).toBe(MEMBERS);
    const expected = await ds.query<{ user_id: string }[]>(
      `SELECT user_id FROM memberships WHERE workspace_id = $1
        ORDER BY created_at, user_id OFFSET $2`,
      [ws, MEMBERS - 100],
    );
    expect(rows.map((r) => r.user_id)).toEqual(expected.map((r) => r.user_id));
  });

  it('a page sorted by userName walks memberships_user_name_key', async () => {
    const query = page({ sortBy: 'userName' });
    const { sql, values } = pageQuery(USERS, ws, query);
    expectIndexed((await listPlan(ds, sql, values)).page, 'memberships_user_name_key');
    const { rows } = await findPage<{ email: string; scim_user_name: string | null }>(
      ds,
      USERS,
      ws,
      query,
    );
    const names = rows.map((r) => (r.scim_user_name ?? r.email).toLowerCase());
    expect(names).toEqual([...names].sort()); // byte order ("person-10001@" before "person-1@")
    expect(names[0]).toBe('person-10001@plans.test');
  });

  it('a page past the end still answers the total', async () => {
    const { rows, total } = await findPage(ds, USERS, ws, page({ startIndex: MEMBERS + 1 }));
    expect(rows).toEqual([]);
    expect(total).toBe(MEMBERS);
  });

  it('the admin member list walks memberships_email_idx and joins only the page', async () => {
    for (const [filter, offset] of [
      [{}, 0],
      [{ status: 'active' as const }, 0],
      [{ role: 'member' as const }, 5_000],
    ] as const) {
      const query = memberPageQuery(ws, filter, { limit: 50, offset });
      expectIndexed(await plan(ds, query.pageSql, query.pageValues), 'memberships_email_idx');
      const count = await plan(ds, query.countSql, query.values);
      expect(count.map((n) => n['Relation Name']).filter(Boolean)).toEqual(['memberships']);
    }
  });

  it('a list of groups in the default order walks groups_created_idx', async () => {
    const query = page({});
    const { sql, values } = pageQuery(GROUPS, ws, query);
    expectIndexed((await listPlan(ds, sql, values)).page, 'groups_created_idx');
    const { total } = await findPage(ds, GROUPS, ws, query);
    expect(total).toBe(GROUP_COUNT);
  });

  /** The last key of the page that ends just before startIndex, as findPage remembers it. */
  async function keyBefore(order: string, startIndex: number): Promise<string[]> {
    const [row] = await ds.query<{ key: string[] }[]>(
      `SELECT ARRAY[${order
        .split(',')
        .map((c) => `to_json(${c.trim()}) #>> '{}'`)
        .join(', ')}] AS key
         FROM memberships WHERE workspace_id = $1 ORDER BY ${order} OFFSET $2 LIMIT 1`,
      [ws, startIndex - 2],
    );
    return row!.key;
  }

  it('a deep page that seeks from the last key served walks memberships_created_idx from that key', async () => {
    const query = page({ startIndex: MEMBERS - 199 });
    const seek = await keyBefore('created_at, user_id', query.startIndex);
    const { sql, values } = pageQuery(PAGED_USERS, ws, query, seek);
    const all = await plan(ds, sql, values);
    expectIndexed(all, 'memberships_created_idx');
    const walk = all.find((n) => n['Index Name'] === 'memberships_created_idx')!;
    expect(walk['Node Type']).toBe('Index Only Scan');
    expect(walk['Index Cond']).toMatch(/ROW\(created_at, user_id\) > ROW\(/);
    const sought = await ds.query<{ user_id: string; scim_page_row: boolean }[]>(sql, values);
    const expected = await ds.query<{ user_id: string }[]>(
      `SELECT user_id FROM memberships WHERE workspace_id = $1
        ORDER BY created_at, user_id OFFSET $2 LIMIT 100`,
      [ws, query.startIndex - 1],
    );
    expect(sought.map((r) => r.user_id)).toEqual(expected.map((r) => r.user_id));
  });

  it('a page sorted by userName seeks in memberships_user_name_key', async () => {
    const query = page({ startIndex: MEMBERS / 2, sortBy: 'userName' });
    const seek = await keyBefore('user_name_key, user_id', query.startIndex);
    const { sql, values } = pageQuery(PAGED_USERS, ws, query, seek);
    expectIndexed((await listPlan(ds, sql, values)).page, 'memberships_user_name_key');
  });

  it('the total of an unfiltered list reads workspace_counts alone, for users and groups', async () => {
    for (const table of [PAGED_USERS, PAGED_GROUPS]) {
      const { sql, values } = pageQuery(table, ws, page({ startIndex: 5_001 }));
      const { count } = await listPlan(ds, sql, values);
      expect(count.map((n) => n['Relation Name']).filter(Boolean)).toEqual(['workspace_counts']);
    }
    expect((await findPage(ds, PAGED_USERS, ws, page({ count: 0 }))).total).toBe(MEMBERS);
    expect((await findPage(ds, PAGED_GROUPS, ws, page({ count: 0 }))).total).toBe(GROUP_COUNT);
  });
});
