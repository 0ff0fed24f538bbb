import fc from 'fast-check';
import type { Response } from 'supertest';
import { workspaceWithSignedInAdmin } from '../support/fixtures.js';
import {
  ENTERPRISE,
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  USER_SCHEMA,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of every route: the OpenAPI document's, and the SCIM endpoints RFC 7644
 * defines for the resource types /scim/v2/ResourceTypes advertises. Whatever the method, path
 * parameters, query, headers, content type and body, the answer is never a 5xx, and a refusal
 * is an error body of its API. `npm test` runs a few hundred cases; `npm run test:fuzz` thousands
 * (FUZZ_RUNS); FUZZ_SEED replays a failing run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  example?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
}

interface Route {
  method: Method;
  /** With `{name}` placeholders. */
  path: string;
  query: string[];
  body?: Schema;
  scim: boolean;
}

type Auth = 'none' | 'internal' | 'scim' | 'cookie' | 'bogus';

interface Case {
  route: Route;
  method: Method;
  params: string[];
  query: [string, string][];
  auth: Auth;
  contentType: string | undefined;
  body: string | Buffer | undefined;
  padding: number;
}

// ---- Values ---------------------------------------------------------------------------------

/** Code units PostgreSQL and JSON parsers trip over, mixed with ordinary ones. */
const nastyUnit = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\ud83c\udf89',
  '\u202e',
  '\ufeff',
  '"',
  "'",
  '\\',
  '%',
  '/',
  '*',
  '_',
  'é',
  '東',
  'a',
  ' ',
  '\n',
);

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.string({ unit: nastyUnit, maxLength: 20 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '\u0000',
      '\ud800',
      "' OR 1=1 --",
      '../../etc/passwd',
      'x'.repeat(70_000),
      '9223372036854775808',
      '-1',
      'null',
      'NaN',
      '1e400',
      'admin@example.com',
      'ADMIN@EXAMPLE.COM ',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName',
    ),
  },
);

const benignString = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
  fc.emailAddress(),
  fc.constantFrom('Ada Lovelace', 'ops', 'example.com', 'admin', 'member', 'active', 'true'),
);

/**
 * Mostly what a client would send, sometimes what an attacker would: each field of a request is
 * nasty on its own odds, so that many requests get past the edge to the handlers.
 */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: benignString },
  { weight: 1, arbitrary: nastyString },
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 1, 2 ** 63, 1e308, -1e308, 9.3e18, 0.5),
);

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  hostileNumber,
  hostileString,
  fc.constant([]),
  fc.constant({}),
);

const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    junk,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/**
 * A value for a path segment or query string as a client could put it on the wire: UTF-8
 * percent-encoded, with lone surrogates as the (invalid) bytes WTF-8 gives them.
 */
function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

const rawPercentBytes = fc
  .uint8Array({ minLength: 1, maxLength: 6 })
  .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));

function urlValue(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...known) },
    { weight: 3, arbitrary: hostileString.map(percentEncode) },
    { weight: 1, arbitrary: rawPercentBytes },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%2e%2e', '%2F', '..', '.search', '-') },
  );
}

// ---- Bodies ---------------------------------------------------------------------------------

function fromSchema(schema: Schema, components: Record<string, Schema>): fc.Arbitrary<unknown> {
  if (schema.$ref) return fromSchema(components[schema.$ref.split('/').pop()!]!, components);
  let typed: fc.Arbitrary<unknown>;
  if (schema.enum) typed = fc.constantFrom(...schema.enum);
  else if (schema.type === 'string') {
    typed =
      schema.example === undefined
        ? hostileString
        : fc.oneof(fc.constant(schema.example), hostileString);
  } else if (schema.type === 'integer' || schema.type === 'number') typed = hostileNumber;
  else if (schema.type === 'boolean') typed = fc.boolean();
  else if (schema.type === 'array') {
    typed = fc.array(schema.items ? fromSchema(schema.items, components) : junk, { maxLength: 4 });
  } else if (schema.properties) {
    const properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, s]) => [name, fromSchema(s, components)]),
    );
    typed = fc.record(properties, { requiredKeys: [] });
  } else typed = junk;
  return fc.oneof({ weight: 6, arbitrary: typed }, { weight: 1, arbitrary: junk });
}

