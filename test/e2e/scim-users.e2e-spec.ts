import { verifyDomain } from '../support/fixtures.js';
import {
  ENTERPRISE,
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  USER_SCHEMA,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('SCIM Users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates, reads, lists, filters, patches, replaces and deletes users', async () => {
    const ws = await scimWorkspace(t);
    const created = await t.http
      .post('/scim/v2/Users')
      .set('Authorization', ws.auth)
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify(oktaUser('ada@acme.test')))
      .expect(201);
    expect(created.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(created.headers.location).toBe(`http://gatehouse.test/scim/v2/Users/${created.body.id}`);
    expect(created.body).toMatchObject({
      schemas: [USER_SCHEMA],
      userName: 'ada@acme.test',
      active: true,
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: 'ada@acme.test', primary: true, type: 'work' }],
      meta: { resourceType: 'User', version: expect.stringMatching(/^W\//) },
    });
    expect(created.body.password).toBeUndefined();
    const id = created.body.id as string;

    const member = await t.http
      .get(`/api/workspaces/${ws.slug}/members/${id}`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(member.body).toMatchObject({
      fullName: 'Ada Lovelace',
      source: 'scim',
      scimManaged: true,
      role: 'member',
    });

    const byUserName = await t.http
      .get('/scim/v2/Users')
      .query({ filter: 'userName eq "ADA@acme.test"' })
      .set('Authorization', ws.auth)
      .expect(200);
    expect(byUserName.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(byUserName.body.Resources[0].id).toBe(id);

    const patched = await t.http
      .patch(`/scim/v2/Users/${id}`)
      .set('Authorization', ws.auth)
      .send({
        schemas: [PATCH_SCHEMA],
        Operations: [
          { op: 'Replace', path: 'name.givenName', value: 'Augusta' },
          { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '42' },
          { op: 'Replace', path: 'active', value: 'False' },
        ],
      })
      .expect(200);
    expect(patched.body).toMatchObject({
      active: false,
      name: { givenName: 'Augusta' },
      [ENTERPRISE]: { employeeNumber: '42' },
    });

    const replaced = await t.http
      .put(`/scim/v2/Users/${id}`)
      .set('Authorization', ws.auth)
      .send({
        ...oktaUser('ada@acme.test'),
        active: undefined,
        name: { givenName: 'Ada', familyName: 'King' },
      })
      .expect(200);
    expect(replaced.body).toMatchObject({ active: false, name: { familyName: 'King' } });

    await t.http.delete(`/scim/v2/Users/${id}`).set('Authorization', ws.auth).expect(204);
    await t.http.get(`/scim/v2/Users/${id}`).set('Authorization', ws.auth).expect(404);

    const log = await t.http
      .get(`/api/workspaces/${ws.slug}/scim/requests`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(log.body.items.map((r: { method: string }) => r.method).slice(0, 3)).toEqual([
      'GET',
      'DELETE',
      'PUT',
    ]);
    expect(JSON.stringify(log.body)).not.toContain('not-stored-1!');
  });

  it('refuses a wrong token with a SCIM 401', async () => {
    const res = await t.http.get('/scim/v2/Users').set('Authorization', 'Bearer nope').expect(401);
    expect(res.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '401',
      detail: expect.any(String),
    });
  });
});

describe('SCIM errors before a controller runs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers malformed JSON and unknown routes in the SCIM error schema', async () => {
    const ws = await scimWorkspace(t);
    const bad = await t.http
      .post('/scim/v2/Users')
      .set('Authorization', ws.auth)
      .set('Content-Type', 'application/scim+json')
      .send('{"userName": ')
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(bad.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    const unknown = await t.http.get('/scim/v2/Foo').set('Authorization', ws.auth).expect(404);
    expect(unknown.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
    });
  });
});

