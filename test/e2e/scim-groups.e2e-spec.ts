import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { addMember } from '../support/fixtures.js';
import {
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  type ScimWorkspace,
  scimWorkspace,
} from '../support/scim-fixtures.js';
import { itWithConcurrentConnections } from '../support/test-database.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const GATEHOUSE_GROUP = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';
const ENTRA_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const OKTA_AGENT = 'Okta SCIM Client 1.0.0';
const ENTRA_AGENT = 'Microsoft.Identity.Provisioning.Service';
const ENTRA_FLAG = '?aadOptscim062020';

type Json = Record<string, unknown>;
type Users = Record<'a' | 'b' | 'c', string>;

const patchOp = (...Operations: Json[]) => ({ schemas: [PATCH_SCHEMA], Operations });
const sorted = (ids: string[]) => [...ids].sort();

describe('SCIM Groups', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  // --- local helpers -------------------------------------------------------------------------

  function scim(
    ws: ScimWorkspace,
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
    agent = OKTA_AGENT,
  ): supertest.Test {
    return t.http[method](`/scim/v2${path}`)
      .set('Authorization', ws.auth)
      .set('User-Agent', agent)
      .set('Content-Type', 'application/scim+json');
  }

  async function createUser(ws: ScimWorkspace, email: string, extra: Json = {}): Promise<string> {
    const res = await scim(ws, 'post', '/Users').send(
      oktaUser(email, { externalId: `ext-${email}`, ...extra }),
    );
    if (res.status !== 201) throw new Error(`create user: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  async function createUsers(ws: ScimWorkspace): Promise<Users> {
    return {
      a: await createUser(ws, `a@${ws.slug}.test`),
      b: await createUser(ws, `b@${ws.slug}.test`),
      c: await createUser(ws, `c@${ws.slug}.test`),
    };
  }

  async function createGroup(
    ws: ScimWorkspace,
    displayName: string,
    members: string[] = [],
    extra: Json = {},
  ): Promise<string> {
    const res = await scim(ws, 'post', '/Groups').send({
      schemas: [GROUP_SCHEMA],
      displayName,
      members: members.map((value) => ({ value })),
      ...extra,
    });
    if (res.status !== 201) throw new Error(`create group: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  async function getGroup(ws: ScimWorkspace, id: string): Promise<Json> {
    const res = await scim(ws, 'get', `/Groups/${id}`).expect(200);
    return res.body as Json;
  }

  async function memberIds(ws: ScimWorkspace, id: string): Promise<string[]> {
    const group = await getGroup(ws, id);
    return sorted(((group.members ?? []) as { value: string }[]).map((m) => m.value));
  }

  async function roleOf(ws: ScimWorkspace, userId: string): Promise<string> {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/members/${userId}`)
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.role as string;
  }

  async function auditActions(ws: ScimWorkspace, targetId: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events`)
      .query({ targetId, limit: 200 })
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as { action: string; channel: string; actorLabel: string }[];
  }

  // --- real IdP payloads, data-driven --------------------------------------------------------

  interface PatchCase {
    name: string;
    agent: string;
    /** The group starts with these members (a and b unless said). */
    start?: (keyof Users)[];
    body: (u: Users, groupId: string) => Json;
    members: (keyof Users)[];
    displayName?: string;
  }

  const okta = OKTA_AGENT;
  const entra = ENTRA_AGENT;
  const patchCases: PatchCase[] = [
    {
      name: 'Okta add with display',
      agent: okta,
      body: (u) =>
        patchOp({ op: 'add', path: 'members', value: [{ value: u.c, display: 'c@example.com' }] }),
      members: ['a', 'b', 'c'],
    },
    {
      name: 'Okta remove by members[value eq]',
      agent: okta,
      body: (u) => patchOp({ op: 'remove', path: `members[value eq "${u.a}"]` }),
      members: ['b'],
    },
    {
      name: 'Okta remove of several by or',
      agent: okta,
      body: (u) =>
        patchOp({ op: 'remove', path: `members[value eq "${u.a}" or value eq "${u.b}"]` }),
      members: [],
    },
    {
      name: 'Okta replace of the whole list',
      agent: okta,
      body: (u) => patchOp({ op: 'replace', path: 'members', value: [{ value: u.c }] }),
      members: ['c'],
    },
    {
      name: 'Okta replace of the list with nothing',
      agent: okta,
      body: () => patchOp({ op: 'replace', path: 'members', value: [] }),
      members: [],
    },
    {
      name: 'Okta rename (path-less replace echoing id)',
      agent: okta,
      body: (_u, id) => patchOp({ op: 'replace', value: { id, displayName: 'Okta Renamed' } }),
      members: ['a', 'b'],
      displayName: 'Okta Renamed',
    },
    {
      name: 'Okta add and remove in one request',
      agent: okta,
      body: (u) =>
        patchOp(
          { op: 'remove', path: `members[value eq "${u.a}"]` },
          { op: 'add', path: 'members', value: [{ value: u.c, display: 'c' }] },
        ),
      members: ['b', 'c'],
    },
    {
      name: 'Entra add with $ref null',
      agent: entra,
      body: (u) => patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: u.c }] }),
      members: ['a', 'b', 'c'],
    },
    {
      name: 'Entra legacy remove (path members with a value list) removes only those',
      agent: entra,
      body: (u) => patchOp({ op: 'Remove', path: 'members', value: [{ $ref: null, value: u.a }] }),
      members: ['b'],
    },
    {
      name: 'Entra remove of a member already gone',
      agent: entra,
      start: ['a'],
      body: (u) => patchOp({ op: 'Remove', path: 'members', value: [{ value: u.c }] }),
      members: ['a'],
    },
    {
      name: 'Entra replace displayName and externalId',
      agent: entra,
      body: () =>
        patchOp(
          { op: 'Replace', path: 'displayName', value: 'Entra Renamed' },
          { op: 'Replace', path: 'externalId', value: 'f3c5e1b2-entra' },
        ),
      members: ['a', 'b'],
      displayName: 'Entra Renamed',
    },
    {
      name: 'Entra several operations in one request',
      agent: entra,
      body: (u) =>
        patchOp(
          { op: 'Add', path: 'members', value: [{ value: u.c }] },
          { op: 'Remove', path: 'members', value: [{ value: u.a }, { value: u.b }] },
        ),
      members: ['c'],
    },
    {
      name: 'remove of members without a value empties the group',
      agent: entra,
      body: () => patchOp({ op: 'remove', path: 'members' }),
      members: [],
    },
    {
      name: 'path-less replace carrying members and displayName',
      agent: okta,
      body: (u) =>
        patchOp({
          op: 'replace',
          value: { displayName: 'Pathless Renamed', members: [{ value: u.b }, { value: u.c }] },
        }),
      members: ['b', 'c'],
      displayName: 'Pathless Renamed',
    },
    {
      name: 'path-less add carrying members',
      agent: okta,
      body: (u) => patchOp({ op: 'add', value: { members: [{ value: u.c, display: 'c' }] } }),
      members: ['a', 'b', 'c'],
    },
    {
      name: 'op in upper case',
      agent: okta,
      body: (u) => patchOp({ op: 'ADD', path: 'members', value: [{ value: u.c }] }),
      members: ['a', 'b', 'c'],
    },
    {
      name: 'adding members already there changes nothing',
      agent: okta,
      body: (u) => patchOp({ op: 'add', path: 'members', value: [{ value: u.a }, { value: u.b }] }),
      members: ['a', 'b'],
    },
    {
      name: 'unknown, foreign and malformed member ids are skipped',
      agent: entra,
      body: (u) =>
        patchOp({
          op: 'Add',
          path: 'members',
          value: [{ value: randomUUID() }, { value: 'not-a-uuid' }, { value: u.c.toUpperCase() }],
        }),
      members: ['a', 'b', 'c'],
    },
  ];

  for (const query of ['', ENTRA_FLAG]) {
    describe(`PATCH payloads ${query ? 'with' : 'without'} ${ENTRA_FLAG}`, () => {
      let ws: ScimWorkspace;
      let users: Users;
      beforeAll(async () => {
        ws = await scimWorkspace(t, 'azure');
        users = await createUsers(ws);
      });

      it.each(patchCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const groupId = await createGroup(
          ws,
          `Group ${randomUUID()}`,
          (c.start ?? ['a', 'b']).map((k) => users[k]),
        );
        await scim(ws, 'patch', `/Groups/${groupId}${query}`, c.agent)
          .send(c.body(users, groupId))
          .expect(204);
        expect(await memberIds(ws, groupId)).toEqual(sorted(c.members.map((k) => users[k])));
        if (c.displayName) expect((await getGroup(ws, groupId)).displayName).toBe(c.displayName);
        // Renamed groups free their name for the next case.
        if (c.displayName) {
          await scim(ws, 'delete', `/Groups/${groupId}`).expect(204);
        }
      });
    });
  }

  it('PATCH answers 200 with the group when attributes are asked for', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const groupId = await createGroup(ws, 'Attributes', [users.a]);
    const res = await scim(ws, 'patch', `/Groups/${groupId}?attributes=members`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.b }] }))
      .expect(200);
    expect(res.headers.etag).toMatch(/^W\//);
    expect(res.body.id).toBe(groupId);
    expect(res.body.displayName).toBeUndefined();
    expect(sorted(res.body.members.map((m: { value: string }) => m.value))).toEqual(
      sorted([users.a, users.b]),
    );
  });

  it('PATCH without attributes answers 204 with no body, and the change is made', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const groupId = await createGroup(ws, 'No content', [users.a]);
    const res = await scim(ws, 'patch', `/Groups/${groupId}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.b }] }))
      .expect(204);
    expect(res.text).toBe('');
    expect(res.headers['content-type']).toBeUndefined();
    const read = await scim(ws, 'get', `/Groups/${groupId}`).expect(200);
    expect(read.body.members).toHaveLength(2);
  });

  it('POST and PUT answer with the attributes asked for (RFC 7644 §3.9), as Users do', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const body = {
      schemas: [GROUP_SCHEMA],
      displayName: 'Projected',
      members: [{ value: users.a }, { value: users.b }],
    };
    const created = await scim(ws, 'post', '/Groups?excludedAttributes=members')
      .send(body)
      .expect(201);
    expect(created.body.members).toBeUndefined();
    expect(created.body).toMatchObject({ displayName: 'Projected', id: expect.any(String) });
    expect(created.headers.location).toBe(created.body.meta.location);
    expect(created.headers.etag).toBe(created.body.meta.version);

    const replaced = await scim(
      ws,
      'put',
      `/Groups/${created.body.id as string}?attributes=displayName`,
    )
      .send({ ...body, displayName: 'Projected again' })
      .expect(200);
    expect(replaced.body).toEqual({
      schemas: [GROUP_SCHEMA],
      id: created.body.id,
      displayName: 'Projected again',
    });
    const plain = await scim(ws, 'post', '/Groups')
      .send({ ...body, displayName: 'All' })
      .expect(201);
    expect(plain.body.members).toHaveLength(2);
  });

  // --- whole lifecycles as each IdP drives them ----------------------------------------------

  it('Okta group push: lookup, create, PUT with members, PATCH members, rename, delete', async () => {
    const ws = await scimWorkspace(t, 'okta');
    const users = await createUsers(ws);

    const lookup = await scim(ws, 'get', '/Groups')
      .query({ filter: 'displayName eq "Engineering"', startIndex: 1, count: 100 })
      .expect(200);
    expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await scim(ws, 'post', '/Groups')
      .send({
        schemas: [GROUP_SCHEMA],
        displayName: 'Engineering',
        members: [{ value: users.a, display: 'a' }],
      })
      .expect(201);
    expect(created.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(created.headers.location).toBe(
      `http://gatehouse.test/scim/v2/Groups/${created.body.id}`,
    );
    expect(created.body).toMatchObject({
      schemas: [GROUP_SCHEMA],
      displayName: 'Engineering',
      members: [
        {
          value: users.a,
          display: 'Ada Lovelace',
          $ref: `http://gatehouse.test/scim/v2/Users/${users.a}`,
        },
      ],
      meta: { resourceType: 'Group', version: expect.stringMatching(/^W\//) },
    });
    const id = created.body.id as string;

    const put = await scim(ws, 'put', `/Groups/${id}`)
      .send({
        schemas: [GROUP_SCHEMA],
        id,
        displayName: 'Engineering',
        members: [
          { value: users.b, display: 'b' },
          { value: users.c, display: 'c' },
        ],
      })
      .expect(200);
    expect(sorted(put.body.members.map((m: { value: string }) => m.value))).toEqual(
      sorted([users.b, users.c]),
    );

    await scim(ws, 'patch', `/Groups/${id}`)
      .send(
        patchOp(
          { op: 'add', path: 'members', value: [{ value: users.a, display: 'a' }] },
          { op: 'remove', path: `members[value eq "${users.c}"]` },
        ),
      )
      .expect(204);
    expect(await memberIds(ws, id)).toEqual(sorted([users.a, users.b]));

    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'replace', value: { id, displayName: 'Platform' } }))
      .expect(204);
    const byName = await scim(ws, 'get', '/Groups')
      .query({ filter: 'displayName eq "platform"' })
      .expect(200);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0]).toMatchObject({ id, displayName: 'Platform' });

    // A PUT without members keeps them.
    await scim(ws, 'put', `/Groups/${id}`)
      .send({ schemas: [GROUP_SCHEMA], id, displayName: 'Platform' })
      .expect(200);
    expect(await memberIds(ws, id)).toEqual(sorted([users.a, users.b]));

    await scim(ws, 'delete', `/Groups/${id}`).expect(204);
    await scim(ws, 'get', `/Groups/${id}`).expect(404);
    const user = await scim(ws, 'get', `/Users/${users.a}`).expect(200);
    expect(user.body.groups).toEqual([]);
  });

  for (const query of ['', ENTRA_FLAG]) {
    it(`Entra group provisioning ${query ? 'with' : 'without'} ${ENTRA_FLAG}`, async () => {
      const ws = await scimWorkspace(t, 'azure');
      const users = await createUsers(ws);
      const externalId = randomUUID();
      const get = (path: string) => scim(ws, 'get', path, entra);

      const lookup = await get(`/Groups${query}`)
        .query({ filter: 'displayName eq "Sales"', excludedAttributes: 'members' })
        .expect(200);
      expect(lookup.body.totalResults).toBe(0);

      const created = await scim(ws, 'post', `/Groups${query}`, entra)
        .send({
          schemas: [GROUP_SCHEMA, ENTRA_GROUP],
          externalId,
          displayName: 'Sales',
          meta: { resourceType: 'Group' },
        })
        .expect(201);
      expect(created.body).toMatchObject({ externalId, displayName: 'Sales', members: [] });
      const id = created.body.id as string;

      const byExternalId = await get(`/Groups${query}`)
        .query({ filter: `externalId eq "${externalId}"`, excludedAttributes: 'members' })
        .expect(200);
      expect(byExternalId.body.totalResults).toBe(1);
      expect(byExternalId.body.Resources[0]).toEqual({
        schemas: [GROUP_SCHEMA],
        id,
        externalId,
        displayName: 'Sales',
        meta: expect.objectContaining({ resourceType: 'Group' }),
      });

      const op = (name: string) => (query ? name.toLowerCase() : name);
      await scim(ws, 'patch', `/Groups/${id}${query}`, entra)
        .send(
          patchOp({
            op: op('Add'),
            path: 'members',
            value: [
              { $ref: null, value: users.a },
              { $ref: null, value: users.b },
            ],
          }),
        )
        .expect(204);

      // Entra's membership check before and after a change.
      const isMember = (userId: string) =>
        get(`/Groups${query}`)
          .query({
            filter: `id eq "${id}" and members[value eq "${userId}"]`,
            excludedAttributes: 'members',
          })
          .expect(200)
          .then((res) => res.body.totalResults as number);
      expect(await isMember(users.a)).toBe(1);
      expect(await isMember(users.c)).toBe(0);

      await scim(ws, 'patch', `/Groups/${id}${query}`, entra)
        .send(patchOp({ op: op('Remove'), path: 'members', value: [{ value: users.a }] }))
        .expect(204);
      expect(await isMember(users.a)).toBe(0);
      expect(await memberIds(ws, id)).toEqual([users.b]);

      await scim(ws, 'patch', `/Groups/${id}${query}`, entra)
        .send(patchOp({ op: op('Replace'), path: 'displayName', value: 'Sales EMEA' }))
        .expect(204);
      expect((await getGroup(ws, id)).displayName).toBe('Sales EMEA');

      const search = await scim(ws, 'post', `/Groups/.search${query}`, entra)
        .send({
          schemas: [SEARCH_SCHEMA],
          filter: 'displayName eq "sales emea"',
          excludedAttributes: ['members'],
        })
        .expect(200);
      expect(search.body.totalResults).toBe(1);
      expect(search.body.Resources[0].members).toBeUndefined();

      await scim(ws, 'delete', `/Groups/${id}${query}`, entra).expect(204);
      await get(`/Groups/${id}${query}`).expect(404);

      // Without the flag, the capitalised ops are noted (after the response) for the admin hint.
      let hint: unknown = null;
      for (let i = 0; i < 50 && !hint; i++) {
        const status = await t.http
          .get(`/api/workspaces/${ws.slug}/scim`)
          .set('Authorization', t.internal)
          .expect(200);
        hint = status.body.entraHint;
        if (!hint && query) break;
        if (!hint) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (query) expect(hint).toBeNull();
      else expect(hint).toMatchObject({ legacyRequests: expect.any(Number) });
    });
  }

  // --- reads ---------------------------------------------------------------------------------

  it('excludedAttributes=members and attributes leave members out of reads', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const id = await createGroup(ws, 'Readers', [users.a, users.b]);

    const full = await scim(ws, 'get', `/Groups/${id}`).expect(200);
    expect(full.body.members).toHaveLength(2);
    expect(full.headers.etag).toBe(full.body.meta.version);

    for (const excluded of ['members', 'MEMBERS', `${GROUP_SCHEMA}:members`]) {
      const one = await scim(ws, 'get', `/Groups/${id}`)
        .query({ excludedAttributes: excluded })
        .expect(200);
      expect(one.body.members).toBeUndefined();
      expect(one.body).toMatchObject({ id, displayName: 'Readers', schemas: [GROUP_SCHEMA] });
    }
    const list = await scim(ws, 'get', '/Groups')
      .query({ excludedAttributes: 'members' })
      .expect(200);
    expect(list.body.totalResults).toBe(1);
    expect(list.body.Resources[0].members).toBeUndefined();

    const listed = await scim(ws, 'get', '/Groups').expect(200);
    expect(listed.body.Resources[0].members).toHaveLength(2);

    const only = await scim(ws, 'get', `/Groups/${id}`)
      .query({ attributes: 'displayName' })
      .expect(200);
    expect(only.body).toEqual({ schemas: [GROUP_SCHEMA], id, displayName: 'Readers' });

    const sortedList = await scim(ws, 'get', '/Groups')
      .query({ sortBy: 'displayName', sortOrder: 'descending', excludedAttributes: 'members' })
      .expect(200);
    expect(sortedList.body.Resources).toHaveLength(1);
  });

  it("another workspace's groups are 404, and its users never become members", async () => {
    const ws = await scimWorkspace(t);
    const other = await scimWorkspace(t);
    const users = await createUsers(ws);
    const stranger = await createUser(other, `stranger@${other.slug}.test`);
    const id = await createGroup(ws, 'Private', [users.a, stranger]);
    expect(await memberIds(ws, id)).toEqual([users.a]);

    await scim(other, 'get', `/Groups/${id}`).expect(404);
    const notFound = await scim(other, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: stranger }] }))
      .expect(404);
    expect(notFound.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '404' });
    await scim(other, 'put', `/Groups/${id}`)
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Mine now' })
      .expect(404);
    await scim(other, 'delete', `/Groups/${id}`).expect(404);
    await scim(ws, 'get', '/Groups/not-a-uuid').expect(404);
    const listed = await scim(other, 'get', '/Groups')
      .query({ filter: `id eq "${id}"` })
      .expect(200);
    expect(listed.body.totalResults).toBe(0);

    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: stranger }] }))
      .expect(204);
    expect(await memberIds(ws, id)).toEqual([users.a]);
    expect((await getGroup(ws, id)).displayName).toBe('Private');
  });

  // --- writes --------------------------------------------------------------------------------

  it('members with unknown, malformed or foreign ids do not fail a POST or PUT', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const created = await scim(ws, 'post', '/Groups')
      .send({
        schemas: [GROUP_SCHEMA],
        displayName: 'Stale',
        members: [
          { value: 'not-a-uuid' },
          { value: randomUUID(), display: 'gone' },
          { value: users.a, $ref: null },
          { value: users.a },
        ],
      })
      .expect(201);
    expect(created.body.members.map((m: { value: string }) => m.value)).toEqual([users.a]);
    await scim(ws, 'put', `/Groups/${created.body.id}`)
      .send({
        schemas: [GROUP_SCHEMA],
        displayName: 'Stale',
        members: [{ value: '00u1abcd' }, { value: users.b }],
      })
      .expect(200);
    expect(await memberIds(ws, created.body.id)).toEqual([users.b]);
  });

  it('refuses malformed groups with SCIM errors', async () => {
    const ws = await scimWorkspace(t);
    const id = await createGroup(ws, 'Valid');
    const cases: [string, Json, number, string][] = [
      ['no displayName', { schemas: [GROUP_SCHEMA] }, 400, 'invalidValue'],
      ['empty displayName', { schemas: [GROUP_SCHEMA], displayName: ' ' }, 400, 'invalidValue'],
      ['no schemas', { displayName: 'x' }, 400, 'invalidSyntax'],
      [
        'members not a list',
        { schemas: [GROUP_SCHEMA], displayName: 'x', members: 'a' },
        400,
        'invalidValue',
      ],
    ];
    for (const [name, body, status, scimType] of cases) {
      const res = await scim(ws, 'post', '/Groups').send(body);
      expect([name, res.status, res.body.scimType]).toEqual([name, status, scimType]);
    }
    const badOp = await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'move', path: 'displayName', value: 'x' }))
      .expect(400);
    expect(badOp.body.scimType).toBe('invalidSyntax');
    const badPath = await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'replace', path: 'owner', value: 'x' }))
      .expect(400);
    expect(badPath.body.scimType).toBe('invalidPath');
    const otherId = await scim(ws, 'put', `/Groups/${id}`)
      .send({ schemas: [GROUP_SCHEMA], id: randomUUID(), displayName: 'Valid' })
      .expect(400);
    expect(otherId.body.scimType).toBe('mutability');
    const noName = await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'remove', path: 'displayName' }))
      .expect(400);
    expect(noName.body.scimType).toBe('mutability');
  });

  it('displayName is unique per workspace (409 uniqueness), case-insensitively', async () => {
    const ws = await scimWorkspace(t);
    const other = await scimWorkspace(t);
    const users = await createUsers(ws);
    const first = await createGroup(ws, 'Design', [users.a]);
    const second = await createGroup(ws, 'Marketing', [users.b]);

    const duplicate = await scim(ws, 'post', '/Groups')
      .send({ schemas: [GROUP_SCHEMA], displayName: 'DESIGN' })
      .expect(409);
    expect(duplicate.body).toMatchObject({
      schemas: [ERROR_SCHEMA],
      status: '409',
      scimType: 'uniqueness',
    });

    const renamed = await scim(ws, 'patch', `/Groups/${second}`)
      .send(patchOp({ op: 'replace', path: 'displayName', value: 'design' }))
      .expect(409);
    expect(renamed.body.scimType).toBe('uniqueness');
    await scim(ws, 'put', `/Groups/${second}`)
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Design', members: [] })
      .expect(409);
    expect((await getGroup(ws, second)).displayName).toBe('Marketing');
    expect(await memberIds(ws, second)).toEqual([users.b]);
    expect(await memberIds(ws, first)).toEqual([users.a]);

    // The same name in another workspace is fine.
    await createGroup(other, 'Design');
  });

  it('a pushed group takes over the hand-made group of the same name', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const manual = await addMember(t, ws.slug, `manual@${ws.slug}.test`);
    const groupsUrl = `/api/workspaces/${ws.slug}/groups`;
    const handMade = await t.http
      .post(groupsUrl)
      .set('Authorization', t.internal)
      .send({ displayName: 'Support', memberIds: [manual, users.a] })
      .expect(201);
    expect(handMade.body.scimManaged).toBe(false);
    const id = handMade.body.id as string;

    const pushed = await scim(ws, 'post', '/Groups')
      .send({
        schemas: [GROUP_SCHEMA],
        displayName: 'support',
        externalId: 'okta-00g1',
        members: [{ value: users.b }, { value: users.c }],
      })
      .expect(201);
    expect(pushed.body).toMatchObject({ id, displayName: 'support', externalId: 'okta-00g1' });
    expect(await memberIds(ws, id)).toEqual(sorted([users.b, users.c]));

    const view = await t.http
      .get(`${groupsUrl}/${id}`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(view.body).toMatchObject({ scimManaged: true, memberCount: 2, displayName: 'support' });

    const refusals: supertest.Test[] = [
      t.http.patch(`${groupsUrl}/${id}`).send({ displayName: 'Mine' }),
      t.http.delete(`${groupsUrl}/${id}`),
      t.http.put(`${groupsUrl}/${id}/members/${manual}`),
      t.http.delete(`${groupsUrl}/${id}/members/${users.b}`),
    ];
    for (const refusal of refusals) {
      const res = await refusal.set('Authorization', t.internal).expect(409);
      expect(res.body.code).toBe('SCIM_MANAGED');
    }
    expect(await memberIds(ws, id)).toEqual(sorted([users.b, users.c]));

    // A second push of the same name is now a conflict, not another takeover.
    const again = await scim(ws, 'post', '/Groups')
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Support' })
      .expect(409);
    expect(again.body.scimType).toBe('uniqueness');

    const events = await auditActions(ws, id);
    expect(events.map((e) => e.action)).toContain('group.taken_over');
  });

  it('a SCIM write to a hand-made group found by name makes it SCIM-managed', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const groupsUrl = `/api/workspaces/${ws.slug}/groups`;
    const handMade = await t.http
      .post(groupsUrl)
      .set('Authorization', t.internal)
      .send({ displayName: 'Linked' })
      .expect(201);
    const found = await scim(ws, 'get', '/Groups')
      .query({ filter: 'displayName eq "Linked"' })
      .expect(200);
    const id = found.body.Resources[0].id as string;
    expect(id).toBe(handMade.body.id);
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.a }] }))
      .expect(204);
    const view = await t.http
      .get(`${groupsUrl}/${id}`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(view.body.scimManaged).toBe(true);
    const refused = await t.http
      .patch(`${groupsUrl}/${id}`)
      .set('Authorization', t.internal)
      .send({ displayName: 'Mine' })
      .expect(409);
    expect(refused.body.code).toBe('SCIM_MANAGED');
  });

  it('members of a group with the admin role are admins while they are in it', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const ownAdmin = await createUser(ws, `own-admin@${ws.slug}.test`, {
      roles: [{ value: 'admin', primary: true }],
    });
    expect(await roleOf(ws, ownAdmin)).toBe('admin');

    const created = await scim(ws, 'post', '/Groups')
      .send({
        schemas: [GROUP_SCHEMA, GATEHOUSE_GROUP],
        displayName: 'Admins',
        members: [{ value: users.a }, { value: ownAdmin }],
        [GATEHOUSE_GROUP]: { role: 'admin' },
      })
      .expect(201);
    expect(created.body).toMatchObject({
      schemas: [GROUP_SCHEMA, GATEHOUSE_GROUP],
      [GATEHOUSE_GROUP]: { role: 'admin' },
    });
    const id = created.body.id as string;
    expect(await roleOf(ws, users.a)).toBe('admin');
    expect(await roleOf(ws, users.b)).toBe('member');

    // Added by PATCH: promoted. Removed: demoted, unless their own roles grant admin.
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.b }] }))
      .expect(204);
    expect(await roleOf(ws, users.b)).toBe('admin');
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(
        patchOp(
          { op: 'remove', path: `members[value eq "${users.a}"]` },
          { op: 'remove', path: `members[value eq "${ownAdmin}"]` },
        ),
      )
      .expect(204);
    expect(await roleOf(ws, users.a)).toBe('member');
    expect(await roleOf(ws, ownAdmin)).toBe('admin');

    // The group loses the role: its members are demoted; it gets it back: promoted.
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'remove', path: `${GATEHOUSE_GROUP}:role` }))
      .expect(204);
    expect(await roleOf(ws, users.b)).toBe('member');
    const plain = await getGroup(ws, id);
    expect(plain.schemas).toEqual([GROUP_SCHEMA]);
    expect(plain[GATEHOUSE_GROUP]).toBeUndefined();
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: `${GATEHOUSE_GROUP}:role`, value: 'admin' }))
      .expect(204);
    expect(await roleOf(ws, users.b)).toBe('admin');

    // PUT replacing the members demotes the ones left out and promotes the new ones.
    await scim(ws, 'put', `/Groups/${id}`)
      .send({
        schemas: [GROUP_SCHEMA, GATEHOUSE_GROUP],
        displayName: 'Admins',
        members: [{ value: users.c }],
        [GATEHOUSE_GROUP]: { role: 'admin' },
      })
      .expect(200);
    expect(await roleOf(ws, users.b)).toBe('member');
    expect(await roleOf(ws, users.c)).toBe('admin');

    // Deactivating a member takes them out of the group, and so out of the admin role.
    await scim(ws, 'patch', `/Users/${users.c}`)
      .send(patchOp({ op: 'replace', path: 'active', value: false }))
      .expect(200);
    expect(await memberIds(ws, id)).toEqual([]);
    expect(await roleOf(ws, users.c)).toBe('member');

    // Deactivated by hand (admin API): out of the group, and out of the admin role too.
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.b }] }))
      .expect(204);
    expect(await roleOf(ws, users.b)).toBe('admin');
    await t.http
      .patch(`/api/workspaces/${ws.slug}/members/${users.b}`)
      .set('Authorization', t.internal)
      .send({ status: 'deactivated' })
      .expect(200);
    expect(await roleOf(ws, users.b)).toBe('member');

    // Deleting the group demotes its members.
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.a }] }))
      .expect(204);
    expect(await roleOf(ws, users.a)).toBe('admin');
    await scim(ws, 'delete', `/Groups/${id}`).expect(204);
    expect(await roleOf(ws, users.a)).toBe('member');
  });

  it('a hand-made group taken over with the admin role promotes the members it keeps', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const groupsUrl = `/api/workspaces/${ws.slug}/groups`;
    await t.http
      .post(groupsUrl)
      .set('Authorization', t.internal)
      .send({ displayName: 'Owners', memberIds: [users.a] })
      .expect(201);
    await scim(ws, 'post', '/Groups')
      .send({
        schemas: [GROUP_SCHEMA, GATEHOUSE_GROUP],
        displayName: 'Owners',
        members: [{ value: users.a }, { value: users.b }],
        [GATEHOUSE_GROUP]: { role: 'admin' },
      })
      .expect(201);
    expect(await roleOf(ws, users.a)).toBe('admin');
    expect(await roleOf(ws, users.b)).toBe('admin');
    expect(await roleOf(ws, users.c)).toBe('member');
  });

  it('deactivated users are skipped, and deactivation removes them from every group', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const inactive = await createUser(ws, `inactive@${ws.slug}.test`, { active: false });

    const first = await createGroup(ws, 'First', [users.a, inactive]);
    expect(await memberIds(ws, first)).toEqual([users.a]);
    await scim(ws, 'patch', `/Groups/${first}`)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: inactive }] }))
      .expect(204);
    await scim(ws, 'patch', `/Groups/${first}`)
      .send(
        patchOp({
          op: 'replace',
          path: 'members',
          value: [{ value: inactive }, { value: users.b }],
        }),
      )
      .expect(204);
    expect(await memberIds(ws, first)).toEqual([users.b]);

    const second = await createGroup(ws, 'Second', [users.a, users.b]);
    await scim(ws, 'put', `/Users/${users.b}`)
      .send(oktaUser(`b@${ws.slug}.test`, { externalId: `ext-b@${ws.slug}.test`, active: false }))
      .expect(200);
    expect(await memberIds(ws, first)).toEqual([]);
    expect(await memberIds(ws, second)).toEqual([users.a]);
    const user = await scim(ws, 'get', `/Users/${users.b}`).expect(200);
    expect(user.body.groups).toEqual([]);
  });

  it('a PATCH applies all of its operations or none', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    await createGroup(ws, 'Taken');
    const id = await createGroup(ws, 'Atomic', [users.a]);
    const before = await getGroup(ws, id);

    // The engine refuses the last operation: nothing is written.
    const invalid = await scim(ws, 'patch', `/Groups/${id}`)
      .send(
        patchOp(
          { op: 'add', path: 'members', value: [{ value: users.b }] },
          { op: 'remove', path: `members[value eq "${users.a}"]` },
          { op: 'replace', path: 'displayName', value: 'Changed' },
          { op: 'remove', path: 'members[display eq "Ada"]' },
        ),
      )
      .expect(400);
    expect(invalid.body.scimType).toBe('invalidPath');
    expect(invalid.body.detail).toMatch(/Operations\[3\]/);

    // The database refuses one: the member writes roll back with it.
    const conflict = await scim(ws, 'patch', `/Groups/${id}`)
      .send(
        patchOp(
          { op: 'add', path: 'members', value: [{ value: users.b }, { value: users.c }] },
          { op: 'remove', path: `members[value eq "${users.a}"]` },
          { op: 'replace', path: 'displayName', value: 'taken' },
        ),
      )
      .expect(409);
    expect(conflict.body.scimType).toBe('uniqueness');

    const after = await getGroup(ws, id);
    expect(after).toEqual(before);
    expect(await memberIds(ws, id)).toEqual([users.a]);
  });

  itWithConcurrentConnections('concurrent PATCHes of one group never lose a member', async () => {
    const ws = await scimWorkspace(t);
    const id = await createGroup(ws, 'Busy');
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push(await createUser(ws, `u${i}@${ws.slug}.test`));

    const results = await Promise.all(
      ids.map((userId) =>
        scim(ws, 'patch', `/Groups/${id}`).send(
          patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 204));
    expect(await memberIds(ws, id)).toEqual(sorted(ids));

    // Adds and removes at once, Entra and Okta style, still lose nothing.
    const [keep, drop] = [ids.slice(0, 8), ids.slice(8)];
    const extra: string[] = [];
    for (let i = 0; i < 8; i++) extra.push(await createUser(ws, `x${i}@${ws.slug}.test`));
    const mixed = await Promise.all([
      ...drop.map((userId) =>
        scim(ws, 'patch', `/Groups/${id}`, entra).send(
          patchOp({ op: 'Remove', path: 'members', value: [{ value: userId }] }),
        ),
      ),
      ...extra.map((userId) =>
        scim(ws, 'patch', `/Groups/${id}`).send(
          patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }),
        ),
      ),
    ]);
    expect(mixed.every((r) => r.status === 204)).toBe(true);
    expect(await memberIds(ws, id)).toEqual(sorted([...keep, ...extra]));
  });

  it('If-Match guards PUT, PATCH and DELETE (412 on a stale version)', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const id = await createGroup(ws, 'Versioned', [users.a]);
    const first = await scim(ws, 'get', `/Groups/${id}`).expect(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);

    // Versions start at 1: no group was ever at 0.
    const wrong = await scim(ws, 'patch', `/Groups/${id}`)
      .set('If-Match', 'W/"0"')
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.b }] }))
      .expect(412);
    expect(wrong.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '412' });
    expect(await memberIds(ws, id)).toEqual([users.a]);

    await scim(ws, 'patch', `/Groups/${id}`)
      .set('If-Match', etag)
      .send(patchOp({ op: 'add', path: 'members', value: [{ value: users.b }] }))
      .expect(204);
    const second = await scim(ws, 'get', `/Groups/${id}`).expect(200);
    expect(second.headers.etag).not.toBe(etag);

    // Every write gives a new version, however quickly it follows the last one.
    const versions = new Set([etag, second.headers.etag as string]);
    for (const op of ['remove', 'add', 'remove']) {
      await scim(ws, 'patch', `/Groups/${id}`)
        .send(
          patchOp(
            op === 'add'
              ? { op, path: 'members', value: [{ value: users.b }] }
              : { op, path: `members[value eq "${users.b}"]` },
          ),
        )
        .expect(204);
      versions.add((await scim(ws, 'get', `/Groups/${id}`)).headers.etag as string);
    }
    expect(versions.size).toBe(5);

    await scim(ws, 'put', `/Groups/${id}`)
      .set('If-Match', etag)
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Versioned', members: [] })
      .expect(412);
    await scim(ws, 'delete', `/Groups/${id}`).set('If-Match', etag).expect(412);
    await scim(ws, 'get', `/Groups/${id}`).expect(200);
    await scim(ws, 'patch', `/Groups/${id}`)
      .set('If-Match', '*')
      .send(patchOp({ op: 'replace', path: 'displayName', value: 'Versioned 2' }))
      .expect(204);
    await scim(ws, 'delete', `/Groups/${id}`)
      .set('If-Match', (await scim(ws, 'get', `/Groups/${id}`)).headers.etag as string)
      .expect(204);
  });

  it('records audit events on the scim channel', async () => {
    const ws = await scimWorkspace(t);
    const users = await createUsers(ws);
    const id = await createGroup(ws, 'Audited', [users.a]);
    await scim(ws, 'patch', `/Groups/${id}`)
      .send(
        patchOp(
          { op: 'add', path: 'members', value: [{ value: users.b }] },
          { op: 'remove', path: `members[value eq "${users.a}"]` },
          { op: 'replace', path: 'displayName', value: 'Audited 2' },
        ),
      )
      .expect(204);
    await scim(ws, 'delete', `/Groups/${id}`).expect(204);

    const events = await auditActions(ws, id);
    expect(events.map((e) => e.action).reverse()).toEqual([
      'group.created',
      'group.member_added',
      'group.updated',
      'group.member_removed',
      'group.member_added',
      'group.deleted',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ channel: 'scim', actorLabel: OKTA_AGENT });
    }
    const scimOnly = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events`)
      .query({ channel: 'scim', action: 'group.deleted' })
      .set('Authorization', t.internal)
      .expect(200);
    expect(scimOnly.body.items).toHaveLength(1);
  });
});