const scimString = fc.oneof(hostileString, fc.constantFrom('Ada', 'ada@example.com', 'x'));
const filterValue = fc.oneof(
  fc.constantFrom(
    'userName eq "admin@example.com"',
    'displayName co "a"',
    'emails[type eq "work" and value co "@"]',
    'active eq true',
    'meta.lastModified gt "2020-01-01T00:00:00Z"',
    'members[value eq "0e2f5a4c-1b7d-4c1e-9a55-000000000001"]',
    'not (userName sw "a") or title pr',
    'userName eq',
    '((((((((((((((((((((',
  ),
  fc
    .tuple(
      fc.constantFrom('userName', 'displayName', 'externalId', 'id', 'emails.value', 'title'),
      fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'pr'),
      hostileString,
    )
    .map(([attribute, op, value]) => `${attribute} ${op} ${JSON.stringify(value)}`),
  hostileString,
);

function scimBody(knownIds: string[]): fc.Arbitrary<unknown> {
  const id = fc.oneof(fc.constantFrom(...knownIds), hostileString);
  const user = fc
    .record(
      {
        userName: scimString,
        displayName: scimString,
        title: scimString,
        externalId: scimString,
        active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'false', 1)),
        emails: fc.array(fc.record({ value: scimString, primary: fc.boolean() }), { maxLength: 3 }),
        [ENTERPRISE]: fc.record(
          { department: scimString, manager: hostileJson },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    )
    .map((fields) => ({ ...oktaUser('fuzz@example.com'), ...fields, schemas: [USER_SCHEMA] }));
  const group = fc.record(
    {
      schemas: fc.constant([GROUP_SCHEMA]),
      displayName: scimString,
      members: fc.array(fc.record({ value: id }), { maxLength: 6 }),
    },
    { requiredKeys: ['schemas'] },
  );
  const patch = fc.record({
    schemas: fc.constant([PATCH_SCHEMA]),
    Operations: fc.array(
      fc.record(
        {
          op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'bogus'),
          path: fc.oneof(
            fc.constantFrom(
              'members',
              'displayName',
              'active',
              'name.givenName',
              'emails[type eq "work"].value',
              `${ENTERPRISE}:department`,
            ),
            filterValue.map((f) => `members[${f}]`),
            hostileString,
          ),
          value: fc.oneof(hostileJson, fc.array(fc.record({ value: id }), { maxLength: 4 })),
        },
        { requiredKeys: ['op'] },
      ),
      { maxLength: 4 },
    ),
  });
  const search = fc.record(
    {
      schemas: fc.constant([SEARCH]),
      filter: filterValue,
      startIndex: hostileNumber,
      count: hostileNumber,
      sortBy: fc.oneof(fc.constantFrom('userName', 'displayName', 'meta.created'), hostileString),
      sortOrder: fc.oneof(fc.constantFrom('ascending', 'descending'), hostileString),
      attributes: fc.oneof(fc.array(hostileString, { maxLength: 3 }), hostileString),
    },
    { requiredKeys: ['schemas'] },
  );
  return fc.oneof(user, group, patch, search);
}