describe('SCIM root search', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const search = (ws: { auth: string }, body: object) =>
    t.http
      .post('/scim/v2/.search')
      .set('Authorization', ws.auth)
      .send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], ...body });

  it('searches Users then Groups, paged over both', async () => {
    const ws = await scimWorkspace(t);
    for (const name of ['a@acme.test', 'b@acme.test']) {
      await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .send(oktaUser(name))
        .expect(201);
    }
    await t.http
      .post('/scim/v2/Groups')
      .set('Authorization', ws.auth)
      .send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng' })
      .expect(201);
    const all = await search(ws, {}).expect(200);
    // The workspace's first admin is a user too.
    expect(all.body.totalResults).toBe(4);
    expect(
      all.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType),
    ).toEqual(['User', 'User', 'User', 'Group']);
    const page = await search(ws, { startIndex: 3, count: 2 }).expect(200);
    expect(
      page.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType),
    ).toEqual(['User', 'Group']);
    const groupsOnly = await search(ws, { filter: 'displayName eq "Eng"' }).expect(200);
    expect(groupsOnly.body.totalResults).toBeGreaterThanOrEqual(1);
    expect(
      groupsOnly.body.Resources.some((r: { displayName: string }) => r.displayName === 'Eng'),
    ).toBe(true);
    const usersOnly = await search(ws, { filter: 'userName eq "a@acme.test"' }).expect(200);
    expect(usersOnly.body.totalResults).toBe(1);
  });

  it('refuses a filter that fits neither type, and a body without the SearchRequest schema', async () => {
    const ws = await scimWorkspace(t);
    const bad = await search(ws, { filter: 'shoeSize gt 3' }).expect(400);
    expect(bad.body.scimType).toBe('invalidFilter');
    const noSchema = await t.http
      .post('/scim/v2/.search')
      .set('Authorization', ws.auth)
      .send({})
      .expect(400);
    expect(noSchema.body.scimType).toBe('invalidSyntax');
  });
});

