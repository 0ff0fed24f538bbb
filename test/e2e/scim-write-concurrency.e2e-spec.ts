import type { QueryRunner } from 'typeorm';
import { ScimRequestLog } from '../../src/scim/log/scim-request-log.service.js';
import { lockWorkspace } from '../../src/workspace/workspace-lock.js';
import {
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  type ScimWorkspace,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { usingEmbeddedDatabase } from '../support/test-database.js';

let seq = 0;
const email = (name: string) => `${name}.${Date.now()}.${++seq}@acme.test`;
const ADMIN_GROUP_EXT = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';

/** Whether the promise settles within `ms` (it keeps running either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// A test connection holding a lock needs a second one: PGlite has one connection only.
const describeWithPool = usingEmbeddedDatabase() ? describe.skip : describe;

describeWithPool('SCIM writes and the workspace lock', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  let holder: QueryRunner | undefined;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    ws = await scimWorkspace(t);
  });
  afterEach(async () => {
    if (holder?.isTransactionActive) await holder.rollbackTransaction();
    await holder?.release();
    holder = undefined;
  });

  /** Another transaction takes the workspace lock, as the admin API does, and keeps it. */
  async function holdWorkspaceLock(): Promise<void> {
    holder = t.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await lockWorkspace(holder.manager, ws.id);
  }
  async function releaseWorkspaceLock(): Promise<void> {
    await holder!.commitTransaction();
  }

  const scim = () => ({
    post: (path: string, body: unknown) =>
      t.http
        .post(`/scim/v2${path}`)
        .set('Authorization', ws.auth)
        .send(body as object),
    patch: (path: string, operations: unknown[]) =>
      t.http
        .patch(`/scim/v2${path}`)
        .set('Authorization', ws.auth)
        .send({ schemas: [PATCH_SCHEMA], Operations: operations }),
  });
  const audit = async (action: string) =>
    t.dataSource.query<{ id: string }[]>(
      `SELECT id FROM audit_events WHERE workspace_id = $1 AND action = $2`,
      [ws.id, action],
    );
  const member = async (userId: string) => {
    const [row] = await t.dataSource.query<{ role: string; status: string }[]>(
      `SELECT role, status FROM memberships WHERE workspace_id = $1 AND user_id = $2`,
      [ws.id, userId],
    );
    return row;
  };

  it('creates a member while another transaction holds the workspace lock', async () => {
    await holdWorkspaceLock();
    const created = scim()
      .post('/Users', oktaUser(email('ada')))
      .then((res) => res);
    expect(await settlesWithin(created, 5_000)).toBe(true);
    const res = await created;
    expect(res.status).toBe(201);
    expect(await member(res.body.id as string)).toEqual({ role: 'member', status: 'active' });
    await releaseWorkspaceLock();
  });

  it('serialises group pushes with deactivations: a deactivated member never lands in a group', async () => {
    const ada = (
      await scim()
        .post('/Users', oktaUser(email('ada')))
        .expect(201)
    ).body.id;
    // The lock's holder stands for a deactivation of Ada in flight.
    await holdWorkspaceLock();
    const group = scim()
      .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Team', members: [{ value: ada }] })
      .then((res) => res);
    expect(await settlesWithin(group, 400)).toBe(false);
    await holder!.query(
      `UPDATE memberships SET status = 'deactivated' WHERE workspace_id = $1 AND user_id = $2`,
      [ws.id, ada],
    );
    await releaseWorkspaceLock();
    expect((await group).status).toBe(201);
    const [row] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM group_members WHERE workspace_id = $1 AND user_id = $2`,
      [ws.id, ada],
    );
    expect(row?.n).toBe(0);
  });

  it('runs a group change that demotes someone again under the lock, and records the gap', async () => {
    const ada = (
      await scim()
        .post('/Users', oktaUser(email('ada')))
        .expect(201)
    ).body.id;
    const group = await scim()
      .post('/Groups', {
        schemas: [GROUP_SCHEMA, ADMIN_GROUP_EXT],
        displayName: 'Admins',
        members: [{ value: ada }],
        [ADMIN_GROUP_EXT]: { role: 'admin' },
      })
      .expect(201);
    expect(await member(ada)).toMatchObject({ role: 'admin' });
    // The hand-made admin steps down: Ada, admin through the group, is the only one left.
    await t.http
      .patch(`/api/workspaces/${ws.slug}/members/${ws.adminId}`)
      .set('Authorization', t.internal)
      .send({ role: 'member' })
      .expect(200);

    await holdWorkspaceLock();
    const removal = scim()
      .patch(`/Groups/${group.body.id as string}`, [
        { op: 'remove', path: `members[value eq "${ada}"]` },
      ])
      .then((res) => res);
    expect(await settlesWithin(removal, 400)).toBe(false);
    await releaseWorkspaceLock();
    expect((await removal).status).toBe(204);
    expect(await member(ada)).toMatchObject({ role: 'member' });
    expect(await audit('workspace.no_active_admin')).toHaveLength(1);
  });

  it('links an existing member (which may demote them) under the lock, and records the gap', async () => {
    await holdWorkspaceLock();
    // The workspace's only admin, made by hand, is now provisioned without the admin role.
    const link = scim()
      .post('/Users', oktaUser(ws.adminEmail))
      .then((res) => res);
    expect(await settlesWithin(link, 400)).toBe(false);
    await releaseWorkspaceLock();
    const res = await link;
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(ws.adminId);
    expect(await member(ws.adminId)).toMatchObject({ role: 'member', status: 'active' });
    expect(await audit('workspace.no_active_admin')).toHaveLength(1);
  });

  it('records the gap once when the last two admins are deactivated at the same time', async () => {
    const admins: string[] = [];
    for (const name of ['ada', 'grace']) {
      const res = await scim()
        .post('/Users', oktaUser(email(name), { role: 'admin' }))
        .expect(201);
      admins.push(res.body.id as string);
    }
    for (const id of admins) expect(await member(id)).toMatchObject({ role: 'admin' });
    await t.http
      .patch(`/api/workspaces/${ws.slug}/members/${ws.adminId}`)
      .set('Authorization', t.internal)
      .send({ status: 'deactivated' })
      .expect(200);

    const results = await Promise.all(
      admins.map((id) =>
        scim().patch(`/Users/${id}`, [{ op: 'replace', value: { active: false } }]),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(await audit('workspace.no_active_admin')).toHaveLength(1);
  });

  it('answers concurrent creates of one userName with one 201 and one 409, not an error', async () => {
    const userName = email('twice');
    const results = await Promise.all([
      scim().post('/Users', oktaUser(userName)),
      scim().post(
        '/Users',
        oktaUser(userName, { emails: [{ primary: true, value: email('other') }] }),
      ),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('creates many members at once, none waiting for another (no lock), all recorded', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => scim().post('/Users', oktaUser(email(`bulk${i}`)))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    const [row] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE workspace_id = $1 AND action = 'member.added' AND channel = 'scim'`,
      [ws.id],
    );
    expect(row!.n).toBe(12);
  });
});

