import type supertest from 'supertest';
import {
  GROUP_SCHEMA,
  PATCH_SCHEMA,
  type ScimWorkspace,
  scimWorkspace,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const GATEHOUSE_GROUP = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';
const GROUP_SIZE = 10_000;
/** A few more than the group holds, to add and to replace with. */
const EXTRA = 5;

const patchOp = (...Operations: Record<string, unknown>[]) => ({
  schemas: [PATCH_SCHEMA],
  Operations,
});
const asMembers = (ids: string[]) => ids.map((value) => ({ value }));
const idsOf = (members: { value: string }[] | undefined) =>
  (members ?? []).map((m) => m.value).sort();
const sorted = (ids: string[]) => [...ids].sort();

/**
 * A group of 10,000 members pushed, patched and read through SCIM. Correctness only: speed is
 * measured by `npm run bench`, never asserted here. Each request is one set-based write, so the
 * file stays well within jest's default timeout per test.
 */
describe('SCIM Groups with 10,000 members', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  let users: string[];
  let groupId: string;

  const scim = (method: 'get' | 'post' | 'patch' | 'put', path: string): supertest.Test =>
    t.http[method](`/scim/v2${path}`)
      .set('Authorization', ws.auth)
      .set('Content-Type', 'application/scim+json');

  async function storedMembers(): Promise<string[]> {
    const rows = await t.dataSource.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id`,
      [groupId],
    );
    return rows.map((r) => r.user_id);
  }

  beforeAll(async () => {
    t = await startTestApp();
    ws = await scimWorkspace(t);
    // SCIM-provisioned members straight in SQL: one statement, not 10,000 requests.
    const rows = await t.dataSource.query<{ user_id: string }[]>(
      `WITH people AS (
         INSERT INTO users (email, full_name, scim_workspace_id)
         SELECT 'bulk' || i || '@' || $2 || '.test', 'Bulk Person ' || i, $1::uuid
           FROM generate_series(1, $3::int) AS i
         RETURNING id, email)
       INSERT INTO memberships
         (workspace_id, user_id, role, status, source, scim_managed, scim_user_name, scim_external_id)
       SELECT $1::uuid, id, 'member', 'active', 'scim', true, email, 'ext-' || email FROM people
       RETURNING user_id`,
      [ws.id, ws.slug, GROUP_SIZE + EXTRA],
    );
    users = rows.map((r) => r.user_id);
    expect(users).toHaveLength(GROUP_SIZE + EXTRA);
  }, 60_000);
  afterAll(() => t.close());

  it('POSTs a group with all 10,000 members in one request', async () => {
    const initial = users.slice(0, GROUP_SIZE);
    const res = await scim('post', '/Groups')
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Everyone', members: asMembers(initial) })
      .expect(201);
    groupId = res.body.id as string;
    expect(res.body.members).toHaveLength(GROUP_SIZE);
    expect(idsOf(res.body.members)).toEqual(sorted(initial));
    expect(await storedMembers()).toEqual(sorted(initial));
  });

  it('PATCHes a few members in and out', async () => {
    const added = users.slice(GROUP_SIZE, GROUP_SIZE + 3);
    const removed = users.slice(0, 4);
    await scim('patch', `/Groups/${groupId}`)
      .send(
        patchOp(
          { op: 'add', path: 'members', value: asMembers(added) },
          ...removed.slice(0, 2).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
          { op: 'Remove', path: 'members', value: asMembers(removed.slice(2)) },
        ),
      )
      .expect(204);
    const expected = users.slice(4, GROUP_SIZE + 3);
    expect(await storedMembers()).toEqual(sorted(expected));

    const check = await scim('get', '/Groups')
      .query({
        filter: `id eq "${groupId}" and members[value eq "${added[0]}"]`,
        excludedAttributes: 'members',
      })
      .expect(200);
    expect(check.body.totalResults).toBe(1);
  });

  it('PATCH replaces the whole list with 10,000 members', async () => {
    const replacement = users.slice(EXTRA, GROUP_SIZE + EXTRA);
    await scim('patch', `/Groups/${groupId}`)
      .send(patchOp({ op: 'replace', path: 'members', value: asMembers(replacement) }))
      .expect(204);
    expect(await storedMembers()).toEqual(sorted(replacement));
  });

  it('GETs the group with every member, and without them on excludedAttributes=members', async () => {
    const expected = sorted(users.slice(EXTRA, GROUP_SIZE + EXTRA));
    const full = await scim('get', `/Groups/${groupId}`).expect(200);
    expect(full.body.members).toHaveLength(GROUP_SIZE);
    expect(idsOf(full.body.members)).toEqual(expected);
    expect(full.body.members[0]).toMatchObject({
      display: expect.stringMatching(/^Bulk Person \d+$/),
      $ref: expect.stringMatching(/\/scim\/v2\/Users\//),
    });

    const lean = await scim('get', `/Groups/${groupId}`)
      .query({ excludedAttributes: 'members' })
      .expect(200);
    expect(lean.body.members).toBeUndefined();
    expect(lean.body).toMatchObject({ id: groupId, displayName: 'Everyone' });

    const listed = await scim('get', '/Groups')
      .query({ filter: 'displayName eq "Everyone"', excludedAttributes: 'members' })
      .expect(200);
    expect(listed.body.Resources).toEqual([lean.body]);

    const view = await t.http
      .get(`/api/workspaces/${ws.slug}/groups/${groupId}`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(view.body.memberCount).toBe(GROUP_SIZE);
  });

  it('gives and takes the admin role to all 10,000 members at once', async () => {
    const admins = async () => {
      const [row] = await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM memberships m JOIN group_members gm
            ON gm.workspace_id = m.workspace_id AND gm.user_id = m.user_id
          WHERE gm.group_id = $1 AND m.role = 'admin'`,
        [groupId],
      );
      return row!.n;
    };
    await scim('patch', `/Groups/${groupId}`)
      .send(patchOp({ op: 'add', path: `${GATEHOUSE_GROUP}:role`, value: 'admin' }))
      .expect(204);
    expect(await admins()).toBe(GROUP_SIZE);
    await scim('patch', `/Groups/${groupId}`)
      .send(patchOp({ op: 'remove', path: `${GATEHOUSE_GROUP}:role` }))
      .expect(204);
    expect(await admins()).toBe(0);
  });

  it('PUT with 10,000 members (Okta) replaces the list', async () => {
    const list = users.slice(0, GROUP_SIZE);
    const res = await scim('put', `/Groups/${groupId}`)
      .send({
        schemas: [GROUP_SCHEMA],
        id: groupId,
        displayName: 'Everyone',
        members: asMembers(list),
      })
      .expect(200);
    expect(res.body.members).toHaveLength(GROUP_SIZE);
    expect(await storedMembers()).toEqual(sorted(list));
  });
});