describe('SCIM and the admin API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const createUser = async (ws: { auth: string }, userName: string) =>
    (
      await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .send(oktaUser(userName))
        .expect(201)
    ).body.id as string;

  it('refuses role edits of SCIM-managed members by hand, but lets an admin deactivate them', async () => {
    const ws = await scimWorkspace(t);
    const id = await createUser(ws, 'managed@acme.test');
    const refused = await t.http
      .patch(`/api/workspaces/${ws.slug}/members/${id}`)
      .set('Authorization', t.internal)
      .send({ role: 'admin' })
      .expect(409);
    expect(refused.body.code).toBe('SCIM_MANAGED');
    await t.http
      .patch(`/api/workspaces/${ws.slug}/members/${id}`)
      .set('Authorization', t.internal)
      .send({ status: 'deactivated' })
      .expect(200);
  });

  it("refuses adding by hand someone whose email is another member's SCIM userName: 409, not a 500", async () => {
    const ws = await scimWorkspace(t);
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', ws.auth)
      .send(
        oktaUser('alias@alias.test', {
          emails: [{ primary: true, value: 'real@alias.test', type: 'work' }],
        }),
      )
      .expect(201);
    const res = await t.http
      .post(`/api/workspaces/${ws.slug}/members`)
      .set('Authorization', t.internal)
      .send({ email: 'alias@alias.test' });
    expect([res.status, res.body.code]).toEqual([409, 'SCIM_USER_NAME_TAKEN']);
    const rows = await t.dataSource.query(`SELECT 1 FROM users WHERE email = 'alias@alias.test'`);
    expect(rows).toHaveLength(0);
  });

  it("refuses an email change that would become another member's userName elsewhere: 409, not a 500", async () => {
    const owner = await scimWorkspace(t);
    const elsewhere = await scimWorkspace(t);
    const person = await createUser(owner, 'person@collide.test');
    await t.http
      .post(`/api/workspaces/${elsewhere.slug}/members`)
      .set('Authorization', t.internal)
      .send({ email: 'person@collide.test' })
      .expect(201);
    // In the other workspace, the IdP gave the userName taken@collide.test to someone else.
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', elsewhere.auth)
      .send(
        oktaUser('taken@collide.test', {
          emails: [{ primary: true, value: 'someone@collide.test', type: 'work' }],
        }),
      )
      .expect(201);
    const res = await t.http
      .patch(`/scim/v2/Users/${person}`)
      .set('Authorization', owner.auth)
      .send({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          {
            op: 'replace',
            path: 'emails',
            value: [{ value: 'taken@collide.test', primary: true }],
          },
        ],
      });
    expect([res.status, res.body.scimType]).toEqual([409, 'uniqueness']);
    const [row] = await t.dataSource.query<{ email: string }[]>(
      `SELECT email FROM users WHERE id = $1`,
      [person],
    );
    expect(row?.email).toBe('person@collide.test');
  });

  it('frees a person for another workspace when removed by hand', async () => {
    const a = await scimWorkspace(t);
    const b = await scimWorkspace(t);
    const id = await createUser(a, 'mover@acme.test');
    const taken = await t.http
      .post('/scim/v2/Users')
      .set('Authorization', b.auth)
      .send(oktaUser('mover@acme.test'));
    expect([taken.status, taken.body.scimType]).toEqual([409, 'uniqueness']);
    await t.http
      .delete(`/api/workspaces/${a.slug}/members/${id}`)
      .set('Authorization', t.internal)
      .expect(204);
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', b.auth)
      .send(oktaUser('mover@acme.test'))
      .expect(201);
  });

  it('releases members and groups when SCIM is disabled', async () => {
    const a = await scimWorkspace(t);
    const b = await scimWorkspace(t);
    const id = await createUser(a, 'released@released.test');
    const group = await t.http
      .post('/scim/v2/Groups')
      .set('Authorization', a.auth)
      .send({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Pushed',
        members: [{ value: id }],
      })
      .expect(201);
    const locked = await t.http
      .patch(`/api/workspaces/${a.slug}/groups/${group.body.id}`)
      .set('Authorization', t.internal)
      .send({ displayName: 'Renamed' })
      .expect(409);
    expect(locked.body.code).toBe('SCIM_MANAGED');

    await t.http
      .delete(`/api/workspaces/${a.slug}/scim`)
      .set('Authorization', t.internal)
      .expect(204);
    await t.http
      .patch(`/api/workspaces/${a.slug}/groups/${group.body.id}`)
      .set('Authorization', t.internal)
      .send({ displayName: 'Renamed' })
      .expect(200);
    const member = await t.http
      .get(`/api/workspaces/${a.slug}/members/${id}`)
      .set('Authorization', t.internal);
    expect(member.body).toMatchObject({ scimManaged: false, status: 'active' });
    await t.http
      .patch(`/api/workspaces/${a.slug}/members/${id}`)
      .set('Authorization', t.internal)
      .send({ role: 'admin' })
      .expect(200);
    // Released, the person still belongs to `a` (which made their account): another workspace
    // links them only with authority over their email (docs/security.md).
    const refused = await t.http
      .post('/scim/v2/Users')
      .set('Authorization', b.auth)
      .send(oktaUser('released@released.test'));
    expect([refused.status, refused.body.scimType]).toEqual([409, 'uniqueness']);
    await verifyDomain(t, b.slug, 'released.test');
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', b.auth)
      .send(oktaUser('released@released.test'))
      .expect(201);
  });

  it('gives a hand-made group a new SCIM version when its members change by hand', async () => {
    const ws = await scimWorkspace(t);
    const id = await createUser(ws, 'hand@acme.test');
    const group = await t.http
      .post(`/api/workspaces/${ws.slug}/groups`)
      .set('Authorization', t.internal)
      .send({ displayName: 'Hand-made' })
      .expect(201);
    const before = await t.http
      .get(`/scim/v2/Groups/${group.body.id}`)
      .set('Authorization', ws.auth)
      .expect(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await t.http
      .put(`/api/workspaces/${ws.slug}/groups/${group.body.id}/members/${id}`)
      .set('Authorization', t.internal)
      .expect(204);
    const after = await t.http
      .get(`/scim/v2/Groups/${group.body.id}`)
      .set('Authorization', ws.auth)
      .expect(200);
    expect(after.body.members.map((m: { value: string }) => m.value)).toEqual([id]);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    await t.http
      .put(`/scim/v2/Groups/${group.body.id}`)
      .set('Authorization', ws.auth)
      .set('If-Match', before.headers.etag as string)
      .send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Hand-made' })
      .expect(412);
  });

  it('advertises only userName (User) and displayName (Group) as unique', async () => {
    const ws = await scimWorkspace(t);
    const res = await t.http.get('/scim/v2/Schemas').set('Authorization', ws.auth).expect(200);
    const uniqueness = (schemaId: string, name: string) =>
      res.body.Resources.find((s: { id: string }) => s.id === schemaId).attributes.find(
        (a: { name: string }) => a.name === name,
      ).uniqueness;
    expect(uniqueness(USER_SCHEMA, 'userName')).toBe('server');
    expect(uniqueness(USER_SCHEMA, 'displayName')).toBe('none');
    expect(uniqueness('urn:ietf:params:scim:schemas:core:2.0:Group', 'displayName')).toBe('server');
  });
});
