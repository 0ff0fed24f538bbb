import type { DataSource } from 'typeorm';
import { PageCursors } from '../../src/scim/store/scim-page-cursors.js';
import {
  findPage,
  GROUP_PAGING,
  pageQuery,
  type ScimTable,
  USER_PAGING,
} from '../../src/scim/store/scim-page.js';
import type { ListQuery } from '../../src/scim/protocol/list-query.js';
import { GROUPS } from '../../src/scim/store/groups.table.js';
import { USERS as USER_TABLE } from '../../src/scim/store/users.table.js';
import { insertWorkspaceRow } from '../support/fixtures.js';
import { scimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * startIndex paging seeks past the last key of the page this process served just before
 * (src/scim/scim-page.ts), and falls back to OFFSET otherwise. With no change in between, both
 * answer the same rows; these tests hold the seek to that, show where the two differ (a row
 * inserted or deleted before the key), and that nothing is shared across lists.
 */

const MEMBERS = 250;
/** The lists as SCIM pages them, with their paging hints. */
const USERS: ScimTable = { ...USER_TABLE, paging: USER_PAGING };
const GROUPS_PAGED: ScimTable = { ...GROUPS, paging: GROUP_PAGING };

const page = (query: Partial<ListQuery>): ListQuery => ({
  startIndex: 1,
  count: 100,
  sortOrder: 'ascending',
  ...query,
});

let seq = 0;

/** n members, created in bursts that share a created_at (so the order's tie-breaker matters). */
async function seedMembers(ds: DataSource, workspaceId: string, n: number): Promise<void> {
  await ds.query(
    `WITH u AS (
       INSERT INTO users (email)
       SELECT 'keyset-' || $1::text || '-' || i || '@paging.test' FROM generate_series(1, $2::int) i
       RETURNING id, email)
     INSERT INTO memberships (workspace_id, user_id, role, status, source, scim_user_name, created_at)
     SELECT $1::uuid, u.id, 'member', 'active', 'scim', 'User.' || split_part(u.email, '@', 1),
            timestamptz '2026-01-01' + (abs(hashtext(u.email)) % 40) * interval '1.000001 second'
       FROM u`,
    [workspaceId, n],
  );
}

describe('SCIM list paging: seek under startIndex', () => {
  let t: TestApp;
  let ds: DataSource;
  let ws: string;
  beforeAll(async () => {
    t = await startTestApp();
    ds = t.dataSource;
    ws = await insertWorkspaceRow(ds);
    await seedMembers(ds, ws, MEMBERS);
    await ds.query(
      `INSERT INTO groups (workspace_id, display_name, created_at)
       SELECT $1, 'Group ' || i, timestamptz '2026-01-01' + (i % 7) * interval '1 minute'
         FROM generate_series(1, 230) i`,
      [ws],
    );
  });
  afterAll(() => t.close());

  const ids = (rows: { user_id?: string; id?: string }[]) => rows.map((r) => r.user_id ?? r.id);

  /** The walk with cursors, and the same pages by OFFSET (a fresh cache misses every time). */
  async function walkBothWays(table: typeof USERS, query: Partial<ListQuery>) {
    const cursors = new PageCursors();
    const seeking: (string | undefined)[] = [];
    const offsets: (string | undefined)[] = [];
    for (let startIndex = 1; startIndex <= MEMBERS + 100; startIndex += 100) {
      const q = page({ ...query, startIndex });
      const sought = await findPage<{ user_id: string }>(ds, table, ws, q, cursors);
      const skipped = await findPage<{ user_id: string }>(ds, table, ws, q, new PageCursors());
      seeking.push(...ids(sought.rows));
      offsets.push(...ids(skipped.rows));
      expect(sought.total).toBe(skipped.total);
    }
    return { seeking, offsets, cursors };
  }

  it('walks the default order by seeking, with the same rows as OFFSET', async () => {
    const { seeking, offsets, cursors } = await walkBothWays(USERS, {});
    expect(seeking).toEqual(offsets);
    expect(new Set(seeking).size).toBe(MEMBERS);
    expect(cursors.size).toBe(2); // after pages 1 and 2; page 3 was not full
  });

  it('walks userName order and groups the same way', async () => {
    const byName = await walkBothWays(USERS, { sortBy: 'userName' });
    expect(byName.seeking).toEqual(byName.offsets);
    expect(byName.cursors.size).toBe(2);
    const groups = await walkBothWays(GROUPS_PAGED, {});
    expect(groups.seeking).toEqual(groups.offsets);
    expect(groups.seeking).toHaveLength(230);
  });

  it('walks a filtered list by seeking, counting through the filter', async () => {
    const filter = 'userName sw "user.keyset"';
    const { seeking, offsets, cursors } = await walkBothWays(USERS, { filter });
    expect(seeking).toEqual(offsets);
    expect(cursors.size).toBe(2);
    const { total } = await findPage(ds, USERS, ws, page({ filter: 'userName eq "nobody"' }));
    expect(total).toBe(0);
  });

  it('does not seek in a descending order, which a row comparison cannot express', async () => {
    const { seeking, offsets, cursors } = await walkBothWays(USERS, {
      sortBy: 'userName',
      sortOrder: 'descending',
    });
    expect(seeking).toEqual(offsets);
    expect(cursors.size).toBe(0);
    expect(() =>
      pageQuery(USERS, ws, page({ sortBy: 'userName', sortOrder: 'descending' }), ['x', 'y']),
    ).toThrow(/cannot seek/);
  });

  /** A member who sorts first in the default order and by userName. */
  async function addMemberBefore(workspaceId: string, n = 1) {
    await ds.query(
      `WITH u AS (INSERT INTO users (email)
                  SELECT 'before-' || $1::text || '-' || i || '-' || $3 || '@paging.test'
                    FROM generate_series(1, $2::int) i
                  RETURNING id, email)
       INSERT INTO memberships
         (workspace_id, user_id, role, status, source, scim_user_name, created_at)
       SELECT $1::uuid, id, 'member', 'active', 'scim', 'AAA.' || email, timestamptz '1999-01-01' FROM u`,
      [workspaceId, n, ++seq],
    );
  }

  async function memberIds(workspaceId: string): Promise<string[]> {
    const rows = await ds.query<{ user_id: string }[]>(
      `SELECT user_id FROM memberships WHERE workspace_id = $1 ORDER BY created_at, user_id`,
      [workspaceId],
    );
    return ids(rows) as string[];
  }

  it('continues after the last row served when rows before it are inserted or deleted', async () => {
    const own = await insertWorkspaceRow(ds);
    await seedMembers(ds, own, 150);
    const all = await memberIds(own);
    const cursors = new PageCursors();
    const first = await findPage<{ user_id: string }>(ds, USERS, own, page({}), cursors);
    expect(ids(first.rows)).toEqual(all.slice(0, 100));
    // Before the next request, one member arrives first in the order and one served leaves.
    await addMemberBefore(own);
    await ds.query(`DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2`, [
      own,
      all[99],
    ]);
    const next = page({ startIndex: 101 });
    const sought = await findPage<{ user_id: string }>(ds, USERS, own, next, cursors);
    const skipped = await findPage<{ user_id: string }>(ds, USERS, own, next, new PageCursors());
    // The seek gives exactly the 50 not yet served; OFFSET counts positions in today's list,
    // where one insertion and one deletion before it cancel out.
    expect(ids(sought.rows)).toEqual(all.slice(100));
    expect(ids(skipped.rows)).toEqual(all.slice(100));
    expect(sought.total).toBe(150);
    // Two more before the key: OFFSET repeats the last two rows still there, the seek does not.
    await addMemberBefore(own, 2);
    const again = await findPage<{ user_id: string }>(ds, USERS, own, next, cursors);
    const shifted = await findPage<{ user_id: string }>(ds, USERS, own, next, new PageCursors());
    expect(ids(again.rows)).toEqual(all.slice(100));
    expect(ids(shifted.rows).slice(0, 2)).toEqual(all.slice(97, 99));
    expect(again.total).toBe(152);
  });

  it('keeps lists apart: another workspace, filter, order or count starts by OFFSET', async () => {
    const own = await insertWorkspaceRow(ds);
    const other = await insertWorkspaceRow(ds);
    await seedMembers(ds, own, 250);
    await seedMembers(ds, other, 250);
    const cursors = new PageCursors();
    await findPage(ds, USERS, own, page({}), cursors);
    await findPage(ds, USERS, own, page({ sortBy: 'externalId' }), cursors);
    expect(cursors.size).toBe(1); // externalId may be NULL: that order never seeks
    // From here on, a page that seeks from the first page's key differs from OFFSET by one row.
    await addMemberBefore(own);
    await addMemberBefore(other);
    const served = async (workspaceId: string, query: ListQuery) => {
      const { rows } = await findPage<{ user_id: string }>(ds, USERS, workspaceId, query, cursors);
      const fresh = new PageCursors();
      const offset = await findPage<{ user_id: string }>(ds, USERS, workspaceId, query, fresh);
      return { sought: ids(rows), offset: ids(offset.rows) };
    };
    const same = await served(own, page({ startIndex: 101 }));
    expect(same.sought).not.toEqual(same.offset); // the first page's own list does seek
    for (const [workspaceId, query] of [
      [other, page({ startIndex: 101 })],
      [own, page({ startIndex: 101, count: 50 })],
      [own, page({ startIndex: 101, filter: 'active eq true' })],
      [own, page({ startIndex: 101, sortBy: 'userName' })],
      [own, page({ startIndex: 101, sortBy: 'externalId' })],
    ] as const) {
      const { sought, offset } = await served(workspaceId, query);
      expect(sought).toEqual(offset);
    }
  });

  it('walks over HTTP: every member once, totalResults exact on every page', async () => {
    const scim = await scimWorkspace(t);
    await seedMembers(ds, scim.id, MEMBERS);
    const [{ n }] = await ds.query<[{ n: number }]>(
      `SELECT count(*)::int AS n FROM memberships WHERE workspace_id = $1`,
      [scim.id],
    );
    const seen = new Set<string>();
    for (let startIndex = 1; startIndex <= n; startIndex += 100) {
      const res = await t.http
        .get(`/scim/v2/Users?startIndex=${startIndex}&count=100`)
        .set('Authorization', scim.auth)
        .expect(200);
      expect(res.body.totalResults).toBe(n);
      expect(res.body.startIndex).toBe(startIndex);
      for (const user of res.body.Resources as { id: string }[]) seen.add(user.id);
    }
    expect(seen.size).toBe(n);
  });
});