describe('SCIM request log batching', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  beforeAll(async () => {
    t = await startTestApp();
    ws = await scimWorkspace(t);
  });
  afterAll(() => t.close());

  const count = async (prefix: string) => {
    const [row] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM scim_requests WHERE workspace_id = $1 AND path LIKE $2`,
      [ws.id, `${prefix}%`],
    );
    return row!.n;
  };
  const entry = (path: string) => ({
    workspaceId: ws.id,
    method: 'GET',
    path,
    status: 200,
    durationMs: 1,
    userAgent: 'test',
    errorDetail: undefined,
    body: undefined,
  });

  it('queues entries off the request and writes them in batches; an admin reading sees the latest', async () => {
    const log = t.app.get(ScimRequestLog);
    log.record(entry('/scim/v2/Users?batch=first'));
    expect(await count('/scim/v2/Users?batch=first')).toBe(0);
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/scim/requests`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(res.body.items.map((e: { path: string }) => e.path)).toContain(
      '/scim/v2/Users?batch=first',
    );

    for (let i = 0; i < 450; i++) log.record(entry(`/scim/v2/Users?bulk=${i}`));
    await log.flush();
    expect(await count('/scim/v2/Users?bulk=')).toBe(450);
    expect(log.lostWrites()).toBe(0);
  });

  it('writes what is queued when the application shuts down', async () => {
    const other = await startTestApp({}, { sameDatabaseAs: t });
    const log = other.app.get(ScimRequestLog);
    for (let i = 0; i < 9; i++) log.record(entry(`/scim/v2/Users?shutdown=${i}`));
    await other.close();
    expect(await count('/scim/v2/Users?shutdown=')).toBe(9);
    expect(log.lostWrites()).toBe(0);
  });
});
