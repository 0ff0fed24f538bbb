import pg from 'pg';
import type { DataSource } from 'typeorm';
import { oktaUser, scimWorkspace, GROUP_SCHEMA } from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { itWithConcurrentConnections } from '../support/test-database.js';

/**
 * workspace_counts (migration 1764580000000) must equal count(*) of memberships and groups per
 * workspace after any write, in every snapshot: SCIM answers it as an exact totalResults.
 */

interface Counts {
  memberships: number;
  groups: number;
}

type Sql = (sql: string, values?: unknown[]) => Promise<unknown[]>;

const sqlOf =
  (ds: DataSource): Sql =>
  (sql, values) =>
    ds.query(sql, values);

async function counted(query: Sql, workspaceId: string): Promise<Counts> {
  const rows = (await query(
    `SELECT counted, sum(row_count)::int AS n FROM workspace_counts
      WHERE workspace_id = $1 GROUP BY counted`,
    [workspaceId],
  )) as { counted: keyof Counts; n: number }[];
  const counts = { memberships: 0, groups: 0 };
  for (const row of rows) counts[row.counted] = row.n;
  return counts;
}

async function actual(query: Sql, workspaceId: string): Promise<Counts> {
  const [row] = (await query(
    `SELECT (SELECT count(*) FROM memberships WHERE workspace_id = $1)::int AS memberships,
            (SELECT count(*) FROM groups WHERE workspace_id = $1)::int AS groups`,
    [workspaceId],
  )) as Counts[];
  return row!;
}

/** The counts, after checking that they are the rows' own count. */
async function exactCounts(query: Sql, workspaceId: string): Promise<Counts> {
  const [kept, real] = [await counted(query, workspaceId), await actual(query, workspaceId)];
  expect(kept).toEqual(real);
  return kept;
}

let seq = 0;

async function workspace(query: Sql): Promise<string> {
  const slug = `counts-${process.pid}-${++seq}`;
  const [row] = (await query(`INSERT INTO workspaces (slug, name) VALUES ($1, $1) RETURNING id`, [
    slug,
  ])) as { id: string }[];
  return row!.id;
}

