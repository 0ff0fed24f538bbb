/**
 * SCIM Users as Okta and Microsoft Entra ID really send them (Entra both with and without
 * `?aadOptscim062020`), and the product rules behind them: linking existing people, one SCIM
 * workspace per person, deactivation side effects, the admin role, email changes, the last
 * admin, atomic PATCH. Protocol-level checks live in scim-users-protocol.e2e-spec.ts.
 */
import { addMember, createWorkspace, PASSWORD, signIn, verifyDomain } from '../support/fixtures.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
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
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const ENTRA_ROLE = {
  primary: false,
  type: 'WindowsAzureActiveDirectoryRole',
  display: 'admin',
  value: 'admin',
};

type Body = Record<string, unknown>;
type Op = Record<string, unknown>;

/** Entra's POST: both schemas, a UPN-like userName, a GUID externalId, `roles`. */
function entraUser(userName: string, email: string, extra: Body = {}): Body {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: `0a21f0f2-8d2a-4f8e-bf98-${Buffer.from(userName).toString('hex').slice(0, 12).padEnd(12, '0')}`,
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: email }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
    displayName: 'Grace Hopper',
    roles: [],
    [ENTERPRISE]: { employeeNumber: '1906', department: 'Navy' },
    ...extra,
  };
}

/**
 * How each IdP asks for the same change. Okta: path-less `replace` for status, a full PUT for
 * profile changes; Entra: PATCH, capitalised ops and string booleans without the flag.
 */
interface Dialect {
  name: string;
  provider: 'okta' | 'azure';
  /** Appended to every request path (Entra's tenant URL flag). */
  query: string;
  create(userName: string, email: string): Body;
  /** A PUT body (Okta) or PatchOp operations (Entra). */
  setActive(active: boolean, current: Body): { put?: Body; ops?: Op[] };
  rename(given: string, family: string, current: Body): { put?: Body; ops?: Op[] };
  changeEmail(email: string, current: Body): { put?: Body; ops?: Op[] };
  grantAdmin(current: Body): { put?: Body; ops?: Op[] };
  revokeAdmin(current: Body): { put?: Body; ops?: Op[] };
}

function omit(body: Body, ...keys: string[]): Body {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !keys.includes(key)));
}

/** Okta's PUT: the whole user as Okta holds it (id included, no meta, maybe no active). */
function oktaPut(current: Body, changes: Body): Body {
  return { ...omit(current, 'meta', 'groups'), password: 'okta-pushed-1!', ...changes };
}

const okta: Dialect = {
  name: 'Okta',
  provider: 'okta',
  query: '',
  create: (userName, email) =>
    oktaUser(userName, {
      name: { givenName: 'Grace', familyName: 'Hopper' },
      emails: [{ primary: true, value: email, type: 'work' }],
      displayName: 'Grace Hopper',
    }),
  setActive: (active) => ({ ops: [{ op: 'replace', value: { active } }] }),
  rename: (given, family, current) => ({
    put: oktaPut(current, { name: { givenName: given, familyName: family } }),
  }),
  changeEmail: (email, current) => ({
    put: oktaPut(current, { emails: [{ primary: true, value: email, type: 'work' }] }),
  }),
  grantAdmin: (current) => ({ put: oktaPut(current, { role: 'admin' }) }),
  revokeAdmin: (current) => ({ put: oktaPut(current, { role: 'member' }) }),
};

const entraFlagged: Dialect = {
  name: 'Entra with ?aadOptscim062020',
  provider: 'azure',
  query: '?aadOptscim062020',
  create: (userName, email) => entraUser(userName, email),
  setActive: (active) => ({ ops: [{ op: 'replace', path: 'active', value: active }] }),
  rename: (given, family) => ({
    ops: [{ op: 'replace', value: { 'name.givenName': given, 'name.familyName': family } }],
  }),
  changeEmail: (email) => ({
    ops: [{ op: 'replace', path: 'emails[type eq "work"].value', value: email }],
  }),
  grantAdmin: () => ({ ops: [{ op: 'add', path: 'roles', value: [ENTRA_ROLE] }] }),
  revokeAdmin: () => ({ ops: [{ op: 'remove', path: 'roles[value eq "admin"]' }] }),
};

const entraLegacy: Dialect = {
  name: 'Entra without the flag',
  provider: 'azure',
  query: '',
  create: (userName, email) => entraUser(userName, email),
  setActive: (active) => ({
    ops: [{ op: 'Replace', path: 'active', value: active ? 'True' : 'False' }],
  }),
  rename: (given, family) => ({
    ops: [
      { op: 'Replace', path: 'name.givenName', value: given },
      { op: 'Replace', path: 'name.familyName', value: family },
    ],
  }),
  changeEmail: (email) => ({
    ops: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: email }],
  }),
  grantAdmin: () => ({ ops: [{ op: 'Add', path: 'roles', value: [{ value: 'admin' }] }] }),
  revokeAdmin: () => ({ ops: [{ op: 'Remove', path: 'roles', value: [{ value: 'admin' }] }] }),
};

const DIALECTS = [okta, entraFlagged, entraLegacy];
const ENTRA_MODES = [entraFlagged, entraLegacy];

