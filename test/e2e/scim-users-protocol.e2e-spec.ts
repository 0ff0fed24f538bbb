/**
 * SCIM 2.0 Users, protocol level (RFC 7643 / 7644): CRUD, filters, paging, sorting,
 * attributes/excludedAttributes, ETag/If-Match, content types and the error schema.
 * IdP-specific request shapes and product rules live in scim-users-dialects.e2e-spec.ts.
 */
import {
  ENTERPRISE,
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  type ScimWorkspace,
  USER_SCHEMA,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const SCIM_JSON = /^application\/scim\+json/;

type Body = Record<string, unknown>;

describe('SCIM Users protocol', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  // ---- helpers ------------------------------------------------------------------------

  const get = (ws: ScimWorkspace, path: string, query: Record<string, string | number> = {}) =>
    t.http.get(`/scim/v2${path}`).query(query).set('Authorization', ws.auth);
  const send = (
    method: 'post' | 'put' | 'patch',
    ws: ScimWorkspace,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    let req = t.http[method](`/scim/v2${path}`)
      .set('Authorization', ws.auth)
      .set('Content-Type', headers['Content-Type'] ?? 'application/scim+json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const del = (ws: ScimWorkspace, path: string, headers: Record<string, string> = {}) => {
    let req = t.http.delete(`/scim/v2${path}`).set('Authorization', ws.auth);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req;
  };
  const patchOp = (...Operations: Body[]) => ({ schemas: [PATCH_SCHEMA], Operations });

  async function createUser(ws: ScimWorkspace, userName: string, extra: Body = {}) {
    const res = await send('post', ws, '/Users', oktaUser(userName, extra));
    if (res.status !== 201) throw new Error(`create user: ${res.status} ${res.text}`);
    return res.body as Body & { id: string; meta: Body };
  }

  /** A SCIM error: status as a string, scimType when given, a useful detail. */
  function expectScimError(
    res: { status: number; body: Body; headers: Record<string, string> },
    status: number,
    scimType?: string,
  ) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(SCIM_JSON);
    expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
    expect(res.body.status).toBe(String(status));
    if (scimType) expect(res.body.scimType).toBe(scimType);
    else expect(res.body.scimType).toBeUndefined();
    expect(typeof res.body.detail).toBe('string');
    expect((res.body.detail as string).length).toBeGreaterThan(5);
    expect(res.body.detail).not.toMatch(/at .*\.(ts|js):\d+/);
  }

  const ids = (res: { body: Body }) => (res.body.Resources as { id: string }[]).map((r) => r.id);

  // ---- CRUD ---------------------------------------------------------------------------

  describe('CRUD', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
    });

    it('POST creates with meta, Location and ETag; GET returns the same resource', async () => {
      const created = await send(
        'post',
        ws,
        '/Users',
        oktaUser('crud@acme.test', {
          schemas: [USER_SCHEMA, ENTERPRISE],
          nickName: 'Countess',
          title: 'Analyst',
          phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
          [ENTERPRISE]: { employeeNumber: '701', department: 'Engines' },
        }),
      ).expect(201);
      expect(created.headers['content-type']).toMatch(SCIM_JSON);
      const body = created.body as Body & { id: string; meta: Body };
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.headers.location).toBe(`http://gatehouse.test/scim/v2/Users/${body.id}`);
      expect(created.headers.etag).toBe(body.meta.version);
      expect(body).toMatchObject({
        schemas: expect.arrayContaining([USER_SCHEMA, ENTERPRISE]),
        userName: 'crud@acme.test',
        externalId: oktaUser('crud@acme.test').externalId,
        nickName: 'Countess',
        title: 'Analyst',
        active: true,
        groups: [],
        phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
        [ENTERPRISE]: { employeeNumber: '701', department: 'Engines' },
        meta: {
          resourceType: 'User',
          location: `http://gatehouse.test/scim/v2/Users/${body.id}`,
          version: expect.stringMatching(/^W\/".+"$/),
        },
      });
      expect(new Date(body.meta.created as string).toISOString()).toBe(body.meta.created);
      expect(new Date(body.meta.lastModified as string).toISOString()).toBe(body.meta.lastModified);
      expect(body.password).toBeUndefined();

      const read = await get(ws, `/Users/${body.id}`).expect(200);
      expect(read.headers['content-type']).toMatch(SCIM_JSON);
      expect(read.headers.etag).toBe(body.meta.version);
      expect(read.body).toEqual(body);
      // The id is case-insensitive (a UUID).
      await get(ws, `/Users/${body.id.toUpperCase()}`).expect(200);
    });

    it('PUT replaces the whole resource: attributes left out are gone', async () => {
      const user = await createUser(ws, 'put@acme.test', {
        nickName: 'Nick',
        [ENTERPRISE]: { employeeNumber: '1' },
        schemas: [USER_SCHEMA, ENTERPRISE],
      });
      const replaced = await send('put', ws, `/Users/${user.id}`, {
        schemas: [USER_SCHEMA],
        id: user.id,
        userName: 'put@acme.test',
        name: { givenName: 'Put', familyName: 'Replaced' },
        emails: [{ value: 'put@acme.test', primary: true, type: 'work' }],
        active: true,
      }).expect(200);
      expect(replaced.headers['content-type']).toMatch(SCIM_JSON);
      expect(replaced.body.nickName).toBeUndefined();
      expect(replaced.body.externalId).toBeUndefined();
      expect(replaced.body[ENTERPRISE]).toBeUndefined();
      expect(replaced.body.schemas).toEqual([USER_SCHEMA]);
      // formatted is derived from the parts (every User carries it, for Okta).
      expect(replaced.body.name).toEqual({
        givenName: 'Put',
        familyName: 'Replaced',
        formatted: 'Put Replaced',
      });
      expect(replaced.headers.etag).toBe(replaced.body.meta.version);
      expect(replaced.body.meta.version).not.toBe(user.meta.version);
      expect(replaced.body.meta.created).toBe(user.meta.created);
      const member = await t.http
        .get(`/api/workspaces/${ws.slug}/members/${user.id}`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(member.body.fullName).toBe('Put Replaced');
    });

    it('PATCH answers 200 with the resource; DELETE answers 204 and the user is gone', async () => {
      const user = await createUser(ws, 'patchdel@acme.test');
      const patched = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'title', value: 'Engineer' }),
      ).expect(200);
      expect(patched.headers['content-type']).toMatch(SCIM_JSON);
      expect(patched.body).toMatchObject({
        id: user.id,
        title: 'Engineer',
        userName: user.userName,
      });
      expect(patched.headers.etag).toBe(patched.body.meta.version);

      const deleted = await del(ws, `/Users/${user.id}`).expect(204);
      expect(deleted.text).toBe('');
      expectScimError(await get(ws, `/Users/${user.id}`), 404);
      expectScimError(await del(ws, `/Users/${user.id}`), 404);
      expectScimError(
        await send(
          'patch',
          ws,
          `/Users/${user.id}`,
          patchOp({ op: 'replace', path: 'title', value: 'x' }),
        ),
        404,
      );
      expectScimError(
        await send('put', ws, `/Users/${user.id}`, oktaUser('patchdel@acme.test')),
        404,
      );
    });

    it('accepts plain application/json and always answers application/scim+json', async () => {
      const res = await send('post', ws, '/Users', oktaUser('json@acme.test'), {
        'Content-Type': 'application/json',
      }).expect(201);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      const patched = await send(
        'patch',
        ws,
        `/Users/${res.body.id}`,
        patchOp({ op: 'replace', path: 'nickName', value: 'J' }),
        { 'Content-Type': 'application/json; charset=utf-8' },
      ).expect(200);
      expect(patched.body.nickName).toBe('J');
      const listed = await get(ws, '/Users').set('Accept', 'application/json').expect(200);
      expect(listed.headers['content-type']).toMatch(SCIM_JSON);
      expect(listed.body.schemas).toEqual([LIST_SCHEMA]);
    });

    it('never stores or returns the password', async () => {
      const user = await createUser(ws, 'secret@acme.test', { password: 'Sup3r-secret!' });
      expect(user.password).toBeUndefined();
      await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'password', value: 'An0ther-secret!' }),
      ).expect(200);
      await send(
        'put',
        ws,
        `/Users/${user.id}`,
        oktaUser('secret@acme.test', { password: 'Th1rd!' }),
      ).expect(200);
      const [row] = await t.dataSource.query<{ password_hash: string | null; scim_data: Body }[]>(
        `SELECT u.password_hash, m.scim_data FROM users u JOIN memberships m ON m.user_id = u.id
          WHERE u.id = $1`,
        [user.id],
      );
      expect(row?.password_hash).toBeNull();
      expect(JSON.stringify(row?.scim_data)).not.toMatch(/Sup3r|An0ther|Th1rd/);
      const read = await get(ws, `/Users/${user.id}`, { attributes: 'password,userName' }).expect(
        200,
      );
      expect(read.body.password).toBeUndefined();
      const listed = await get(ws, '/Users', { filter: 'userName eq "secret@acme.test"' }).expect(
        200,
      );
      expect(JSON.stringify(listed.body)).not.toMatch(/Sup3r|An0ther|Th1rd/);
    });

    it('keeps groups read-only: ignored on POST and PUT, mutability on PATCH', async () => {
      const group = await send('post', ws, '/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'Read-only check',
      }).expect(201);
      const user = await createUser(ws, 'groups@acme.test', {
        groups: [{ value: group.body.id, display: 'Read-only check' }],
      });
      expect(user.groups).toEqual([]);
      const put = await send(
        'put',
        ws,
        `/Users/${user.id}`,
        oktaUser('groups@acme.test', { groups: [{ value: group.body.id }] }),
      ).expect(200);
      expect(put.body.groups).toEqual([]);
      expectScimError(
        await send(
          'patch',
          ws,
          `/Users/${user.id}`,
          patchOp({ op: 'add', path: 'groups', value: [{ value: group.body.id }] }),
        ),
        400,
        'mutability',
      );
      // Group membership made through /Groups shows on the user.
      await send(
        'patch',
        ws,
        `/Groups/${group.body.id}`,
        patchOp({
          op: 'add',
          path: 'members',
          value: [{ value: user.id }],
        }),
      ).expect((r) => expect([200, 204]).toContain(r.status));
      const read = await get(ws, `/Users/${user.id}`).expect(200);
      expect(read.body.groups).toEqual([
        expect.objectContaining({ value: group.body.id, display: 'Read-only check' }),
      ]);
    });
  });

  // ---- readOnly sub-attributes ---------------------------------------------------------

  describe('manager.displayName is readOnly (RFC 7643 §4.3)', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
    });
    let n = 0;
    const boss = { value: 'boss-1', displayName: 'The Boss' };
    const withManager = (manager: Body) => ({
      schemas: [USER_SCHEMA, ENTERPRISE],
      [ENTERPRISE]: { department: 'Engines', manager },
    });
    const stored = async (id: string) => (await get(ws, `/Users/${id}`).expect(200)).body;

    it('POST ignores a displayName sent inside manager (RFC 7644 §3.3)', async () => {
      const user = await createUser(ws, `ro.post.${++n}@ro.test`, withManager(boss));
      expect(user[ENTERPRISE]).toEqual({ department: 'Engines', manager: { value: 'boss-1' } });
      expect((await stored(user.id))[ENTERPRISE]).toEqual(user[ENTERPRISE]);
    });

    it('PUT ignores it too (RFC 7644 §3.5.1)', async () => {
      const userName = `ro.put.${++n}@ro.test`;
      const user = await createUser(ws, userName);
      const res = await send('put', ws, `/Users/${user.id}`, oktaUser(userName, withManager(boss)));
      expect(res.status).toBe(200);
      expect(res.body[ENTERPRISE]).toEqual({ department: 'Engines', manager: { value: 'boss-1' } });
    });

    it('PATCH of manager with a displayName sets the value and ignores the name', async () => {
      const user = await createUser(ws, `ro.patch.${++n}@ro.test`);
      const res = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'add', path: `${ENTERPRISE}:manager`, value: boss }),
      );
      expect(res.status).toBe(200);
      expect(res.body[ENTERPRISE]).toEqual({ manager: { value: 'boss-1' } });
    });

    it('PATCH naming manager.displayName is refused with 400 mutability; nothing changes', async () => {
      const user = await createUser(ws, `ro.path.${++n}@ro.test`, withManager({ value: 'boss-2' }));
      const res = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'Renamed' }),
      );
      expectScimError(res, 400, 'mutability');
      const after = await stored(user.id);
      expect(after[ENTERPRISE]).toEqual({ department: 'Engines', manager: { value: 'boss-2' } });
      expect((after.meta as Body).version).toBe(user.meta.version);
    });

    it('/Schemas describes it as readOnly', async () => {
      const schema = await get(ws, `/Schemas/${ENTERPRISE}`).expect(200);
      const manager = (schema.body.attributes as Body[]).find((a) => a.name === 'manager');
      const displayName = (manager!.subAttributes as Body[]).find((a) => a.name === 'displayName');
      expect(displayName).toMatchObject({ mutability: 'readOnly' });
    });
  });

  // ---- User attributes → the member --------------------------------------------------

  describe('User attributes', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
    });
    let n = 0;

    const member = async (id: string) =>
      (
        await t.http
          .get(`/api/workspaces/${ws.slug}/members/${id}`)
          .set('Authorization', t.internal)
          .expect(200)
      ).body as Body;

    it.each<[string, (u: string) => Body, (u: string) => string]>([
      [
        'the primary email',
        (u) => ({
          emails: [
            { value: `work.${u}`, type: 'work' },
            { value: `primary.${u}`, type: 'other', primary: true },
          ],
        }),
        (u) => `primary.${u}`,
      ],
      [
        'the primary email given as the string "True"',
        (u) => ({
          emails: [
            { value: `work.${u}`, type: 'work', primary: 'False' },
            { value: `primary.${u}`, type: 'home', primary: 'True' },
          ],
        }),
        (u) => `primary.${u}`,
      ],
      [
        'else the first work email',
        (u) => ({
          emails: [
            { value: `home.${u}`, type: 'home' },
            { value: `work.${u}`, type: 'Work' },
            { value: `work2.${u}`, type: 'work' },
          ],
        }),
        (u) => `work.${u}`,
      ],
      [
        'else the userName when it is an email',
        (u) => ({ emails: [{ value: `home.${u}`, type: 'home' }] }),
        (u) => u,
      ],
      ['the userName when there are no emails', () => ({ emails: undefined }), (u) => u],
      [
        'else the only email there is',
        (u) => ({
          userName: `jdoe-${u.split('@')[0]}`,
          emails: [{ value: `home.${u}`, type: 'home' }],
        }),
        (u) => `home.${u}`,
      ],
    ])('the member email is %s', async (_, extra, expected) => {
      const userName = `mail${++n}.${Date.now()}@attributes.test`;
      const created = await send('post', ws, '/Users', oktaUser(userName, extra(userName))).expect(
        201,
      );
      expect((await member(created.body.id)).email).toBe(expected(userName));
    });

    it.each<[string, Body, string | null]>([
      [
        'givenName + familyName',
        { name: { givenName: ' Ada ', familyName: 'Lovelace' } },
        'Ada Lovelace',
      ],
      ['givenName only', { name: { givenName: 'Ada' }, displayName: undefined }, 'Ada'],
      [
        'displayName without a name',
        { name: undefined, displayName: 'The Countess' },
        'The Countess',
      ],
      [
        'name.formatted without parts or displayName',
        { name: { formatted: 'A. A. Lovelace' }, displayName: undefined },
        'A. A. Lovelace',
      ],
      ['nothing', { name: undefined, displayName: undefined }, null],
    ])('the full name from %s', async (_, extra, fullName) => {
      const userName = `name${++n}.${Date.now()}@attributes.test`;
      const created = await send('post', ws, '/Users', oktaUser(userName, extra)).expect(201);
      expect((await member(created.body.id)).fullName).toBe(fullName);
    });

    it('stores externalId as sent (case-exact) and finds it by filter', async () => {
      const userName = `ext${++n}@attributes.test`;
      const created = await createUser(ws, userName, { externalId: '00uAbC123xYz' });
      expect(created.externalId).toBe('00uAbC123xYz');
      const found = await get(ws, '/Users', { filter: 'externalId eq "00uAbC123xYz"' }).expect(200);
      expect(ids(found)).toEqual([created.id]);
      const wrongCase = await get(ws, '/Users', { filter: 'externalId eq "00uabc123xyz"' }).expect(
        200,
      );
      expect(ids(wrongCase)).toEqual([]);
    });

    it('creates a deactivated member when active is false', async () => {
      const created = await createUser(ws, `off${++n}@attributes.test`, { active: 'False' });
      expect(created.active).toBe(false);
      expect((await member(created.id)).status).toBe('deactivated');
    });

    it('a userName is unique against the email of a member the IdP has not named', async () => {
      const handMade = `handmade${++n}@attributes.test`;
      const added = await t.http
        .post(`/api/workspaces/${ws.slug}/members`)
        .set('Authorization', t.internal)
        .send({ email: handMade })
        .expect(201);
      // Lists show that member with userName = email...
      const found = await get(ws, '/Users', { filter: `userName eq "${handMade}"` }).expect(200);
      expect(ids(found)).toEqual([added.body.userId]);
      // ...so another person cannot take it as userName: lookups would find two users.
      const res = await send(
        'post',
        ws,
        '/Users',
        oktaUser(handMade.toUpperCase(), {
          emails: [{ value: `someone.else${n}@attributes.test`, primary: true }],
        }),
      );
      expectScimError(res, 409, 'uniqueness');
      const other = await createUser(ws, `other${n}@attributes.test`);
      expectScimError(
        await send(
          'patch',
          ws,
          `/Users/${other.id}`,
          patchOp({ op: 'replace', path: 'userName', value: handMade }),
        ),
        409,
        'uniqueness',
      );
      // The member themself can be linked under that userName.
      const linked = await createUser(ws, handMade);
      expect(linked.id).toBe(added.body.userId);
    });
  });

  // ---- list, filter, paging, sorting --------------------------------------------------

  describe('list and filters', () => {
    let ws: ScimWorkspace;
    const users: Record<string, Body & { id: string }> = {};
    beforeAll(async () => {
      ws = await scimWorkspace(t);
      users.ada = await createUser(ws, 'ada@filter.test', {
        externalId: 'ext-Ada',
        displayName: 'Ada Lovelace',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        title: 'Countess',
        schemas: [USER_SCHEMA, ENTERPRISE],
        [ENTERPRISE]: { employeeNumber: '1815', department: 'Analytics' },
        emails: [
          { value: 'ada@filter.test', type: 'work', primary: true },
          { value: 'ada@home.test', type: 'home' },
        ],
      });
      users.grace = await createUser(ws, 'grace@filter.test', {
        externalId: 'ext-Grace',
        displayName: 'Grace Hopper',
        name: { givenName: 'Grace', familyName: 'Hopper' },
        title: 'Admiral',
        emails: [{ value: 'grace@filter.test', type: 'work', primary: true }],
        roles: [{ value: 'admin' }],
      });
      users.alan = await createUser(ws, 'alan@filter.test', {
        externalId: 'ext-Alan',
        displayName: 'Alan Turing',
        name: { givenName: 'Alan', familyName: 'Turing' },
        emails: [{ value: 'alan@filter.test', type: 'work', primary: true }],
        active: false,
      });
    });

    const filtered = async (filter: string) =>
      ids(await get(ws, '/Users', { filter }).expect(200)).sort();
    const idsOf = (...names: string[]) => names.map((n) => users[n]!.id).sort();

    it('answers a ListResponse with integer totals', async () => {
      const res = await get(ws, '/Users').expect(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toMatchObject({
        schemas: [LIST_SCHEMA],
        totalResults: 4, // the workspace's first admin is a member too
        startIndex: 1,
        itemsPerPage: 4,
      });
      expect(Number.isInteger(res.body.totalResults)).toBe(true);
      expect(Number.isInteger(res.body.startIndex)).toBe(true);
      expect(Number.isInteger(res.body.itemsPerPage)).toBe(true);
      expect(res.body.Resources).toHaveLength(4);
      const empty = await get(ws, '/Users', { filter: 'userName eq "nobody@filter.test"' }).expect(
        200,
      );
      expect(empty.body).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0 });
      expect(empty.body.Resources).toEqual([]);
    });

    it.each([
      ['userName eq "ada@filter.test"', ['ada']],
      ['userName eq "ADA@Filter.TEST"', ['ada']],
      ['USERNAME eq "ada@filter.test"', ['ada']],
      ['username EQ "ada@filter.test"', ['ada']],
      [`${USER_SCHEMA}:userName eq "ada@filter.test"`, ['ada']],
      ['externalId eq "ext-Grace"', ['grace']],
      ['externalid eq "ext-grace"', []],
      ['emails[type eq "work"].value eq "alan@filter.test"', ['alan']],
      ['emails[type eq "home"].value eq "ada@home.test"', ['ada']],
      ['emails[type eq "work"].value eq "ada@home.test"', []],
      ['emails.value eq "ada@home.test"', ['ada']],
      ['emails eq "grace@filter.test"', ['grace']],
      ['emails[value ew "@home.test"]', ['ada']],
      ['name.familyName sw "Lov"', ['ada']],
      ['name.givenName co "RAC"', ['grace']],
      ['userName ew "@filter.test" and active eq false', ['alan']],
      ['active eq "False"', ['alan']],
      ['title pr', ['ada', 'grace']],
      ['title eq "Countess" or title eq "Admiral"', ['ada', 'grace']],
      ['userName ew "@filter.test" and not (title pr)', ['alan']],
      ['(userName sw "al" or userName sw "g") and title ne "Countess"', ['alan', 'grace']],
      [`${ENTERPRISE}:employeeNumber eq "1815"`, ['ada']],
      [`${ENTERPRISE}:department eq "analytics"`, ['ada']],
      ['roles[value eq "admin"]', ['grace']],
      ['roles.value eq "Admin"', []],
      [
        'meta.created gt "2000-01-01T00:00:00Z" and userName ew "@filter.test"',
        ['ada', 'alan', 'grace'],
      ],
      ['meta.lastModified lt "2000-01-01T00:00:00Z"', []],
    ])('filter %s', async (filter, expected) => {
      expect(await filtered(filter)).toEqual(idsOf(...expected));
    });

    it('filters by id', async () => {
      expect(await filtered(`id eq "${users.grace!.id}"`)).toEqual(idsOf('grace'));
    });

    it.each([
      'nope eq "x"',
      'name.nope eq "x"',
      'emails[nope eq "x"]',
      'urn:example:unknown:User:foo eq "x"',
      `${ENTERPRISE}:nope eq "x"`,
      'userName eq',
      'userName xx "a"',
      'userName eq "unterminated',
      '((userName eq "a")',
      'userName eq "a")',
      'emails[type eq "work"',
      'and',
      'userName eq "a" and',
      'active eq "maybe"',
      'meta.created gt "yesterday"',
      'active gt true',
      'userName eq null',
      'userName eq 12',
      'emails[type eq "work"].nope eq "x"',
      'userName eq "\\q"',
    ])('refuses the filter %s with 400 invalidFilter', async (filter) => {
      expectScimError(await get(ws, '/Users', { filter }), 400, 'invalidFilter');
    });

    it('POST /Users/.search filters, pages and projects like GET', async () => {
      const res = await send('post', ws, '/Users/.search', {
        schemas: [SEARCH_SCHEMA],
        filter: 'userName ew "@filter.test"',
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 2,
        count: 1,
        attributes: ['userName'],
      }).expect(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
      expect(res.body.Resources).toEqual([
        { schemas: [USER_SCHEMA], id: users.alan!.id, userName: 'alan@filter.test' },
      ]);
      const excluded = await send('post', ws, '/Users/.search', {
        schemas: [SEARCH_SCHEMA],
        filter: 'userName eq "ada@filter.test"',
        excludedAttributes: ['emails', 'groups'],
      }).expect(200);
      expect(excluded.body.Resources[0].emails).toBeUndefined();
      expect(excluded.body.Resources[0].userName).toBe('ada@filter.test');
      expectScimError(
        await send('post', ws, '/Users/.search', { filter: 'userName pr' }),
        400,
        'invalidSyntax',
      );
      expectScimError(
        await send('post', ws, '/Users/.search', { schemas: [SEARCH_SCHEMA], filter: 'nope pr' }),
        400,
        'invalidFilter',
      );
      expectScimError(
        await send('post', ws, '/Users/.search', { schemas: [SEARCH_SCHEMA], filter: 42 }),
        400,
        'invalidFilter',
      );
    });

    it.each([
      ['userName', 'ascending', ['ada', 'alan', 'grace']],
      ['userName', 'descending', ['grace', 'alan', 'ada']],
      ['UserName', undefined, ['ada', 'alan', 'grace']],
      [`${USER_SCHEMA}:userName`, 'descending', ['grace', 'alan', 'ada']],
      ['externalId', 'ascending', ['ada', 'alan', 'grace']],
      ['name.familyName', 'ascending', ['grace', 'ada', 'alan']],
      ['name.givenName', 'descending', ['grace', 'alan', 'ada']],
      ['emails.value', 'ascending', ['ada', 'alan', 'grace']],
      ['emails', 'descending', ['grace', 'alan', 'ada']],
      ['displayName', 'ascending', ['ada', 'alan', 'grace']],
    ])('sorts by %s %s', async (sortBy, sortOrder, expected) => {
      const res = await get(ws, '/Users', {
        filter: 'userName ew "@filter.test"',
        sortBy,
        ...(sortOrder && { sortOrder }),
      }).expect(200);
      expect(ids(res)).toEqual(expected.map((n) => users[n]!.id));
    });

    it('refuses a bad sortOrder and an unknown sortBy', async () => {
      expectScimError(
        await get(ws, '/Users', { sortBy: 'userName', sortOrder: 'up' }),
        400,
        'invalidValue',
      );
      expectScimError(await get(ws, '/Users', { sortBy: 'nope' }), 400, 'invalidValue');
    });

    it('projects with attributes and excludedAttributes (case-insensitive, dotted, URN)', async () => {
      const one = { filter: 'userName eq "ada@filter.test"' };
      const only = await get(ws, '/Users', { ...one, attributes: 'userName' }).expect(200);
      expect(only.body.Resources).toEqual([
        { schemas: [USER_SCHEMA, ENTERPRISE], id: users.ada!.id, userName: 'ada@filter.test' },
      ]);
      const nested = await get(ws, `/Users/${users.ada!.id}`, {
        attributes: 'NAME.givenName,emails.value,urn:ietf:params:scim:schemas:core:2.0:User:title',
      }).expect(200);
      expect(nested.body).toEqual({
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: users.ada!.id,
        name: { givenName: 'Ada' },
        emails: [{ value: 'ada@filter.test' }, { value: 'ada@home.test' }],
        title: 'Countess',
      });
      const extension = await get(ws, `/Users/${users.ada!.id}`, {
        attributes: `${ENTERPRISE}:employeeNumber`,
      }).expect(200);
      expect(extension.body[ENTERPRISE]).toEqual({ employeeNumber: '1815' });
      expect(extension.body.userName).toBeUndefined();

      const excluded = await get(ws, `/Users/${users.ada!.id}`, {
        excludedAttributes: 'emails,Groups,name.familyName,id,schemas,meta',
      }).expect(200);
      expect(excluded.body.id).toBe(users.ada!.id);
      expect(excluded.body.schemas).toBeDefined();
      expect(excluded.body.emails).toBeUndefined();
      expect(excluded.body.groups).toBeUndefined();
      expect(excluded.body.meta).toBeUndefined();
      expect(excluded.body.name).toEqual({ givenName: 'Ada', formatted: 'Ada Lovelace' });
      expect(excluded.body.userName).toBe('ada@filter.test');
      const noExtension = await get(ws, `/Users/${users.ada!.id}`, {
        excludedAttributes: ENTERPRISE,
      }).expect(200);
      expect(noExtension.body[ENTERPRISE]).toBeUndefined();

      const patched = await t.http
        .patch(`/scim/v2/Users/${users.ada!.id}?attributes=userName`)
        .set('Authorization', ws.auth)
        .send(patchOp({ op: 'replace', path: 'nickName', value: 'Ada' }))
        .expect(200);
      expect(patched.body).toEqual({
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: users.ada!.id,
        userName: 'ada@filter.test',
      });
    });

    it('honours attributes on POST and PUT responses too', async () => {
      const created = await t.http
        .post('/scim/v2/Users?attributes=userName')
        .set('Authorization', ws.auth)
        .send(oktaUser('projected@filter.test'))
        .expect(201);
      expect(Object.keys(created.body).sort()).toEqual(['id', 'schemas', 'userName']);
      expect(created.headers.location).toContain(created.body.id);
      const replaced = await t.http
        .put(`/scim/v2/Users/${created.body.id}?excludedAttributes=emails`)
        .set('Authorization', ws.auth)
        .send(oktaUser('projected@filter.test'))
        .expect(200);
      expect(replaced.body.emails).toBeUndefined();
      expect(replaced.body.userName).toBe('projected@filter.test');
      await del(ws, `/Users/${created.body.id}`).expect(204);
    });
  });

  describe('paging', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
      // 1,100 members more than the first admin, in one statement.
      await t.dataSource.query(
        `WITH made AS (
           INSERT INTO users (email, full_name)
           SELECT format('bulk%s@paging.test', lpad(i::text, 4, '0')), format('Bulk %s', i)
             FROM generate_series(1, 1100) AS i
           RETURNING id)
         INSERT INTO memberships (workspace_id, user_id, role, status, source)
         SELECT $1, id, 'member', 'active', 'manual' FROM made`,
        [ws.id],
      );
    });

    it('defaults count to 100 and caps it at 1000', async () => {
      const first = await get(ws, '/Users').expect(200);
      expect(first.body).toMatchObject({ totalResults: 1101, startIndex: 1, itemsPerPage: 100 });
      expect(first.body.Resources).toHaveLength(100);
      const capped = await get(ws, '/Users', { count: 5000, attributes: 'userName' }).expect(200);
      expect(capped.body).toMatchObject({ totalResults: 1101, itemsPerPage: 1000 });
      const last = await get(ws, '/Users', { startIndex: 1001, count: 1000 }).expect(200);
      expect(last.body).toMatchObject({ totalResults: 1101, startIndex: 1001, itemsPerPage: 101 });
    });

    it('pages in a stable order without gaps or repeats', async () => {
      const filter = 'userName sw "bulk00"'; // bulk0001..bulk0099
      const seen: string[] = [];
      for (let startIndex = 1; startIndex <= 99; startIndex += 10) {
        const page = await get(ws, '/Users', { filter, startIndex, count: 10 }).expect(200);
        expect(page.body.totalResults).toBe(99);
        expect(page.body.startIndex).toBe(startIndex);
        seen.push(...ids(page));
      }
      expect(seen).toHaveLength(99);
      expect(new Set(seen).size).toBe(99);
      const whole = await get(ws, '/Users', { filter, count: 200 }).expect(200);
      expect(ids(whole)).toEqual(seen);
      const sorted = await get(ws, '/Users', {
        filter,
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 2,
        count: 2,
      }).expect(200);
      expect(sorted.body.Resources.map((r: Body) => r.userName)).toEqual([
        'bulk0098@paging.test',
        'bulk0097@paging.test',
      ]);
    });

    it('reads startIndex below 1 as 1, a negative count as 0, and past the end as empty', async () => {
      const filter = 'userName sw "bulk000"'; // 9 users
      const zero = await get(ws, '/Users', { filter, startIndex: 0, count: 3 }).expect(200);
      expect(zero.body).toMatchObject({ startIndex: 1, itemsPerPage: 3, totalResults: 9 });
      const none = await get(ws, '/Users', { filter, count: 0 }).expect(200);
      expect(none.body).toMatchObject({ totalResults: 9, itemsPerPage: 0, Resources: [] });
      const negative = await get(ws, '/Users', { filter, count: -5 }).expect(200);
      expect(negative.body).toMatchObject({ totalResults: 9, itemsPerPage: 0 });
      const past = await get(ws, '/Users', { filter, startIndex: 50 }).expect(200);
      expect(past.body).toMatchObject({ totalResults: 9, startIndex: 50, itemsPerPage: 0 });
      expect(past.body.Resources).toEqual([]);
      expectScimError(await get(ws, '/Users', { count: 'ten' }), 400, 'invalidValue');
      expectScimError(await get(ws, '/Users', { startIndex: '1.5' }), 400, 'invalidValue');
    });
  });

  // ---- ETag / If-Match ----------------------------------------------------------------

  describe('ETag and If-Match', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
    });

    it('412 on a stale version for PUT, PATCH and DELETE; the current one or * passes', async () => {
      const user = await createUser(ws, 'etag@acme.test');
      const v1 = user.meta.version as string;
      const patched = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'title', value: 'One' }),
        { 'If-Match': v1 },
      ).expect(200);
      const v2 = patched.body.meta.version as string;
      expect(v2).not.toBe(v1);
      expect(patched.headers.etag).toBe(v2);

      const stalePatch = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'title', value: 'Two' }),
        { 'If-Match': v1 },
      );
      expectScimError(stalePatch, 412);
      expect(stalePatch.body.detail).toContain(v2);
      expectScimError(
        await send('put', ws, `/Users/${user.id}`, oktaUser('etag@acme.test'), { 'If-Match': v1 }),
        412,
      );
      expectScimError(await del(ws, `/Users/${user.id}`, { 'If-Match': v1 }), 412);
      // Nothing changed.
      const read = await get(ws, `/Users/${user.id}`).expect(200);
      expect(read.body.title).toBe('One');
      expect(read.headers.etag).toBe(v2);

      const put = await send('put', ws, `/Users/${user.id}`, oktaUser('etag@acme.test'), {
        'If-Match': `W/"0", ${v2}`,
      }).expect(200);
      await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'title', value: 'Star' }),
        { 'If-Match': '*' },
      ).expect(200);
      expect(put.body.meta.version).not.toBe(v2);
      const current = (await get(ws, `/Users/${user.id}`).expect(200)).headers.etag as string;
      await del(ws, `/Users/${user.id}`, { 'If-Match': current }).expect(204);
    });

    it('advertises etag, sort, filter and patch support', async () => {
      const res = await get(ws, '/ServiceProviderConfig').expect(200);
      expect(res.body).toMatchObject({
        etag: { supported: true },
        sort: { supported: true },
        patch: { supported: true },
        filter: { supported: true, maxResults: 1000 },
      });
    });
  });

  // ---- errors -------------------------------------------------------------------------

  describe('errors', () => {
    let ws: ScimWorkspace;
    let user: Body & { id: string };
    beforeAll(async () => {
      ws = await scimWorkspace(t);
      user = await createUser(ws, 'errors@acme.test');
    });

    it('401 without a valid bearer token', async () => {
      expectScimError(await t.http.get('/scim/v2/Users'), 401);
      expectScimError(
        await t.http.get('/scim/v2/Users').set('Authorization', `Basic ${ws.token}`),
        401,
      );
      expectScimError(
        await t.http
          .post('/scim/v2/Users')
          .set('Authorization', 'Bearer wrong')
          .send(oktaUser('x@y.test')),
        401,
      );
    });

    it('404 for unknown or malformed ids and users of other workspaces', async () => {
      expectScimError(await get(ws, '/Users/00000000-0000-4000-8000-000000000000'), 404);
      expectScimError(await get(ws, '/Users/not-a-uuid'), 404);
      const other = await scimWorkspace(t);
      expectScimError(await get(other, `/Users/${user.id}`), 404);
      expectScimError(
        await send(
          'patch',
          other,
          `/Users/${user.id}`,
          patchOp({ op: 'replace', path: 'title', value: 'x' }),
        ),
        404,
      );
      expectScimError(await del(other, `/Users/${user.id}`), 404);
    });

    it('409 uniqueness for a userName taken in the workspace, in any case', async () => {
      const res = await send(
        'post',
        ws,
        '/Users',
        oktaUser('ERRORS@acme.test', {
          emails: [{ value: 'someone-else@acme.test', primary: true }],
        }),
      );
      expectScimError(res, 409, 'uniqueness');
      expect(res.body.detail).toContain('ERRORS@acme.test');
      const second = await createUser(ws, 'second@acme.test');
      expectScimError(
        await send(
          'patch',
          ws,
          `/Users/${second.id}`,
          patchOp({ op: 'replace', path: 'userName', value: 'Errors@Acme.test' }),
        ),
        409,
        'uniqueness',
      );
      expectScimError(
        await send(
          'put',
          ws,
          `/Users/${second.id}`,
          oktaUser('errors@acme.test', {
            emails: [{ value: 'second@acme.test', primary: true }],
          }),
        ),
        409,
        'uniqueness',
      );
    });

    it.each<[string, unknown, string]>([
      ['no schemas', { userName: 'a@b.test' }, 'invalidSyntax'],
      ['a body that is not an object', '[1,2]', 'invalidSyntax'],
      ['no userName', { schemas: [USER_SCHEMA], emails: [{ value: 'a@b.test' }] }, 'invalidValue'],
      ['a blank userName', { schemas: [USER_SCHEMA], userName: '  ' }, 'invalidValue'],
      ['a userName that is not a string', { schemas: [USER_SCHEMA], userName: 42 }, 'invalidValue'],
      ['no email at all', { schemas: [USER_SCHEMA], userName: 'jdoe' }, 'invalidValue'],
      [
        'an email that is not one',
        { schemas: [USER_SCHEMA], userName: 'jdoe', emails: [{ value: 'nope', primary: true }] },
        'invalidValue',
      ],
      [
        'active that is not a boolean',
        { ...oktaUser('bad@b.test'), active: 'maybe' },
        'invalidValue',
      ],
    ])('POST with %s → 400 %s', async (_, body, scimType) => {
      const res = await send('post', ws, '/Users', body);
      expectScimError(res, 400, scimType);
    });

    it.each<[string, unknown, string]>([
      [
        'no PatchOp schema',
        { Operations: [{ op: 'replace', path: 'title', value: 'x' }] },
        'invalidSyntax',
      ],
      ['no Operations', { schemas: [PATCH_SCHEMA] }, 'invalidSyntax'],
      ['an unknown op', patchOp({ op: 'move', path: 'title', value: 'x' }), 'invalidSyntax'],
      ['add without value', patchOp({ op: 'add', path: 'title' }), 'invalidSyntax'],
      [
        'a path-less op with a string value',
        patchOp({ op: 'replace', value: 'x' }),
        'invalidSyntax',
      ],
      ['an unknown attribute', patchOp({ op: 'replace', path: 'nope', value: 'x' }), 'invalidPath'],
      [
        'an unknown sub-attribute',
        patchOp({ op: 'replace', path: 'name.nope', value: 'x' }),
        'invalidPath',
      ],
      [
        'an unknown schema',
        patchOp({ op: 'replace', path: 'urn:x:y:User:title', value: 'x' }),
        'invalidPath',
      ],
      [
        'a bad value filter',
        patchOp({ op: 'replace', path: 'emails[type eq].value', value: 'x' }),
        'invalidPath',
      ],
      ['remove without path', patchOp({ op: 'remove' }), 'noTarget'],
      [
        'a filter matching nothing that describes no value',
        patchOp({ op: 'replace', path: 'emails[type co "zz"].value', value: 'x@y.test' }),
        'noTarget',
      ],
      [
        'replace id',
        patchOp({ op: 'replace', path: 'id', value: '5e9b0c3a-0000-4000-8000-000000000000' }),
        'mutability',
      ],
      [
        'replace meta',
        patchOp({ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }),
        'mutability',
      ],
      ['remove userName', patchOp({ op: 'remove', path: 'userName' }), 'mutability'],
      ['a wrong type', patchOp({ op: 'replace', path: 'active', value: 'maybe' }), 'invalidValue'],
      [
        'a number as a string attribute',
        patchOp({ op: 'replace', path: 'title', value: 7 }),
        'invalidValue',
      ],
      [
        'an array for a single value',
        patchOp({ op: 'replace', path: 'title', value: ['a'] }),
        'invalidValue',
      ],
    ])('PATCH with %s → 400 %s', async (_, body, scimType) => {
      const before = (await get(ws, `/Users/${user.id}`).expect(200)).body;
      const res = await send('patch', ws, `/Users/${user.id}`, body);
      expectScimError(res, 400, scimType);
      const after = (await get(ws, `/Users/${user.id}`).expect(200)).body;
      expect(after).toEqual(before);
    });

    it('PUT with another id in the body → 400 mutability; without schemas → invalidSyntax', async () => {
      expectScimError(
        await send('put', ws, `/Users/${user.id}`, {
          ...oktaUser('errors@acme.test'),
          id: '00000000-0000-4000-8000-000000000000',
        }),
        400,
        'mutability',
      );
      expectScimError(
        await send('put', ws, `/Users/${user.id}`, { userName: 'errors@acme.test' }),
        400,
        'invalidSyntax',
      );
    });

    /* Raised before a SCIM route runs (body parser, router): still the SCIM error schema. */
    describe('errors raised before routing', () => {
      it('malformed JSON → 400 invalidSyntax', async () => {
        expectScimError(await send('post', ws, '/Users', '{"schemas": ['), 400, 'invalidSyntax');
      });

      it('a body over the limit → 413', async () => {
        const res = await send('post', ws, '/Users', {
          ...oktaUser('big@acme.test'),
          nickName: 'x'.repeat(6 * 1024 * 1024),
        });
        expectScimError(res, 413);
      });

      it('an unknown SCIM endpoint → 404', async () => {
        expectScimError(await get(ws, '/Nope'), 404);
      });

      it('an unsupported method on a SCIM endpoint → never a 500', async () => {
        const res = await t.http
          .put('/scim/v2/ServiceProviderConfig')
          .set('Authorization', ws.auth)
          .send({});
        expect([404, 405]).toContain(res.status);
        expectScimError(res, res.status);
      });
    });

    it('logs the failure detail in the request log', async () => {
      await get(ws, '/Users', { filter: 'nope eq "x"' }).expect(400);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const log = await t.http
        .get(`/api/workspaces/${ws.slug}/scim/requests`)
        .set('Authorization', t.internal)
        .expect(200);
      const entry = (log.body.items as Body[]).find((e) => (e.path as string).includes('filter='));
      expect(entry).toMatchObject({ status: 400, errorDetail: expect.stringContaining('nope') });
    });
  });
});