const deepJson = fc
  .tuple(fc.integer({ min: 20, max: 200_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`,
  );

// ---- The property ----------------------------------------------------------------------------

describe('API fuzzing: no input produces a 5xx', () => {
  let t: TestApp;
  let routes: Route[];
  let components: Record<string, Schema>;
  const credentials: Record<Auth, string | undefined> = {
    none: undefined,
    internal: undefined,
    scim: undefined,
    cookie: undefined,
    bogus: 'Bearer not-a-token',
  };
  /** Values that exist, by path placeholder name, so that many requests reach real rows. */
  const known: Record<string, string[]> = {};

  beforeAll(async () => {
    t = await startTestApp();
    // SCIM runs on a workspace whose slug and id the fuzzer is never given, so that fuzzed admin
    // calls (disabling SCIM, revoking sessions) cannot end the SCIM token's life early.
    const scim = await scimWorkspace(t);
    const target = await scimWorkspace(t);
    credentials.internal = t.internal;
    credentials.scim = scim.auth;
    const user = await t.http
      .post('/scim/v2/Users')
      .set('Authorization', scim.auth)
      .send(oktaUser('grace@example.com'))
      .expect(201);
    const group = await t.http
      .post('/scim/v2/Groups')
      .set('Authorization', scim.auth)
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Fuzzers', members: [{ value: user.body.id }] })
      .expect(201);
    const manual = await t.http
      .post(`/api/workspaces/${target.slug}/groups`)
      .set('Authorization', t.internal)
      .send({ displayName: 'Manual' })
      .expect(201);
    const password = await workspaceWithSignedInAdmin(t);
    credentials.cookie = password.adminCookie;
    const providers = await t.http
      .get(`/api/workspaces/${target.slug}/saml-providers`)
      .set('Authorization', t.internal)
      .expect(200);
    const provider = (providers.body as { items: { id: string; providerToken: string }[] })
      .items[0]!;
    const userId = user.body.id as string;
    Object.assign(known, {
      ws: [target.slug, target.id, password.slug, password.id],
      userId: [target.adminId, password.adminId, userId],
      id: [userId, group.body.id as string, (manual.body as { id: string }).id, provider.id],
      domain: ['example.com', `${password.slug}.example.com`],
      token: ['0e2f5a4c-1b7d-4c1e-9a55-000000000001'],
      providerToken: [provider.providerToken],
      name: ['User', 'Group'],
    });
    known.any = Object.values(known).flat();
    known.id!.push(USER_SCHEMA, GROUP_SCHEMA);

    const doc = await t.http.get('/docs/json').expect(200);
    components = doc.body.components.schemas as Record<string, Schema>;
    routes = Object.entries(
      doc.body.paths as Record<
        string,
        Record<
          string,
          {
            parameters?: { in: string; name: string }[];
            requestBody?: { content: Record<string, { schema: Schema }> };
          }
        >
      >,
    ).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, op]) => ({
        method: method.toUpperCase() as Method,
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody?.content['application/json']?.schema,
        scim: false,
      })),
    );
    routes.push(...(await scimRoutes(t, scim.auth)));
  });
  afterAll(() => t.close());

  it('covers the admin API, sign-in and SCIM', () => {
    expect(routes.filter((r) => !r.scim).length).toBeGreaterThan(40);
    expect(routes.filter((r) => r.scim).map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'POST /scim/v2/Users',
        'PATCH /scim/v2/Groups/{id}',
        'POST /scim/v2/.search',
      ]),
    );
  });

  const caseOf = (): fc.Arbitrary<Case> =>
    fc.constantFrom(...routes).chain((route) => {
      const placeholders = route.path.match(/\{\w+\}/g) ?? [];
      const queryNames = route.scim
        ? [
            'filter',
            'startIndex',
            'count',
            'sortBy',
            'sortOrder',
            'attributes',
            'excludedAttributes',
          ]
        : route.query;
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
      const body = fc.oneof(
        {
          weight: hasBody ? 12 : 1,
          arbitrary: route.scim
            ? scimBody(known.userId!)
            : route.body
              ? fromSchema(route.body, components)
              : hostileJson,
        },
        { weight: 2, arbitrary: hostileJson },
        { weight: 1, arbitrary: deepJson },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)) },
        { weight: hasBody ? 1 : 12, arbitrary: fc.constant(undefined) },
      );
      const usual = route.scim ? 'scim' : 'internal';
      return fc.record({
        route: fc.constant(route),
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(route.method) },
          fc.constantFrom(...METHODS),
        ),
        params: fc.tuple(...placeholders.map((p) => urlValue(known[p.slice(1, -1)] ?? known.any!))),
        query: fc.array(
          fc.tuple(
            fc.oneof(
              {
                weight: 5,
                arbitrary: queryNames.length
                  ? fc.constantFrom(...queryNames)
                  : hostileString.map(percentEncode),
              },
              { weight: 1, arbitrary: hostileString.map(percentEncode) },
            ),
            fc.oneof(
              { weight: 2, arbitrary: hostileNumber.map(String) },
              { weight: 2, arbitrary: urlValue(known.any!) },
              { weight: route.scim ? 3 : 1, arbitrary: filterValue.map(percentEncode) },
            ),
          ),
          { maxLength: 3 },
        ),
        auth: fc.oneof(
          { weight: 8, arbitrary: fc.constant<Auth>(usual) },
          { weight: 2, arbitrary: fc.constant<Auth>('cookie') },
          fc.constantFrom<Auth>('none', 'internal', 'scim', 'bogus'),
        ),
        contentType: fc.oneof(
          {
            weight: 8,
            arbitrary: fc.constant(route.scim ? 'application/scim+json' : 'application/json'),
          },
          fc.constantFrom(
            'application/json',
            'application/scim+json; charset=utf-8',
            'application/x-www-form-urlencoded',
            'text/plain',
            'application/xml',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            undefined,
          ),
        ),
        body: body.map((value) =>
          value === undefined || typeof value === 'string' || Buffer.isBuffer(value)
            ? value
            : JSON.stringify(value),
        ),
        padding: fc.oneof(
          { weight: 30, arbitrary: fc.constant(0) },
          fc.integer({ min: 1, max: 20_000 }),
        ),
      });
    });

  const send = (c: Case) => {
    let index = 0;
    const path = c.route.path.replace(/\{\w+\}/g, () => c.params[index++]!);
    const query = c.query.map(([name, value]) => `${name}=${value}`).join('&');
    let request = t.http[c.method.toLowerCase() as 'get'](query ? `${path}?${query}` : path);
    const auth = credentials[c.auth];
    if (auth)
      request =
        c.auth === 'cookie' ? request.set('Cookie', auth) : request.set('Authorization', auth);
    if (c.padding) request = request.set('X-Padding', 'p'.repeat(c.padding));
    if (c.contentType) request = request.set('Content-Type', c.contentType);
    return c.body === undefined ? request : request.send(c.body);
  };

  const describeCase = (c: Case, res: Response) =>
    `${c.method} ${c.route.path} params=${JSON.stringify(c.params)} query=${JSON.stringify(c.query)} ` +
    `auth=${c.auth} type=${c.contentType} body=${String(c.body).slice(0, 300)} padding=${c.padding} ` +
    `→ ${res.status} ${res.text?.slice(0, 300)}`;

  it(
    `answers ${RUNS} generated requests without a 5xx, refusals in the error body of their API`,
    async () => {
      await fc.assert(
        fc.asyncProperty(caseOf(), async (c) => {
          const res = await send(c);
          if (res.status >= 500) throw new Error(describeCase(c, res));
          if (res.status >= 400) {
            const body = JSON.parse(res.text) as Record<string, unknown>;
            const scimShaped = Array.isArray(body.schemas) && body.schemas.includes(SCIM_ERROR);
            const adminShaped = typeof body.code === 'string' && body.statusCode === res.status;
            if (!(scimShaped || adminShaped))
              throw new Error(`error body: ${describeCase(c, res)}`);
          }
        }),
        { numRuns: RUNS, seed: SEED, verbose: 1 },
      );
      await t.http.get('/health/ready').expect(200);
    },
    Math.max(60_000, RUNS * 300),
  );
});

/** RFC 7644's operations on each resource type the server advertises, and its root endpoints. */
async function scimRoutes(t: TestApp, auth: string): Promise<Route[]> {
  const types = await t.http.get('/scim/v2/ResourceTypes').set('Authorization', auth).expect(200);
  const route = (method: Method, path: string): Route => ({
    method,
    path: `/scim/v2${path}`,
    query: [],
    scim: true,
  });
  const routes = [
    route('GET', '/ServiceProviderConfig'),
    route('GET', '/ResourceTypes'),
    route('GET', '/ResourceTypes/{name}'),
    route('GET', '/Schemas'),
    route('GET', '/Schemas/{id}'),
    route('POST', '/.search'),
  ];
  for (const { endpoint } of types.body.Resources as { endpoint: string }[]) {
    routes.push(
      route('GET', endpoint),
      route('POST', endpoint),
      route('POST', `${endpoint}/.search`),
      ...(['GET', 'PUT', 'PATCH', 'DELETE'] as const).map((m) => route(m, `${endpoint}/{id}`)),
    );
  }
  return routes;
}