/** n members in one statement; returns their user ids. */
async function addMembers(query: Sql, workspaceId: string, n: number): Promise<string[]> {
  const prefix = `p${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  const rows = (await query(
    `WITH u AS (
       INSERT INTO users (email) SELECT $2 || '-' || i || '@counts.test' FROM generate_series(1, $3::int) i
       RETURNING id)
     INSERT INTO memberships (workspace_id, user_id, role, status, source)
     SELECT $1, u.id, 'member', 'active', 'manual' FROM u RETURNING user_id`,
    [workspaceId, prefix, n],
  )) as { user_id: string }[];
  return rows.map((r) => r.user_id);
}

async function addGroups(query: Sql, workspaceId: string, n: number): Promise<string[]> {
  const prefix = `g${++seq}`;
  const rows = (await query(
    `INSERT INTO groups (workspace_id, display_name)
     SELECT $1, $2 || '-' || i FROM generate_series(1, $3::int) i RETURNING id`,
    [workspaceId, prefix, n],
  )) as { id: string }[];
  return rows.map((r) => r.id);
}

describe('workspace counts kept by triggers', () => {
  let t: TestApp;
  let query: Sql;
  beforeAll(async () => {
    t = await startTestApp();
    query = sqlOf(t.dataSource);
  });
  afterAll(() => t.close());

  it('count members and groups added one at a time and in bulk, per workspace', async () => {
    const [a, b] = [await workspace(query), await workspace(query)];
    expect(await exactCounts(query, a)).toEqual({ memberships: 0, groups: 0 });
    await addMembers(query, a, 1);
    await addMembers(query, a, 1);
    await addMembers(query, a, 500);
    await addMembers(query, b, 7);
    await addGroups(query, a, 3);
    await addGroups(query, a, 1);
    expect(await exactCounts(query, a)).toEqual({ memberships: 502, groups: 4 });
    expect(await exactCounts(query, b)).toEqual({ memberships: 7, groups: 0 });
  });

  it('take off removed members, deleted people and deleted groups', async () => {
    const ws = await workspace(query);
    const other = await workspace(query);
    const members = await addMembers(query, ws, 20);
    const groups = await addGroups(query, ws, 5);
    const shared = members[0]!;
    await query(
      `INSERT INTO memberships (workspace_id, user_id, role, status, source)
       VALUES ($1, $2, 'member', 'active', 'manual')`,
      [other, shared],
    );
    await query(`DELETE FROM memberships WHERE workspace_id = $1 AND user_id = ANY($2)`, [
      ws,
      members.slice(1, 4),
    ]);
    // The person's deletion cascades to both of their memberships.
    await query(`DELETE FROM users WHERE id = $1`, [shared]);
    await query(`DELETE FROM groups WHERE id = ANY($1)`, [groups.slice(0, 2)]);
    await query(`DELETE FROM memberships WHERE workspace_id = $1 AND false`, [ws]);
    expect(await exactCounts(query, ws)).toEqual({ memberships: 16, groups: 3 });
    expect(await exactCounts(query, other)).toEqual({ memberships: 0, groups: 0 });
  });

  it('count nothing of a write rolled back, whole or to a savepoint', async () => {
    const ws = await workspace(query);
    const kept = await addMembers(query, ws, 3);
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const inTx: Sql = (sql, values) => runner.query(sql, values);
      await runner.startTransaction();
      await addMembers(inTx, ws, 10);
      await addGroups(inTx, ws, 2);
      await inTx(`DELETE FROM memberships WHERE user_id = $1`, [kept[0]]);
      expect(await exactCounts(inTx, ws)).toEqual({ memberships: 12, groups: 2 });
      await runner.rollbackTransaction();
      expect(await exactCounts(query, ws)).toEqual({ memberships: 3, groups: 0 });

      await runner.startTransaction();
      await addMembers(inTx, ws, 1);
      await inTx('SAVEPOINT half');
      await addMembers(inTx, ws, 4);
      await addGroups(inTx, ws, 1);
      await inTx('ROLLBACK TO SAVEPOINT half');
      await runner.commitTransaction();
      expect(await exactCounts(query, ws)).toEqual({ memberships: 4, groups: 0 });
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('go with a deleted workspace, which deletes without error, and leave others alone', async () => {
    const gone = await workspace(query);
    const stays = await workspace(query);
    const members = await addMembers(query, gone, 30);
    await addGroups(query, gone, 4);
    await query(
      `INSERT INTO group_members (workspace_id, group_id, user_id)
       SELECT $1, g.id, $2 FROM groups g WHERE g.workspace_id = $1`,
      [gone, members[0]],
    );
    await addMembers(query, stays, 2);
    await query(`DELETE FROM workspaces WHERE id = $1`, [gone]);
    expect(await query(`SELECT * FROM workspace_counts WHERE workspace_id = $1`, [gone])).toEqual(
      [],
    );
    expect(await exactCounts(query, stays)).toEqual({ memberships: 2, groups: 0 });
  });

  it('follow a membership moved to another workspace', async () => {
    const [from, to] = [await workspace(query), await workspace(query)];
    const [moved] = await addMembers(query, from, 3);
    await query(
      `UPDATE memberships SET workspace_id = $2 WHERE workspace_id = $1 AND user_id = $3`,
      [from, to, moved],
    );
    await query(`UPDATE memberships SET status = 'deactivated' WHERE workspace_id = $1`, [from]);
    expect(await exactCounts(query, from)).toEqual({ memberships: 2, groups: 0 });
    expect(await exactCounts(query, to)).toEqual({ memberships: 1, groups: 0 });
  });

  itWithConcurrentConnections(
    'stay exact under concurrent creates, deletes and rollbacks on many connections',
    async () => {
      const ws = await workspace(query);
      const clients = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const client = new pg.Client({ connectionString: t.config.database.url });
          await client.connect();
          return client;
        }),
      );
      try {
        const work = async (client: pg.Client, n: number) => {
          const onClient: Sql = async (sql, values) => (await client.query(sql, values)).rows;
          for (let i = 0; i < 15; i++) {
            await client.query('BEGIN');
            const added = await addMembers(onClient, ws, 1 + ((n + i) % 3));
            if (i % 2 === 0) await addGroups(onClient, ws, 1);
            if (i % 4 === 1)
              await onClient(`DELETE FROM memberships WHERE user_id = $1`, [added[0]]);
            await client.query(i % 5 === 3 ? 'ROLLBACK' : 'COMMIT');
          }
        };
        await Promise.all(clients.map((client, n) => work(client, n)));
        const counts = await exactCounts(query, ws);
        expect(counts.memberships).toBeGreaterThan(100);
        const slots = (await query(
          `SELECT count(DISTINCT slot)::int AS n FROM workspace_counts WHERE workspace_id = $1`,
          [ws],
        )) as { n: number }[];
        expect(slots[0]!.n).toBeGreaterThan(1); // the writers did not all queue on one row
      } finally {
        await Promise.all(clients.map((client) => client.end()));
      }
    },
  );

  itWithConcurrentConnections(
    "match the rows in every reader's snapshot, before and after another's commit",
    async () => {
      const ws = await workspace(query);
      await addMembers(query, ws, 5);
      const writer = new pg.Client({ connectionString: t.config.database.url });
      const reader = new pg.Client({ connectionString: t.config.database.url });
      await Promise.all([writer.connect(), reader.connect()]);
      const onWriter: Sql = async (sql, values) => (await writer.query(sql, values)).rows;
      const onReader: Sql = async (sql, values) => (await reader.query(sql, values)).rows;
      try {
        await writer.query('BEGIN');
        await addMembers(onWriter, ws, 10);
        await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        expect(await exactCounts(onReader, ws)).toEqual({ memberships: 5, groups: 0 });
        await writer.query('COMMIT');
        expect(await exactCounts(onReader, ws)).toEqual({ memberships: 5, groups: 0 });
        await reader.query('COMMIT');
        expect(await exactCounts(onReader, ws)).toEqual({ memberships: 15, groups: 0 });
      } finally {
        await Promise.all([writer.end(), reader.end()]);
      }
    },
  );

  it('answer SCIM totalResults: creates, deactivation, deletes and groups through the API', async () => {
    const ws = await scimWorkspace(t);
    const scim = (path: string) => t.http.get(`/scim/v2/${path}`).set('Authorization', ws.auth);
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.http
          .post('/scim/v2/Users')
          .set('Authorization', ws.auth)
          .send(oktaUser(`api-${i}-${ws.slug}@acme.test`))
          .expect(201),
      ),
    );
    const ids = created.map((res) => res.body.id as string);
    await t.http
      .patch(`/scim/v2/Users/${ids[0]}`)
      .set('Authorization', ws.auth)
      .send({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      })
      .expect(200);
    for (const id of ids.slice(1, 4)) {
      await t.http.delete(`/scim/v2/Users/${id}`).set('Authorization', ws.auth).expect(204);
    }
    await t.http
      .post('/scim/v2/Groups')
      .set('Authorization', ws.auth)
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Counted', members: [{ value: ids[5] }] })
      .expect(201);
    const counts = await exactCounts(query, ws.id);
    expect(counts).toEqual({ memberships: 1 + 12 - 3, groups: 1 }); // the admin, and the rest

    const users = await scim('Users?count=1').expect(200);
    expect(users.body.totalResults).toBe(counts.memberships);
    const active = await scim(`Users?filter=${encodeURIComponent('active eq true')}`).expect(200);
    expect(active.body.totalResults).toBe(counts.memberships - 1);
    const groups = await scim('Groups?count=0').expect(200);
    expect(groups.body.totalResults).toBe(1);
  });

  it('are emptied with their table by TRUNCATE', async () => {
    const ws = await workspace(query);
    await addMembers(query, ws, 2);
    await addGroups(query, ws, 2);
    await query('TRUNCATE memberships CASCADE');
    expect(await exactCounts(query, ws)).toEqual({ memberships: 0, groups: 2 });
    await addMembers(query, ws, 1);
    expect(await exactCounts(query, ws)).toEqual({ memberships: 1, groups: 2 });
  });
});
