/**
 * SCIM requests as hand-written API calls (Postman, curl) and Microsoft's SCIM test collection
 * send them: bare-word filter values, attribute names in any case, extension objects that carry
 * their own `schemas`, group members with extra keys, value filters in `attributes`.
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

const GATEHOUSE = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User';
const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

type Body = Record<string, unknown>;

const patchOp = (...Operations: Body[]) => ({ schemas: [PATCH_SCHEMA], Operations });
const sorted = (ids: string[]) => [...ids].sort();

describe('SCIM as real tools send it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const get = (ws: ScimWorkspace, path: string, query: Record<string, string> = {}) =>
    t.http.get(`/scim/v2${path}`).query(query).set('Authorization', ws.auth);
  const send = (method: 'post' | 'put' | 'patch', ws: ScimWorkspace, path: string, body: unknown) =>
    t.http[method](`/scim/v2${path}`)
      .set('Authorization', ws.auth)
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify(body));

  async function create(ws: ScimWorkspace, body: Body): Promise<Body & { id: string }> {
    const res = await send('post', ws, '/Users', body);
    if (res.status !== 201) throw new Error(`create user: ${res.status} ${res.text}`);
    return res.body as Body & { id: string };
  }

  async function createGroup(ws: ScimWorkspace, body: Body): Promise<string> {
    const res = await send('post', ws, '/Groups', { schemas: [GROUP_SCHEMA], ...body });
    if (res.status !== 201) throw new Error(`create group: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  async function memberIds(ws: ScimWorkspace, groupId: string): Promise<string[]> {
    const res = await get(ws, `/Groups/${groupId}`).expect(200);
    return sorted(((res.body.members as Body[] | undefined) ?? []).map((m) => m.value as string));
  }

  async function ids(ws: ScimWorkspace, path: string, filter: string): Promise<string[]> {
    const res = await get(ws, path, { filter });
    expect({ filter, status: res.status, body: res.body as unknown }).toMatchObject({
      status: 200,
    });
    return sorted((res.body.Resources as Body[]).map((r) => r.id as string));
  }

  async function role(ws: ScimWorkspace, userId: string): Promise<unknown> {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/members/${userId}`)
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.role;
  }

  /** Every key of a JSON value, at every depth. */
  function keysOf(value: unknown): string[] {
    if (Array.isArray(value)) return value.flatMap(keysOf);
    if (value && typeof value === 'object') {
      return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
    }
    return [];
  }

  // ---- filters with bare words -----------------------------------------------------------

  describe('filters with bare-word values', () => {
    let ws: ScimWorkspace;
    let olive: string;
    let oscar: string;
    let emp: string;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
      olive = (await create(ws, oktaUser(`olive@${ws.slug}.test`))).id;
      oscar = (await create(ws, oktaUser(`Oscar.Brien@${ws.slug}.test`))).id;
      emp = (
        await create(
          ws,
          oktaUser(`emp@${ws.slug}.test`, { name: { givenName: 'Test', familyName: 'Employee' } }),
        )
      ).id;
    });

    it('userName sw O, name.familyName eq Employee, emails[type eq work]', async () => {
      expect(await ids(ws, '/Users', 'userName sw O')).toEqual(sorted([olive, oscar]));
      expect(await ids(ws, '/Users', 'userName sw o and not (userName co Brien)')).toEqual([olive]);
      expect(await ids(ws, '/Users', 'name.familyName eq Employee')).toEqual([emp]);
      expect(await ids(ws, '/Users', `userName eq emp@${ws.slug}.test`)).toEqual([emp]);
      expect(
        await ids(ws, '/Users', `emails[type eq work and value eq olive@${ws.slug}.test]`),
      ).toEqual([olive]);
      expect(await ids(ws, '/Users', `emails[type eq home]`)).toEqual([]);
    });

    it('meta.created and meta.lastModified against a bare timestamp', async () => {
      // The workspace's admin is a member too.
      const all = sorted([ws.adminId, olive, oscar, emp]);
      expect(await ids(ws, '/Users', 'meta.created gt 2015-10-10T14:38:21.8617979-07:00')).toEqual(
        all,
      );
      expect(await ids(ws, '/Users', 'meta.lastModified ge 2015-10-10T14:38:21+02:00')).toEqual(
        all,
      );
      expect(await ids(ws, '/Users', 'meta.created lt 2015-10-10T14:38:21.8617979-07:00')).toEqual(
        [],
      );
      const { body } = await get(ws, `/Users/${olive}`).expect(200);
      const created = (body.meta as Body).created as string;
      // The value a client was shown finds the user (stored in microseconds, shown in ms).
      expect(await ids(ws, '/Users', `meta.created eq ${created}`)).toContain(olive);
      expect(await ids(ws, '/Users', `meta.created le "${created}"`)).toContain(olive);
      expect(await ids(ws, '/Users', `meta.created ge ${created}`)).toContain(olive);
      expect(await ids(ws, '/Users', `meta.created lt ${created}`)).not.toContain(olive);
      const lastModified = (body.meta as Body).lastModified as string;
      expect(await ids(ws, '/Users', `meta.lastModified eq "${lastModified}"`)).toContain(olive);
    });

    it('Groups and POST .search take bare words too', async () => {
      const group = await createGroup(ws, { displayName: 'Engines', members: [{ value: emp }] });
      expect(await ids(ws, '/Groups', 'displayName eq Engines')).toEqual([group]);
      expect(await ids(ws, '/Groups', `members[value eq ${emp}]`)).toEqual([group]);
      const res = await send('post', ws, '/Users/.search', {
        schemas: [SEARCH_SCHEMA],
        filter: 'name.familyName eq Employee',
      }).expect(200);
      expect((res.body.Resources as Body[]).map((r) => r.id)).toEqual([emp]);
    });

    it('a JSON escape that decodes to text PostgreSQL cannot store is refused, not a 500', async () => {
      for (const escaped of ['a\\u0000b', '\\ud800']) {
        const res = await get(ws, '/Users', { filter: `userName eq "${escaped}"` }).expect(400);
        expect(res.body).toMatchObject({ scimType: 'invalidFilter' });
        const patch = await send(
          'patch',
          ws,
          `/Users/${olive}`,
          patchOp({ op: 'add', path: `emails[type eq "${escaped}"].value`, value: 'x@y.test' }),
        ).expect(400);
        expect(patch.body).toMatchObject({ scimType: 'invalidPath' });
      }
    });

    it.each([
      ['several words', 'name.familyName eq Van Der Berg', /Invalid filter syntax/],
      ['a number for a string', 'userName eq 42', /"userName" is a string/],
      ['a word for a boolean', 'active eq yes', /"active" is a boolean/],
      ['a date without a time', 'meta.created gt 2015-10-10', /is a dateTime/],
      ['a parenthesised word', 'userName sw (O)', /Invalid filter syntax/],
    ])('still refuses %s (invalidFilter)', async (_, filter, detail) => {
      const res = await get(ws, '/Users', { filter }).expect(400);
      expect(res.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
      expect(res.body.detail).toMatch(detail);
    });
  });

  // ---- attribute names in any case --------------------------------------------------------

  describe('attribute names in any case are stored and answered canonically', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t, 'azure');
    });

    const CANONICAL = new Set([
      ...['schemas', 'id', 'externalId', 'userName', 'name', 'givenName', 'familyName'],
      ...['formatted', 'displayName', 'emails', 'value', 'type', 'primary', 'active', 'groups'],
      ...['meta', 'resourceType', 'created', 'lastModified', 'location', 'version', 'locale'],
      ...['phoneNumbers', 'title', 'department', 'manager', 'roles', ENTERPRISE],
    ]);
    /** The keys of `body` not in their canonical spelling. */
    const nonCanonical = (body: unknown) =>
      keysOf(body).filter((k) => !CANONICAL.has(k) && k !== 'ShoeSize');

    it('POST: UserName, Name.GivenName, Emails[].Primary/Value/Type, an extension in capitals', async () => {
      const email = `Mixed@${ws.slug}.test`;
      const res = await send('post', ws, '/Users', {
        Schemas: [USER_SCHEMA, ENTERPRISE.toUpperCase()],
        UserName: email,
        ExternalId: 'ext-mixed',
        Name: { GivenName: 'Mia', FamilyName: 'Mixed' },
        Emails: [{ Primary: true, Value: email, Type: 'work' }],
        PhoneNumbers: [{ Value: '555-0100', Type: 'work' }],
        Active: true,
        [ENTERPRISE.toUpperCase()]: { Department: 'Engines', Manager: { Value: 'boss-1' } },
        ShoeSize: '9',
      }).expect(201);
      for (const body of [res.body, (await get(ws, `/Users/${res.body.id}`).expect(200)).body]) {
        expect(nonCanonical(body)).toEqual([]);
        expect(body).toMatchObject({
          userName: email,
          externalId: 'ext-mixed',
          name: { givenName: 'Mia', familyName: 'Mixed' },
          emails: [{ primary: true, value: email, type: 'work' }],
          phoneNumbers: [{ value: '555-0100', type: 'work' }],
          active: true,
          [ENTERPRISE]: { department: 'Engines', manager: { value: 'boss-1' } },
          ShoeSize: '9',
        });
      }
      // Stored canonically: the SQL filters read `primary`, `givenName` and the extension key.
      const id = res.body.id as string;
      expect(await ids(ws, '/Users', 'emails[primary eq true and type eq "work"]')).toContain(id);
      expect(await ids(ws, '/Users', 'name.givenName eq "Mia"')).toEqual([id]);
      expect(await ids(ws, '/Users', `${ENTERPRISE}:department eq "Engines"`)).toEqual([id]);
    });

    it('PUT: Active false deactivates; names come back canonical', async () => {
      const email = `put@${ws.slug}.test`;
      const user = await create(ws, oktaUser(email));
      const res = await send('put', ws, `/Users/${user.id}`, {
        SCHEMAS: [USER_SCHEMA],
        ID: user.id,
        USERNAME: email,
        Emails: [{ VALUE: email, PRIMARY: true }],
        DisplayName: 'Put Person',
        Active: false,
      }).expect(200);
      expect(nonCanonical(res.body)).toEqual([]);
      expect(res.body).toMatchObject({
        displayName: 'Put Person',
        active: false,
        emails: [{ value: email, primary: true }],
      });
    });

    it('PATCH: paths and values in any case', async () => {
      const email = `patch@${ws.slug}.test`;
      const user = await create(ws, oktaUser(email));
      const res = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp(
          { op: 'Replace', path: 'Name.GivenName', value: 'Pat' },
          { op: 'Add', path: 'PhoneNumbers[Type eq "work"].Value', value: '555-0199' },
          {
            op: 'Replace',
            value: { Title: 'Engineer', Emails: [{ Value: email, Primary: true }] },
          },
          { op: 'Add', value: { [ENTERPRISE.toLowerCase()]: { DEPARTMENT: 'Ops' } } },
        ),
      ).expect(200);
      expect(nonCanonical(res.body)).toEqual([]);
      expect(res.body).toMatchObject({
        name: { givenName: 'Pat' },
        phoneNumbers: [{ type: 'work', value: '555-0199' }],
        title: 'Engineer',
        emails: [{ value: email, primary: true }],
        [ENTERPRISE]: { department: 'Ops' },
      });
    });

    it('Roles in any case: the value "admin" still decides, case-sensitively', async () => {
      const admin = await create(ws, {
        ...oktaUser(`roles-admin@${ws.slug}.test`),
        Roles: [{ Value: 'admin', Type: 'WindowsAzureActiveDirectoryRole' }],
      });
      const notAdmin = await create(ws, {
        ...oktaUser(`roles-member@${ws.slug}.test`),
        Roles: [{ Value: 'Admin' }],
      });
      const viaExtension = await create(ws, {
        ...oktaUser(`ext-admin@${ws.slug}.test`),
        [GATEHOUSE.toUpperCase()]: { Role: 'admin' },
      });
      expect(await role(ws, admin.id)).toBe('admin');
      expect(await role(ws, notAdmin.id)).toBe('member');
      expect(await role(ws, viaExtension.id)).toBe('admin');
    });

    it('a __proto__ key neither grants a role nor becomes an attribute', async () => {
      const email = `proto@${ws.slug}.test`;
      const body = JSON.stringify(oktaUser(email)).replace(
        /^\{/,
        '{"__proto__":{"role":"admin","roles":[{"value":"admin"}]},',
      );
      const res = await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .set('Content-Type', 'application/scim+json')
        .send(body);
      expect(res.status).toBe(201);
      expect(await role(ws, res.body.id as string)).toBe('member');
      expect(res.body.role).toBeUndefined();
      expect(res.body.roles).toBeUndefined();
    });

    it('Groups: DisplayName and Members[].Value on POST and PUT', async () => {
      const a = (await create(ws, oktaUser(`ga@${ws.slug}.test`))).id;
      const b = (await create(ws, oktaUser(`gb@${ws.slug}.test`))).id;
      const res = await send('post', ws, '/Groups', {
        SCHEMAS: [GROUP_SCHEMA],
        DisplayName: 'Cased',
        Members: [{ Value: a }],
      }).expect(201);
      expect(res.body).toMatchObject({ displayName: 'Cased', members: [{ value: a }] });
      const id = res.body.id as string;
      await send('put', ws, `/Groups/${id}`, {
        schemas: [GROUP_SCHEMA],
        displayName: 'Cased',
        MEMBERS: [{ VALUE: a }, { Value: b }],
      }).expect(200);
      expect(await memberIds(ws, id)).toEqual(sorted([a, b]));
    });
  });

  // ---- extension objects with schemas ------------------------------------------------------

  describe('a PATCH value for an extension object that carries its own schemas', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t, 'azure');
    });

    it('path-less: {"<enterprise URN>": {"schemas": [...], "department": "X"}}', async () => {
      const user = await create(ws, oktaUser(`ext1@${ws.slug}.test`));
      const res = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({
          op: 'replace',
          value: { [ENTERPRISE]: { schemas: [ENTERPRISE], department: 'X' } },
        }),
      ).expect(200);
      expect(res.body[ENTERPRISE]).toEqual({ department: 'X' });
      expect(res.body.schemas).toContain(ENTERPRISE);
    });

    it('path = the extension URN, value carrying schemas', async () => {
      const user = await create(ws, oktaUser(`ext2@${ws.slug}.test`));
      const res = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({
          op: 'add',
          path: ENTERPRISE,
          value: { schemas: [ENTERPRISE], department: 'Y', costCenter: '4130' },
        }),
      ).expect(200);
      expect(res.body[ENTERPRISE]).toEqual({ department: 'Y', costCenter: '4130' });
    });

    it('POST with an extension object carrying schemas stores no schemas inside it', async () => {
      const res = await send('post', ws, '/Users', {
        ...oktaUser(`ext3@${ws.slug}.test`),
        schemas: [USER_SCHEMA, ENTERPRISE],
        [ENTERPRISE]: { schemas: [ENTERPRISE], department: 'Z' },
      }).expect(201);
      expect(res.body[ENTERPRISE]).toEqual({ department: 'Z' });
    });

    it('an unknown attribute in the extension object is still invalidPath', async () => {
      const user = await create(ws, oktaUser(`ext4@${ws.slug}.test`));
      const res = await send(
        'patch',
        ws,
        `/Users/${user.id}`,
        patchOp({ op: 'add', path: ENTERPRISE, value: { schemas: [], badgeNumber: '1' } }),
      ).expect(400);
      expect(res.body).toMatchObject({ scimType: 'invalidPath' });
    });
  });

  // ---- group members with extra keys --------------------------------------------------------

  describe("group members with extra keys (Microsoft's test collection)", () => {
    let ws: ScimWorkspace;
    let a: string;
    let b: string;
    let c: string;
    beforeAll(async () => {
      ws = await scimWorkspace(t, 'azure');
      a = (await create(ws, oktaUser(`ma@${ws.slug}.test`))).id;
      b = (await create(ws, oktaUser(`mb@${ws.slug}.test`))).id;
      c = (await create(ws, oktaUser(`mc@${ws.slug}.test`))).id;
    });

    it('POST and PUT with {"displayName": ..., "value": id}', async () => {
      const id = await createGroup(ws, {
        displayName: 'With names',
        members: [{ displayName: 'new User', value: a }],
      });
      expect(await memberIds(ws, id)).toEqual([a]);
      await send('put', ws, `/Groups/${id}`, {
        schemas: [GROUP_SCHEMA],
        displayName: 'With names',
        members: [
          { displayName: 'A', value: a },
          { displayName: 'B', value: b },
        ],
      }).expect(200);
      expect(await memberIds(ws, id)).toEqual(sorted([a, b]));
    });

    it('PATCH add, replace and remove with {"displayName": ..., "value": id}', async () => {
      const id = await createGroup(ws, { displayName: 'Patched names' });
      await send(
        'patch',
        ws,
        `/Groups/${id}`,
        patchOp({ op: 'Add', path: 'members', value: [{ displayName: 'new User', value: a }] }),
      ).expect(204);
      expect(await memberIds(ws, id)).toEqual([a]);
      await send(
        'patch',
        ws,
        `/Groups/${id}`,
        patchOp({
          op: 'replace',
          value: {
            members: [
              { displayName: 'B', value: b },
              { displayName: 'C', value: c },
            ],
          },
        }),
      ).expect(204);
      expect(await memberIds(ws, id)).toEqual(sorted([b, c]));
      await send(
        'patch',
        ws,
        `/Groups/${id}`,
        patchOp({ op: 'Remove', path: 'members', value: [{ displayName: 'B', value: b }] }),
      ).expect(204);
      expect(await memberIds(ws, id)).toEqual([c]);
      await send(
        'patch',
        ws,
        `/Groups/${id}`,
        patchOp({ op: 'remove', path: `members[value eq ${c}]` }),
      ).expect(204);
      expect(await memberIds(ws, id)).toEqual([]);
    });

    it('a member without a value is still refused', async () => {
      const id = await createGroup(ws, { displayName: 'No value' });
      const res = await send(
        'patch',
        ws,
        `/Groups/${id}`,
        patchOp({ op: 'add', path: 'members', value: [{ displayName: 'new User' }] }),
      ).expect(400);
      expect(res.body).toMatchObject({ scimType: 'invalidValue' });
    });
  });

  // ---- value filters in attributes / excludedAttributes -----------------------------------

  describe('a value filter in attributes or excludedAttributes names its attribute', () => {
    let ws: ScimWorkspace;
    let user: string;
    let group: string;
    beforeAll(async () => {
      ws = await scimWorkspace(t);
      user = (await create(ws, oktaUser(`proj@${ws.slug}.test`))).id;
      group = await createGroup(ws, { displayName: 'Projected', members: [{ value: user }] });
    });

    it('attributes=emails[type eq "work"] returns the emails', async () => {
      const email = `proj@${ws.slug}.test`;
      const list = await get(ws, '/Users', {
        attributes: 'emails[type eq "work"]',
        filter: `userName eq "${email}"`,
      }).expect(200);
      expect(list.body.Resources).toEqual([
        {
          schemas: [USER_SCHEMA],
          id: user,
          emails: [{ primary: true, value: email, type: 'work' }],
        },
      ]);
      const one = await get(ws, `/Users/${user}`, {
        attributes: 'userName,emails[type eq "work"].value',
      }).expect(200);
      expect(one.body).toEqual({
        schemas: [USER_SCHEMA],
        id: user,
        userName: email,
        emails: [{ value: email }],
      });
    });

    it('excludedAttributes=emails[type eq "work"] leaves the emails out', async () => {
      const res = await get(ws, `/Users/${user}`, {
        excludedAttributes: 'emails[type eq "work"],groups',
      }).expect(200);
      expect(res.body.emails).toBeUndefined();
      expect(res.body.groups).toBeUndefined();
      expect(res.body.userName).toBe(`proj@${ws.slug}.test`);
    });

    it('attributes=groups[...] and members[...] load them', async () => {
      const u = await get(ws, `/Users/${user}`, {
        attributes: `groups[value eq "${group}"]`,
      }).expect(200);
      expect((u.body.groups as Body[]).map((g) => g.value)).toEqual([group]);
      const g = await get(ws, `/Groups/${group}`, {
        attributes: `members[value eq "${user}"]`,
      }).expect(200);
      expect((g.body.members as Body[]).map((m) => m.value)).toEqual([user]);
    });
  });
});