describe('SCIM Users: IdP dialects and product rules', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  // ---- helpers ------------------------------------------------------------------------

  const scim = (ws: ScimWorkspace, query = '') => {
    const url = (path: string) => `/scim/v2${path}${query}`;
    const json = (req: ReturnType<TestApp['http']['post']>) =>
      req.set('Authorization', ws.auth).set('Content-Type', 'application/scim+json');
    return {
      get: (path: string, q: Record<string, string | number> = {}) =>
        t.http.get(url(path)).query(q).set('Authorization', ws.auth),
      post: (path: string, body: unknown) =>
        json(t.http.post(url(path))).send(JSON.stringify(body)),
      put: (path: string, body: unknown) => json(t.http.put(url(path))).send(JSON.stringify(body)),
      patch: (path: string, Operations: Op[]) =>
        json(t.http.patch(url(path))).send(JSON.stringify({ schemas: [PATCH_SCHEMA], Operations })),
      delete: (path: string) => t.http.delete(url(path)).set('Authorization', ws.auth),
    };
  };

  /** Applies a dialect's change: a PUT or a PATCH; both must answer 200 with the user. */
  async function apply(
    ws: ScimWorkspace,
    dialect: Dialect,
    id: string,
    change: { put?: Body; ops?: Op[] },
  ) {
    const client = scim(ws, dialect.query);
    const res = change.put
      ? await client.put(`/Users/${id}`, change.put)
      : await client.patch(`/Users/${id}`, change.ops!);
    if (res.status !== 200) throw new Error(`${dialect.name}: ${res.status} ${res.text}`);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body.id).toBe(id);
    return res.body as Body;
  }

  async function member(ws: { slug: string }, userId: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/members/${userId}`)
      .set('Authorization', t.internal);
    return res.status === 200 ? (res.body as Body) : undefined;
  }

  async function auditActions(ws: { slug: string }, action: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events`)
      .query({ action })
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as Body[];
  }

  async function warnings(ws: { slug: string }) {
    const res = await t.http
      .get(`/api/workspaces/${ws.slug}`)
      .set('Authorization', t.internal)
      .expect(200);
    return ((res.body.warnings ?? []) as { code: string }[]).map((w) => w.code);
  }

  async function create(ws: ScimWorkspace, body: Body, query = '') {
    const res = await scim(ws, query).post('/Users', body);
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    return res.body as Body & { id: string };
  }

  /** A SCIM group of the workspace with these members; returns its id. */
  async function scimGroup(ws: ScimWorkspace, displayName: string, memberIds: string[]) {
    const res = await scim(ws).post('/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName,
      members: memberIds.map((value) => ({ value })),
    });
    if (res.status !== 201) throw new Error(`group: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  async function groupMemberIds(ws: ScimWorkspace, groupId: string) {
    const res = await scim(ws).get(`/Groups/${groupId}`).expect(200);
    return ((res.body.members ?? []) as { value: string }[]).map((m) => m.value);
  }

  async function liveSessions(userId: string, workspaceId: string) {
    const [row] = await t.dataSource.query<{ live: number; revoked: number }[]>(
      `SELECT count(*) FILTER (WHERE revoked_at IS NULL)::int AS live,
              count(*) FILTER (WHERE revoked_at IS NOT NULL)::int AS revoked
         FROM sessions WHERE user_id = $1 AND workspace_id = $2`,
      [userId, workspaceId],
    );
    return row!;
  }

  /**
   * A workspace where `before` runs while password sign-in is still on, then SAML becomes the
   * only method (which ends password sessions) and SCIM is enabled; `samlSignIn` signs a member
   * in through its SAML provider and returns the session's Cookie header.
   */
  async function scimWorkspaceAfter(
    provider: 'okta' | 'azure',
    before: (ws: { slug: string; id: string; adminEmail: string }) => Promise<void>,
  ): Promise<ScimWorkspace & { samlSignIn(email: string): Promise<string> }> {
    const ws = await createWorkspace(t);
    await before(ws);
    const [key] = await idpKeys();
    const idp = await createProvider(t, ws.slug, { key: key! });
    await t.http
      .patch(`/api/workspaces/${ws.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ signInMethods: { password: false, office365: false, saml: true } })
      .expect(200);
    const res = await t.http
      .post(`/api/workspaces/${ws.slug}/scim`)
      .set('Authorization', t.internal)
      .send({ provider })
      .expect(201);
    const samlSignIn = async (email: string) => {
      const signedIn = await postToAcs(t, idp, await responseFor(idp, email));
      if (signedIn.status !== 302) throw new Error(`SAML: ${signedIn.status} ${signedIn.text}`);
      return (signedIn.headers['set-cookie'] as unknown as string[])
        .map((c) => c.split(';')[0])
        .join('; ');
    };
    return {
      ...ws,
      token: res.body.token as string,
      auth: `Bearer ${res.body.token as string}`,
      samlSignIn,
    };
  }

  let counter = 0;
  const uniqueEmail = (prefix: string) => `${prefix}.${++counter}.${Date.now()}@dialects.test`;

  // ---- the whole lifecycle, per dialect -----------------------------------------------

  describe.each(DIALECTS)('$name: lifecycle', (dialect) => {
    it('looks up, creates, renames, changes the email, grants and revokes admin, deactivates, reactivates and deletes', async () => {
      const ws = await scimWorkspace(t, dialect.provider);
      const client = scim(ws, dialect.query);
      const email = uniqueEmail('grace');
      const userName =
        dialect.provider === 'azure' ? `grace.${counter}@corp.onmicrosoft.test` : email;

      // The IdP first looks the user up (Okta adds startIndex and count).
      const lookup = await client
        .get('/Users', { filter: `userName eq "${userName}"`, startIndex: 1, count: 100 })
        .expect(200);
      expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });

      const created = await create(ws, dialect.create(userName, email), dialect.query);
      expect(created).toMatchObject({ userName, active: true });
      expect(created.password).toBeUndefined();
      expect(await member(ws, created.id)).toMatchObject({
        email,
        fullName: 'Grace Hopper',
        role: 'member',
        status: 'active',
        source: 'scim',
        scimManaged: true,
      });

      for (const filter of [
        `userName eq "${userName.toUpperCase()}"`,
        `externalId eq "${created.externalId as string}"`,
        `emails[type eq "work"].value eq "${email}"`,
      ]) {
        const found = await client.get('/Users', { filter }).expect(200);
        expect({ filter, ids: found.body.Resources.map((r: Body) => r.id) }).toEqual({
          filter,
          ids: [created.id],
        });
      }

      let current = (await client.get(`/Users/${created.id}`).expect(200)).body as Body;
      current = await apply(ws, dialect, created.id, dialect.rename('Amazing', 'Grace', current));
      expect(await member(ws, created.id)).toMatchObject({ fullName: 'Amazing Grace' });

      const newEmail = uniqueEmail('grace.new');
      current = await apply(ws, dialect, created.id, dialect.changeEmail(newEmail, current));
      expect(await member(ws, created.id)).toMatchObject({ email: newEmail });
      expect(current.userName).toBe(userName);
      const byNewEmail = await client
        .get('/Users', { filter: `emails[type eq "work"].value eq "${newEmail}"` })
        .expect(200);
      expect(byNewEmail.body.totalResults).toBe(1);

      current = await apply(ws, dialect, created.id, dialect.grantAdmin(current));
      expect(await member(ws, created.id)).toMatchObject({ role: 'admin' });
      current = await apply(ws, dialect, created.id, dialect.revokeAdmin(current));
      expect(await member(ws, created.id)).toMatchObject({ role: 'member' });

      current = await apply(ws, dialect, created.id, dialect.setActive(false, current));
      expect(current.active).toBe(false);
      expect(await member(ws, created.id)).toMatchObject({ status: 'deactivated' });
      const inactive = await client.get('/Users', { filter: 'active eq false' }).expect(200);
      expect(inactive.body.Resources.map((r: Body) => r.id)).toEqual([created.id]);

      current = await apply(ws, dialect, created.id, dialect.setActive(true, current));
      expect(current.active).toBe(true);
      expect(await member(ws, created.id)).toMatchObject({ status: 'active' });

      await client.delete(`/Users/${created.id}`).expect(204);
      expect(await member(ws, created.id)).toBeUndefined();
      await client.get(`/Users/${created.id}`).expect(404);
    });
  });

  // ---- request shapes -----------------------------------------------------------------

  /** PATCH shapes seen from Entra (either mode) and Okta, on a fresh user each. */
  const PATCH_SHAPES: {
    name: string;
    /** `n` is unique per run: values that must not collide across dialects use it. */
    ops: Op[] | ((n: string) => Op[]);
    check: (resource: Body, view: Body, n: string) => void;
  }[] = [
    {
      name: 'op in any case',
      ops: [
        { op: 'REPLACE', path: 'title', value: 'Rear Admiral' },
        { op: 'Add', path: 'nickName', value: 'Amazing' },
      ],
      check: (r) => expect(r).toMatchObject({ title: 'Rear Admiral', nickName: 'Amazing' }),
    },
    {
      name: 'path-less replace with dotted and URN keys',
      ops: [
        {
          op: 'replace',
          value: {
            'name.givenName': 'Ada',
            'name.familyName': 'Lovelace',
            [`${ENTERPRISE}:employeeNumber`]: '1815',
            [`${ENTERPRISE}:department`]: 'Analytics',
            displayName: 'Ada Lovelace',
          },
        },
      ],
      check: (r, view) => {
        expect(r).toMatchObject({
          name: { givenName: 'Ada', familyName: 'Lovelace' },
          [ENTERPRISE]: { employeeNumber: '1815', department: 'Analytics' },
        });
        expect(view.fullName).toBe('Ada Lovelace');
      },
    },
    {
      name: 'path-less Add with an object value',
      ops: [{ op: 'Add', value: { title: 'Engineer', preferredLanguage: 'en-GB' } }],
      check: (r) => expect(r).toMatchObject({ title: 'Engineer', preferredLanguage: 'en-GB' }),
    },
    {
      name: 'active as the string "False"',
      ops: [{ op: 'Replace', path: 'active', value: 'False' }],
      check: (r, view) => {
        expect(r.active).toBe(false);
        expect(view.status).toBe('deactivated');
      },
    },
    {
      name: 'path-less {"active": "False"}',
      ops: [{ op: 'replace', value: { active: 'False' } }],
      check: (r, view) => {
        expect(r.active).toBe(false);
        expect(view.status).toBe('deactivated');
      },
    },
    {
      name: 'active "True" keeps the user active',
      ops: [{ op: 'Replace', path: 'active', value: 'True' }],
      check: (r, view) => {
        expect(r.active).toBe(true);
        expect(view.status).toBe('active');
      },
    },
    {
      name: 'emails[type eq "work"].value',
      ops: (n) => [
        { op: 'replace', path: 'emails[type eq "work"].value', value: `Moved.${n}@Dialects.test` },
      ],
      check: (r, view, n) => {
        expect(r.emails).toEqual([
          expect.objectContaining({
            type: 'work',
            value: `Moved.${n}@Dialects.test`,
            primary: true,
          }),
        ]);
        expect(view.email).toBe(`moved.${n}@dialects.test`);
      },
    },
    {
      name: 'a value path that matches nothing creates the value',
      ops: [
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+44 20 7946 0000' },
        { op: 'replace', path: 'emails[type eq "home"].value', value: 'home@dialects.test' },
        { op: 'add', path: 'addresses[type eq "work"].postalCode', value: 'SW1A 1AA' },
      ],
      check: (r, view) => {
        expect(r.phoneNumbers).toEqual([{ type: 'mobile', value: '+44 20 7946 0000' }]);
        expect(r.emails).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'work', primary: true }),
            { type: 'home', value: 'home@dialects.test' },
          ]),
        );
        expect(r.addresses).toEqual([{ type: 'work', postalCode: 'SW1A 1AA' }]);
        expect(view.email).not.toBe('home@dialects.test');
      },
    },
    {
      name: 'the enterprise manager as a bare id',
      ops: [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'b0c5-manager-id' }],
      check: (r) => expect(r[ENTERPRISE]).toMatchObject({ manager: { value: 'b0c5-manager-id' } }),
    },
    {
      name: 'the enterprise extension as a whole object',
      ops: [{ op: 'replace', path: ENTERPRISE, value: { costCenter: 'CC-7', division: 'R&D' } }],
      check: (r) => expect(r[ENTERPRISE]).toMatchObject({ costCenter: 'CC-7', division: 'R&D' }),
    },
    {
      name: 'externalId and userName',
      ops: [
        { op: 'Replace', path: 'externalId', value: 'new-external-id' },
        { op: 'Replace', path: 'userName', value: 'renamed.user@corp.test' },
      ],
      check: (r) =>
        expect(r).toMatchObject({
          externalId: 'new-external-id',
          userName: 'renamed.user@corp.test',
        }),
    },
    {
      name: 'password (accepted, never kept)',
      ops: [{ op: 'replace', value: { password: 'N3w-password!' } }],
      check: (r) => expect(JSON.stringify(r)).not.toContain('N3w-password!'),
    },
    {
      name: 'remove of an attribute that is not there',
      ops: [{ op: 'Remove', path: 'nickName' }],
      check: (r) => expect(r.nickName).toBeUndefined(),
    },
  ];

  describe.each([okta, ...ENTRA_MODES])('$name: PATCH request shapes', (dialect) => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t, dialect.provider);
    });

    it.each(PATCH_SHAPES)('$name', async ({ ops, check }) => {
      const email = uniqueEmail('shape');
      const user = await create(ws, dialect.create(email, email), dialect.query);
      const n = `${++counter}.${Date.now()}`;
      const res = await scim(ws, dialect.query).patch(
        `/Users/${user.id}`,
        typeof ops === 'function' ? ops(n) : ops,
      );
      expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({
        status: 200,
        body: 'ok',
      });
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      const view = (await member(ws, user.id))!;
      check(res.body as Body, view, n);
      // The answer is what a later GET returns.
      const read = await scim(ws).get(`/Users/${user.id}`).expect(200);
      expect(read.body).toEqual(res.body);
      const [row] = await t.dataSource.query<{ password_hash: string | null }[]>(
        `SELECT password_hash FROM users WHERE id = $1`,
        [user.id],
      );
      expect(row?.password_hash).toBeNull();
    });
  });

  // ---- the admin role -----------------------------------------------------------------

  describe('admin role', () => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t, 'azure');
    });

    it.each<[string, Body, 'admin' | 'member']>([
      ['Entra AppRoleAssignmentsComplex admin', { roles: [ENTRA_ROLE] }, 'admin'],
      [
        'Entra roles with a string primary',
        { roles: [{ ...ENTRA_ROLE, primary: 'True' }] },
        'admin',
      ],
      [
        'roles value "Admin" (case matters)',
        { roles: [{ ...ENTRA_ROLE, value: 'Admin' }] },
        'member',
      ],
      [
        'roles with display admin but another value',
        { roles: [{ display: 'admin', value: 'User' }] },
        'member',
      ],
      ['roles value "member"', { roles: [{ value: 'member' }] }, 'member'],
      ['roles among others', { roles: [{ value: 'reader' }, { value: 'admin' }] }, 'admin'],
      ['empty roles', { roles: [] }, 'member'],
      ['Okta top-level role "admin"', { role: 'admin' }, 'admin'],
      ['Okta top-level role "Admin"', { role: 'Admin' }, 'member'],
      ['Okta top-level role "owner"', { role: 'owner' }, 'member'],
      [
        'Okta role in the Gatehouse extension',
        { schemas: [USER_SCHEMA, GATEHOUSE], [GATEHOUSE]: { role: 'admin' } },
        'admin',
      ],
      [
        'Gatehouse extension role "ADMIN"',
        { schemas: [USER_SCHEMA, GATEHOUSE], [GATEHOUSE]: { role: 'ADMIN' } },
        'member',
      ],
    ])('POST with %s → %s', async (_, extra, role) => {
      const email = uniqueEmail('role');
      const user = await create(ws, oktaUser(email, extra));
      expect(await member(ws, user.id)).toMatchObject({ role, status: 'active' });
    });

    it.each<[string, Body, Op[], 'admin' | 'member']>([
      [
        'Entra add roles (complex)',
        {},
        [{ op: 'add', path: 'roles', value: [ENTRA_ROLE] }],
        'admin',
      ],
      [
        'Entra Add roles as {"value":"admin"}',
        {},
        [{ op: 'Add', path: 'roles', value: [{ value: 'admin' }] }],
        'admin',
      ],
      [
        'Add roles as one object',
        {},
        [{ op: 'Add', path: 'roles', value: { value: 'admin' } }],
        'admin',
      ],
      [
        'Add roles "Admin"',
        {},
        [{ op: 'add', path: 'roles', value: [{ value: 'Admin' }] }],
        'member',
      ],
      [
        'path-less replace with roles',
        {},
        [{ op: 'Replace', value: { roles: [{ value: 'admin', primary: 'False' }] } }],
        'admin',
      ],
      ['replace top-level role', {}, [{ op: 'replace', path: 'role', value: 'admin' }], 'admin'],
      [
        'replace the Gatehouse extension role',
        {},
        [{ op: 'replace', path: `${GATEHOUSE}:role`, value: 'admin' }],
        'admin',
      ],
      [
        'path-less replace with the Gatehouse extension URN key',
        {},
        [{ op: 'replace', value: { [`${GATEHOUSE}:role`]: 'admin' } }],
        'admin',
      ],
      [
        'remove roles[value eq "admin"]',
        { roles: [ENTRA_ROLE] },
        [{ op: 'remove', path: 'roles[value eq "admin"]' }],
        'member',
      ],
      [
        'Entra Remove roles with a value list',
        { roles: [ENTRA_ROLE] },
        [{ op: 'Remove', path: 'roles', value: [{ value: 'admin' }] }],
        'member',
      ],
      ['remove all roles', { roles: [ENTRA_ROLE] }, [{ op: 'remove', path: 'roles' }], 'member'],
      [
        'replace roles with another value',
        { roles: [ENTRA_ROLE] },
        [{ op: 'replace', path: 'roles', value: [{ value: 'reader' }] }],
        'member',
      ],
      [
        'replace role "member"',
        { role: 'admin' },
        [{ op: 'replace', path: 'role', value: 'member' }],
        'member',
      ],
      ['remove role', { role: 'admin' }, [{ op: 'remove', path: 'role' }], 'member'],
      [
        'remove the Gatehouse extension',
        { schemas: [USER_SCHEMA, GATEHOUSE], [GATEHOUSE]: { role: 'admin' } },
        [{ op: 'remove', path: GATEHOUSE }],
        'member',
      ],
    ])('PATCH %s → %s', async (_, initial, ops, role) => {
      const email = uniqueEmail('patchrole');
      const user = await create(ws, oktaUser(email, initial));
      await scim(ws).patch(`/Users/${user.id}`, ops).expect(200);
      expect(await member(ws, user.id)).toMatchObject({ role });
    });

    it('a PUT without the role demotes (PUT replaces the whole user)', async () => {
      const email = uniqueEmail('putrole');
      const user = await create(ws, oktaUser(email, { role: 'admin' }));
      expect(await member(ws, user.id)).toMatchObject({ role: 'admin' });
      await scim(ws).put(`/Users/${user.id}`, oktaUser(email)).expect(200);
      expect(await member(ws, user.id)).toMatchObject({ role: 'member' });
    });
  });

  // ---- Entra's app roles: the role's value as a JSON string -------------------------------

  describe.each(ENTRA_MODES)('$name: app roles', (dialect) => {
    let ws: ScimWorkspace;
    beforeAll(async () => {
      ws = await scimWorkspace(t, 'azure');
    });
    /** Entra's ops are lower-case with the flag and capitalised without it. */
    const op = (name: 'add' | 'replace') =>
      dialect.query ? name : name[0]!.toUpperCase() + name.slice(1);
    /** An app role as AppRoleAssignmentsComplex's PATCH and the Assertive mapping send it. */
    const appRole = (value: string) => ({
      value: JSON.stringify({
        id: '7f3c9a52-1d6e-4b8a-9c21-5e0f4d3b2a10',
        value,
        displayName: value[0]!.toUpperCase() + value.slice(1),
      }),
    });

    async function entraMember() {
      const email = uniqueEmail('approle');
      const user = await create(ws, dialect.create(email, email), dialect.query);
      expect(await member(ws, user.id)).toMatchObject({ role: 'member' });
      return user;
    }

    it.each<[string, 'admin' | 'member', unknown[]]>([
      ['the inner value "admin"', 'admin', [appRole('admin')]],
      ['the inner value "Admin" (case matters)', 'member', [appRole('Admin')]],
      ['the inner value "reader"', 'member', [appRole('reader')]],
      ['malformed inner JSON', 'member', [{ value: '{"id":"x","value":"admin"' }]],
      ['inner JSON without a value', 'member', [{ value: '{"displayName":"admin"}' }]],
      ['inner JSON whose value is not a string', 'member', [{ value: '{"value":["admin"]}' }]],
    ])('AppRoleAssignmentsComplex Add with %s → %s', async (_, role, value) => {
      const user = await entraMember();
      const res = await scim(ws, dialect.query)
        .patch(`/Users/${user.id}`, [{ op: op('add'), path: 'roles', value }])
        .expect(200);
      expect(res.body.roles).toEqual(value);
      expect(await member(ws, user.id)).toMatchObject({ role, status: 'active' });
    });

    it('AssertiveAppRoleAssignmentsComplex replaces the whole list: a list without admin demotes', async () => {
      const user = await entraMember();
      const client = scim(ws, dialect.query);
      const replace = (value: unknown[]) =>
        client.patch(`/Users/${user.id}`, [{ op: op('replace'), path: 'roles', value }]);
      await client
        .patch(`/Users/${user.id}`, [{ op: op('add'), path: 'roles', value: [appRole('admin')] }])
        .expect(200);
      expect(await member(ws, user.id)).toMatchObject({ role: 'admin' });
      await replace([appRole('reader')]).expect(200);
      expect(await member(ws, user.id)).toMatchObject({ role: 'member' });
      await replace([appRole('reader'), appRole('admin')]).expect(200);
      expect(await member(ws, user.id)).toMatchObject({ role: 'admin' });
      await replace([]).expect(200);
      expect(await member(ws, user.id)).toMatchObject({ role: 'member' });
    });
  });

  // ---- linking people -----------------------------------------------------------------

  describe('linking existing people', () => {
    it('links a member added by hand: same person, now SCIM-managed, no second membership', async () => {
      let handMade = '';
      const email = uniqueEmail('handmade');
      const ws = await scimWorkspaceAfter('okta', async (w) => {
        handMade = await addMember(t, w.slug, email);
      });
      const before = await scim(ws).get('/Users', { count: 0 }).expect(200);
      const user = await create(ws, oktaUser(email, { userName: email.toUpperCase() }));
      expect(user.id).toBe(handMade);
      expect(user.userName).toBe(email.toUpperCase());
      expect(await member(ws, user.id)).toMatchObject({
        email,
        fullName: 'Ada Lovelace',
        scimManaged: true,
        status: 'active',
      });
      const after = await scim(ws).get('/Users', { count: 0 }).expect(200);
      expect(after.body.totalResults).toBe(before.body.totalResults);
      const linked = await auditActions(ws, 'member.linked');
      expect(linked.map((e) => e.targetId)).toEqual([user.id]);
    });

    it('refuses a person of another workspace without authority over their email: 409 uniqueness', async () => {
      const other = await createWorkspace(t);
      const email = uniqueEmail('elsewhere');
      const personId = await addMember(t, other.slug, email);
      const ws = await scimWorkspace(t);
      const res = await scim(ws).post('/Users', oktaUser(email));
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ scimType: 'uniqueness' });
      expect(res.body.detail).not.toContain(other.slug);
      expect(res.body.detail).not.toContain(other.id);
      expect(await member(other, personId)).toMatchObject({ status: 'active', scimManaged: false });
    });

    it("links a person of another workspace when the email's domain is verified here", async () => {
      const other = await createWorkspace(t);
      const ws = await scimWorkspace(t);
      const domain = `d${counter}-${ws.slug}.test`;
      await verifyDomain(t, ws.slug, domain);
      const email = `elsewhere@${domain}`;
      const personId = await addMember(t, other.slug, email);
      const user = await create(ws, oktaUser(email));
      expect(user.id).toBe(personId);
      expect(await member(ws, user.id)).toMatchObject({ source: 'scim', scimManaged: true });
      // Their membership of the other workspace is untouched.
      expect(await member(other, personId)).toMatchObject({ status: 'active', scimManaged: false });
    });

    it('refuses a person SCIM-linked to another workspace: 409 uniqueness, nothing changes', async () => {
      const first = await scimWorkspace(t);
      const email = uniqueEmail('linked');
      const linked = await create(first, oktaUser(email));
      const [personBefore] = await t.dataSource.query<Body[]>(
        `SELECT email, full_name, scim_workspace_id, updated_at FROM users WHERE id = $1`,
        [linked.id],
      );

      const second = await scimWorkspace(t, 'azure');
      const countBefore = (await scim(second).get('/Users', { count: 0 })).body.totalResults;
      const res = await scim(second, '?aadOptscim062020').post(
        '/Users',
        entraUser(`someone.${counter}@corp.test`, email, {
          name: { givenName: 'Other', familyName: 'Name' },
        }),
      );
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        schemas: [ERROR_SCHEMA],
        status: '409',
        scimType: 'uniqueness',
        detail: expect.stringMatching(/another workspace/i),
      });
      expect((await scim(second).get('/Users', { count: 0 })).body.totalResults).toBe(countBefore);
      const [personAfter] = await t.dataSource.query<Body[]>(
        `SELECT email, full_name, scim_workspace_id, updated_at FROM users WHERE id = $1`,
        [linked.id],
      );
      expect(personAfter).toEqual(personBefore);
      expect(personAfter!.scim_workspace_id).toBe(first.id);
    });

    it('refuses to take over a hand-made member here who is SCIM-linked elsewhere', async () => {
      const first = await scimWorkspace(t);
      const email = uniqueEmail('takeover');
      const linked = await create(first, oktaUser(email));
      const second = await scimWorkspace(t);
      // Added by hand to the second workspace (SCIM-only is off there).
      await addMember(t, second.slug, email);
      const found = await scim(second)
        .get('/Users', { filter: `userName eq "${email}"` })
        .expect(200);
      expect(found.body.Resources.map((r: Body) => r.id)).toEqual([linked.id]);

      const put = await scim(second).put(
        `/Users/${linked.id}`,
        oktaUser(email, { title: 'Taken' }),
      );
      expect(put.status).toBe(409);
      expect(put.body).toMatchObject({
        scimType: 'uniqueness',
        detail: expect.stringMatching(/another workspace/i),
      });
      const patch = await scim(second).patch(`/Users/${linked.id}`, [
        { op: 'replace', path: 'active', value: false },
      ]);
      expect(patch.status).toBe(409);
      expect(patch.body.scimType).toBe('uniqueness');
      expect(await member(second, linked.id)).toMatchObject({
        status: 'active',
        scimManaged: false,
      });
      const [person] = await t.dataSource.query<{ scim_workspace_id: string }[]>(
        `SELECT scim_workspace_id FROM users WHERE id = $1`,
        [linked.id],
      );
      expect(person!.scim_workspace_id).toBe(first.id);
    });

    it('after a DELETE the person can be provisioned again, here or elsewhere', async () => {
      const first = await scimWorkspace(t);
      const email = uniqueEmail('again');
      const user = await create(first, oktaUser(email));
      await scim(first).delete(`/Users/${user.id}`).expect(204);
      const second = await scimWorkspace(t);
      const there = await create(second, oktaUser(email));
      expect(there.id).toBe(user.id);
      await scim(second).delete(`/Users/${user.id}`).expect(204);
      const back = await create(first, oktaUser(email));
      expect(back.id).toBe(user.id);
    });

    it('creates members through SCIM while scimOnlyProvisioning is on', async () => {
      const ws = await scimWorkspace(t);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ scimOnlyProvisioning: true })
        .expect(200);
      const email = uniqueEmail('scimonly');
      const user = await create(ws, oktaUser(email));
      expect(await member(ws, user.id)).toMatchObject({ source: 'scim', status: 'active' });
      await scim(ws)
        .patch(`/Users/${user.id}`, [{ op: 'replace', value: { active: false } }])
        .expect(200);
      await scim(ws).delete(`/Users/${user.id}`).expect(204);
      const byHand = await t.http
        .post(`/api/workspaces/${ws.slug}/members`)
        .set('Authorization', t.internal)
        .send({ email: uniqueEmail('byhand') });
      expect(byHand.status).toBe(409);
      expect(byHand.body.code).toBe('SCIM_ONLY_PROVISIONING');
    });
  });

  // ---- deactivation, reactivation, deletion -------------------------------------------

  describe.each(DIALECTS)('$name: deactivation side effects', (dialect) => {
    it('empties the groups and revokes the sessions; reactivation brings no group back; DELETE removes the membership', async () => {
      let email = '';
      let userId = '';
      const ws = await scimWorkspaceAfter(dialect.provider, async (w) => {
        // The person also belongs to another workspace: linking them needs the email's domain.
        const domain = `${w.slug}.test`;
        await verifyDomain(t, w.slug, domain);
        email = `sessions.${++counter}@${domain}`;
        userId = await addMember(t, w.slug, email);
      });
      // The same person in a workspace without SCIM, signed in there too.
      const elsewhere = await createWorkspace(t);
      await addMember(t, elsewhere.slug, email);
      const elsewhereCookie = await signIn(t, elsewhere.slug, email, PASSWORD);
      const user = await create(ws, dialect.create(email, email), dialect.query);
      expect(user.id).toBe(userId);
      const cookie = await ws.samlSignIn(email);
      const other = await create(
        ws,
        dialect.create(uniqueEmail('peer'), uniqueEmail('peer')),
        dialect.query,
      );
      const engineers = await scimGroup(ws, `Engineers ${counter}`, [user.id, other.id]);
      const admins = await scimGroup(ws, `Pilots ${counter}`, [user.id]);
      expect((await liveSessions(user.id, ws.id)).live).toBe(1);
      const groupVersion = async (id: string) =>
        (await scim(ws).get(`/Groups/${id}`).expect(200)).body.meta.version as string;
      const versionBefore = await groupVersion(engineers);

      const deactivated = await apply(ws, dialect, user.id, dialect.setActive(false, user));
      expect(deactivated).toMatchObject({ active: false, groups: [] });
      expect(await member(ws, user.id)).toMatchObject({ status: 'deactivated' });
      expect(await groupMemberIds(ws, engineers)).toEqual([other.id]);
      expect(await groupMemberIds(ws, admins)).toEqual([]);
      // The groups changed: their version too (an IdP's If-Match on them must not pass).
      expect(await groupVersion(engineers)).not.toBe(versionBefore);
      expect(await liveSessions(user.id, ws.id)).toEqual({ live: 0, revoked: 1 });
      // Only the sessions of this workspace end.
      expect(await liveSessions(user.id, elsewhere.id)).toEqual({ live: 1, revoked: 0 });
      await t.http.get('/auth/session').set('Cookie', elsewhereCookie).expect(200);
      expect(await member(elsewhere, user.id)).toMatchObject({ status: 'active' });
      const [session] = await t.dataSource.query<{ revoked_reason: string }[]>(
        `SELECT revoked_reason FROM sessions WHERE user_id = $1 AND workspace_id = $2`,
        [user.id, ws.id],
      );
      expect(session?.revoked_reason).toBe('deactivated');
      await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
      const events = await auditActions(ws, 'member.deactivated');
      expect(events[0]).toMatchObject({ targetId: user.id, channel: 'scim' });

      // Deactivated members cannot be put back in a group by the IdP.
      await scim(ws)
        .patch(`/Groups/${engineers}`, [
          { op: 'add', path: 'members', value: [{ value: user.id }] },
        ])
        .expect((r) => expect([200, 204]).toContain(r.status));
      expect(await groupMemberIds(ws, engineers)).toEqual([other.id]);

      const current = (await scim(ws).get(`/Users/${user.id}`).expect(200)).body as Body;
      const reactivated = await apply(ws, dialect, user.id, dialect.setActive(true, current));
      expect(reactivated).toMatchObject({ active: true, groups: [] });
      expect(await member(ws, user.id)).toMatchObject({ status: 'active' });
      expect(await groupMemberIds(ws, engineers)).toEqual([other.id]);
      expect((await liveSessions(user.id, ws.id)).live).toBe(0);

      await scim(ws).patch(`/Groups/${admins}`, [
        { op: 'add', path: 'members', value: [{ value: user.id }] },
      ]);
      expect(await groupMemberIds(ws, admins)).toEqual([user.id]);
      const adminsVersion = await groupVersion(admins);
      await scim(ws, dialect.query).delete(`/Users/${user.id}`).expect(204);
      expect(await member(ws, user.id)).toBeUndefined();
      expect(await groupMemberIds(ws, admins)).toEqual([]);
      expect(await groupVersion(admins)).not.toBe(adminsVersion);
      expect(await liveSessions(user.id, ws.id)).toEqual({ live: 0, revoked: 0 });
      const [person] = await t.dataSource.query<{ scim_workspace_id: string | null }[]>(
        `SELECT scim_workspace_id FROM users WHERE id = $1`,
        [user.id],
      );
      expect(person).toEqual({ scim_workspace_id: null });
      expect((await auditActions(ws, 'member.removed'))[0]).toMatchObject({ targetId: user.id });
    });
  });

  describe('Okta PUT', () => {
    it('keeps the current status when the PUT has no active, and applies it when it has', async () => {
      const ws = await scimWorkspace(t);
      const email = uniqueEmail('okta.put');
      const user = await create(ws, oktaUser(email));
      await scim(ws)
        .patch(`/Users/${user.id}`, [{ op: 'replace', value: { active: false } }])
        .expect(200);
      const current = (await scim(ws).get(`/Users/${user.id}`).expect(200)).body as Body;
      const withoutActive = omit(oktaPut(current, { title: 'Still away' }), 'active');
      const put = await scim(ws).put(`/Users/${user.id}`, withoutActive).expect(200);
      expect(put.body).toMatchObject({ active: false, title: 'Still away' });
      expect(await member(ws, user.id)).toMatchObject({ status: 'deactivated' });
      const back = await scim(ws)
        .put(`/Users/${user.id}`, oktaPut(current, { active: true }))
        .expect(200);
      expect(back.body.active).toBe(true);
      expect(await member(ws, user.id)).toMatchObject({ status: 'active' });
      const stringy = await scim(ws)
        .put(`/Users/${user.id}`, oktaPut(current, { active: 'False' }))
        .expect(200);
      expect(stringy.body.active).toBe(false);
    });
  });

  // ---- email changes ------------------------------------------------------------------

  describe.each(DIALECTS)('$name: email changes', (dialect) => {
    it('changes the email, and refuses one another person has with 409 uniqueness', async () => {
      const ws = await scimWorkspace(t, dialect.provider);
      const first = uniqueEmail('mail.first');
      const user = await create(ws, dialect.create(first, first), dialect.query);
      const taken = uniqueEmail('mail.taken');
      await create(ws, dialect.create(taken, taken), dialect.query);
      const outsider = await createWorkspace(t);
      const outsiderEmail = uniqueEmail('mail.outsider');
      await addMember(t, outsider.slug, outsiderEmail);

      const current = (await scim(ws).get(`/Users/${user.id}`).expect(200)).body as Body;
      for (const other of [taken, outsiderEmail.toUpperCase()]) {
        const change = dialect.changeEmail(other, current);
        const client = scim(ws, dialect.query);
        const res = change.put
          ? await client.put(`/Users/${user.id}`, change.put)
          : await client.patch(`/Users/${user.id}`, change.ops!);
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({
          schemas: [ERROR_SCHEMA],
          status: '409',
          scimType: 'uniqueness',
          detail: expect.stringContaining(other.toLowerCase()),
        });
        expect(await member(ws, user.id)).toMatchObject({ email: first });
        const after = await scim(ws).get(`/Users/${user.id}`).expect(200);
        expect(after.body).toEqual(current);
      }

      const fresh = uniqueEmail('mail.fresh');
      await apply(ws, dialect, user.id, dialect.changeEmail(fresh.toUpperCase(), current));
      expect(await member(ws, user.id)).toMatchObject({ email: fresh });
    });
  });

  // ---- the last admin -----------------------------------------------------------------

  describe('the last active admin', () => {
    /** A SCIM workspace whose only admin (the first, made by hand) is linked to the IdP as admin. */
    async function linkedAdmin(provider: 'okta' | 'azure' = 'okta') {
      const ws = await scimWorkspace(t, provider);
      const admin = await create(ws, oktaUser(ws.adminEmail, { roles: [ENTRA_ROLE] }));
      expect(admin.id).toBe(ws.adminId);
      expect(await member(ws, admin.id)).toMatchObject({ role: 'admin', scimManaged: true });
      expect(await warnings(ws)).not.toContain('NO_ACTIVE_ADMIN');
      expect(await auditActions(ws, 'workspace.no_active_admin')).toEqual([]);
      return { ws, admin };
    }

    async function expectAdminGap(ws: ScimWorkspace) {
      const events = await auditActions(ws, 'workspace.no_active_admin');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        channel: 'scim',
        targetType: 'workspace',
        targetId: ws.id,
      });
      expect(await warnings(ws)).toContain('NO_ACTIVE_ADMIN');
    }

    it.each<[string, Op[]]>([
      ['Entra deactivation', [{ op: 'Replace', path: 'active', value: 'False' }]],
      ['Okta deactivation', [{ op: 'replace', value: { active: false } }]],
      ['demotion (roles removed)', [{ op: 'remove', path: 'roles[value eq "admin"]' }]],
    ])('%s applies anyway, is audited and shows a warning', async (_, ops) => {
      const { ws, admin } = await linkedAdmin();
      await scim(ws).patch(`/Users/${admin.id}`, ops).expect(200);
      const view = await member(ws, admin.id);
      expect(view!.status === 'deactivated' || view!.role === 'member').toBe(true);
      await expectAdminGap(ws);
      // Giving the role back clears the warning.
      await scim(ws)
        .put(`/Users/${admin.id}`, oktaUser(ws.adminEmail, { roles: [ENTRA_ROLE], active: true }))
        .expect(200);
      expect(await member(ws, admin.id)).toMatchObject({ role: 'admin', status: 'active' });
      expect(await warnings(ws)).not.toContain('NO_ACTIVE_ADMIN');
    });

    it('DELETE of the last admin applies anyway, is audited and shows a warning', async () => {
      const { ws, admin } = await linkedAdmin('azure');
      await scim(ws, '?aadOptscim062020').delete(`/Users/${admin.id}`).expect(204);
      expect(await member(ws, admin.id)).toBeUndefined();
      await expectAdminGap(ws);
    });

    it('linking the last admin without the admin role demotes them, audited', async () => {
      const ws = await scimWorkspace(t);
      const admin = await create(ws, oktaUser(ws.adminEmail));
      expect(admin.id).toBe(ws.adminId);
      expect(await member(ws, admin.id)).toMatchObject({ role: 'member', scimManaged: true });
      await expectAdminGap(ws);
    });

    it('no event while another active admin remains', async () => {
      const { ws, admin } = await linkedAdmin();
      await create(ws, oktaUser(uniqueEmail('second.admin'), { role: 'admin' }));
      await scim(ws)
        .patch(`/Users/${admin.id}`, [{ op: 'replace', value: { active: false } }])
        .expect(200);
      expect(await auditActions(ws, 'workspace.no_active_admin')).toEqual([]);
      expect(await warnings(ws)).not.toContain('NO_ACTIVE_ADMIN');
    });
  });

  // ---- atomic PATCH -------------------------------------------------------------------

  describe.each([okta, ...ENTRA_MODES])('$name: PATCH is atomic', (dialect) => {
    it.each<[string, (taken: string) => Op[], number, string]>([
      [
        'an unknown attribute in the 2nd op',
        () => [
          { op: 'replace', path: 'name.givenName', value: 'Changed' },
          { op: 'replace', path: 'favouriteColour', value: 'blue' },
        ],
        400,
        'invalidPath',
      ],
      [
        'a bad value in the 2nd op',
        () => [
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'Replace', path: 'title', value: { not: 'a string' } },
        ],
        400,
        'invalidValue',
      ],
      [
        'a read-only attribute in the 2nd op',
        () => [
          { op: 'add', path: 'roles', value: [ENTRA_ROLE] },
          { op: 'replace', path: 'groups', value: [] },
        ],
        400,
        'mutability',
      ],
      [
        'a taken email in the 2nd op (fails in the database)',
        (taken) => [
          { op: 'replace', path: 'active', value: false },
          { op: 'replace', path: 'emails[type eq "work"].value', value: taken },
        ],
        409,
        'uniqueness',
      ],
      [
        'a taken userName in the 2nd op',
        (taken) => [
          { op: 'add', path: 'roles', value: [ENTRA_ROLE] },
          { op: 'replace', path: 'userName', value: taken.toUpperCase() },
        ],
        409,
        'uniqueness',
      ],
    ])('%s changes nothing', async (_, ops, status, scimType) => {
      const email = uniqueEmail('atomic');
      let userId = '';
      const ws = await scimWorkspaceAfter(dialect.provider, async (w) => {
        userId = await addMember(t, w.slug, email);
      });
      const user = await create(ws, dialect.create(email, email), dialect.query);
      expect(user.id).toBe(userId);
      const cookie = await ws.samlSignIn(email);
      const taken = uniqueEmail('atomic.taken');
      await create(ws, dialect.create(taken, taken), dialect.query);
      const group = await scimGroup(ws, `Atomic ${counter}`, [user.id]);
      const before = (await scim(ws).get(`/Users/${user.id}`).expect(200)).body as Body;
      const viewBefore = await member(ws, user.id);
      const auditBefore = (
        await t.http
          .get(`/api/workspaces/${ws.slug}/audit-events`)
          .set('Authorization', t.internal)
          .expect(200)
      ).body.total as number;

      const res = await scim(ws, dialect.query).patch(`/Users/${user.id}`, ops(taken));
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ status: String(status), scimType });
      expect(res.body.detail).toEqual(expect.any(String));

      expect((await scim(ws).get(`/Users/${user.id}`).expect(200)).body).toEqual(before);
      expect(await member(ws, user.id)).toEqual(viewBefore);
      expect(await groupMemberIds(ws, group)).toEqual([user.id]);
      expect((await liveSessions(user.id, ws.id)).live).toBe(1);
      const auditAfter = (
        await t.http
          .get(`/api/workspaces/${ws.slug}/audit-events`)
          .set('Authorization', t.internal)
          .expect(200)
      ).body.total as number;
      expect(auditAfter).toBe(auditBefore);
      expect(cookie).not.toBe('');
    });
  });
});
