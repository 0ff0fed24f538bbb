import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Response } from 'supertest';
import { MAX_OFFSET } from '../../src/common/paging.js';
import { createWorkspace } from '../support/fixtures.js';
import {
  ENTERPRISE,
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  scimWorkspace,
  type ScimWorkspace,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const UUID = '0e2f5a4c-1b7d-4c1e-9a55-000000000001';

/** Strings PostgreSQL cannot store: NUL, and UTF-16 surrogates without their pair. */
const UNSTORABLE = ['a\u0000b', '\ud800', 'x\udc00', '\udbff\u0000'];
/** Path and query encodings of the same, and percent-encodings that are not UTF-8. */
const UNSTORABLE_ENCODED = ['%00', 'a%00b', '%ED%A0%80', '%C0%80', '%FF', '%E2%82'];

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  query: string[];
}

function expectAdminError(res: Response, status: number, code: string): void {
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({
    status,
    body: { statusCode: status, code, message: expect.any(String) },
  });
}

function expectScimError(res: Response, status: number, scimType?: string): void {
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect({ status: res.status, body }).toEqual({
    status,
    body: {
      schemas: [SCIM_ERROR],
      status: String(status),
      ...(scimType && { scimType }),
      detail: expect.any(String),
    },
  });
}

const deepArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('hostile input never produces a 500', () => {
  let t: TestApp;
  let scim: ScimWorkspace;
  let operations: Operation[];

  const fill = (path: string, values: Record<string, string> = {}) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? UUID);

  beforeAll(async () => {
    t = await startTestApp();
    scim = await scimWorkspace(t);
    const doc = await t.http.get('/docs/json').expect(200);
    // The admin API's operations; SCIM (documented too) answers in its own error schema and is
    // covered by the SCIM cases below.
    operations = Object.entries(
      doc.body.paths as Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[] }>
      >,
    )
      .filter(([path]) => !path.startsWith('/scim/v2/'))
      .flatMap(([path, byMethod]) =>
        Object.entries(byMethod).map(([method, op]) => ({
          method: method.toUpperCase() as Operation['method'],
          path,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        })),
      );
  });
  afterAll(() => t.close());

  const call = (method: string, path: string) =>
    t.http[method.toLowerCase() as 'get'](path).set('Authorization', t.internal);
  const scimCall = (method: string, path: string) =>
    t.http[method.toLowerCase() as 'get'](`/scim/v2${path}`)
      .set('Authorization', scim.auth)
      .set('Content-Type', 'application/scim+json');

  describe('NUL and unpaired surrogates', () => {
    it('are refused in the unauthenticated sign-in body', async () => {
      for (const bad of UNSTORABLE) {
        for (const field of ['workspace', 'email', 'password']) {
          const body = {
            workspace: scim.slug,
            email: scim.adminEmail,
            password: 'x',
            [field]: bad,
          };
          const res = await t.http
            .post('/auth/password/login')
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(body));
          expectAdminError(res, 400, 'INVALID_CHARACTERS');
        }
      }
    });

    it('are refused as :ws on every workspace route, in every encoding', async () => {
      const wsRoutes = operations.filter((op) => op.path.includes('{ws}'));
      expect(wsRoutes.length).toBeGreaterThan(25);
      for (const op of wsRoutes) {
        for (const ws of UNSTORABLE_ENCODED) {
          const res = await call(op.method, fill(op.path, { ws })).send({});
          if (res.status !== 400)
            throw new Error(`${op.method} ${op.path} :ws=${ws} → ${res.status}`);
          expectAdminError(res, 400, 'INVALID_CHARACTERS');
        }
      }
    });

    it('are refused in every path parameter and in query names and values', async () => {
      for (const op of operations.filter((o) => /\{(?!ws\})\w+\}/.test(o.path))) {
        const res = await call(op.method, fill(op.path, { ws: scim.slug }).replace(UUID, 'a%00'));
        expectAdminError(res, 400, 'INVALID_CHARACTERS');
      }
      for (const query of [
        'email=%00',
        'email=a%00%40b.c',
        'email=%ED%B0%80',
        '%00=1',
        'email=%FE',
      ]) {
        const res = await call('GET', `/api/workspaces/${scim.slug}/members?${query}`);
        expectAdminError(res, 400, 'INVALID_CHARACTERS');
      }
      const res = await t.http.get('/auth/office365/login?workspace=%00');
      expectAdminError(res, 400, 'INVALID_CHARACTERS');
    });

    it('are refused in names, nested values and object keys of admin bodies', async () => {
      const ws = await createWorkspace(t);
      const cases: [string, string, unknown][] = [
        ['POST', '/api/workspaces', { name: 'Acme\u0000', slug: 'acme-nul' }],
        ['POST', '/api/workspaces', { name: '\ud800', slug: 'acme-surrogate' }],
        ['POST', `/api/workspaces/${ws.slug}/groups`, { displayName: 'Ops\u0000' }],
        ['POST', `/api/workspaces/${ws.slug}/groups`, { displayName: 'Ops', '\udfff': 1 }],
        [
          'PATCH',
          `/api/workspaces/${ws.slug}/settings`,
          { signInMethods: { ['saml\u0000']: true } },
        ],
        ['POST', `/api/workspaces/${ws.slug}/invites`, { email: 'a\ud83d@example.com' }],
      ];
      for (const [method, path, body] of cases) {
        const res = await call(method, path)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body));
        expectAdminError(res, 400, 'INVALID_CHARACTERS');
      }
      const form = await t.http
        .post('/auth/password/login')
        .type('form')
        .send(`workspace=${ws.slug}&email=a%00&password=x`);
      expectAdminError(form, 400, 'INVALID_CHARACTERS');
      const groups = await call('GET', `/api/workspaces/${ws.slug}/groups`).expect(200);
      expect(groups.body.total).toBe(0);
    });

    it('are refused in SCIM attributes and filters with invalidValue', async () => {
      for (const bad of UNSTORABLE) {
        for (const extra of [
          { userName: `${bad}@example.com` },
          { displayName: bad },
          { title: bad },
          { externalId: bad },
          { [ENTERPRISE]: { department: bad } },
        ]) {
          const res = await scimCall('POST', '/Users').send(
            JSON.stringify(oktaUser('ada@example.com', extra)),
          );
          expectScimError(res, 400, 'invalidValue');
        }
        const group = await scimCall('POST', '/Groups').send(
          JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: bad }),
        );
        expectScimError(group, 400, 'invalidValue');
        const search = await scimCall('POST', '/Users/.search').send(
          JSON.stringify({ schemas: [SEARCH], filter: `userName eq "${bad}"` }),
        );
        expectScimError(search, 400, 'invalidValue');
      }
      for (const value of UNSTORABLE_ENCODED) {
        const res = await scimCall('GET', `/Users?filter=userName%20eq%20%22${value}%22`);
        expectScimError(res, 400, 'invalidValue');
        const byId = await scimCall('GET', `/Users/${value}`);
        expectScimError(byId, 400, 'invalidValue');
      }
      const users = await scimCall('GET', '/Users').expect(200);
      expect(users.body.totalResults).toBe(1); // the workspace's first admin only
    });

    it('does not refuse what is well formed: paired surrogates, any script, a literal %', async () => {
      const ws = await createWorkspace(t);
      const created = await call('POST', `/api/workspaces/${ws.slug}/groups`)
        .send({ displayName: 'Zürich 東京 🎉' })
        .expect(201);
      expect(created.body.displayName).toBe('Zürich 東京 🎉');
      await call('GET', `/api/workspaces/${ws.slug}/members?email=%C3%BC%F0%9F%8E%89`).expect(200);
      await call('GET', `/api/workspaces/${ws.slug}/members?email=100%`).expect(200);
      const user = await scimCall('POST', '/Users').send(
        JSON.stringify(oktaUser('zoe@example.com', { displayName: 'Zoë 🎉' })),
      );
      expect(user.status).toBe(201);
    });
  });

  describe('found by the API fuzz test', () => {
    it('refuses an array where a DTO declares one nested object', async () => {
      const ws = await createWorkspace(t);
      const cases: [string, string, unknown][] = [
        ['POST', '/api/workspaces', { name: 'Acme', firstAdmin: [] }],
        ['POST', '/api/workspaces', { name: 'Acme', firstAdmin: [{ email: 'a@example.com' }] }],
        ['PATCH', `/api/workspaces/${ws.slug}/settings`, { signInMethods: [] }],
      ];
      for (const [method, path, body] of cases) {
        const res = await call(method, path).send(body as object);
        expectAdminError(res, 400, 'VALIDATION_FAILED');
        expect(res.body.message).toMatch(/must be an object/);
      }
    });

    it('refuses null for a field that may be left out but has no null meaning', async () => {
      const ws = await createWorkspace(t);
      const cases: [string, string, object, string][] = [
        [
          'POST',
          `/api/workspaces/${ws.slug}/members`,
          { email: 'n@example.com', password: null },
          'password',
        ],
        [
          'POST',
          `/api/workspaces/${ws.slug}/members`,
          { email: 'n@example.com', role: null },
          'role',
        ],
        ['POST', '/api/workspaces', { name: 'Acme', slug: null }, 'slug'],
        [
          'PATCH',
          `/api/workspaces/${ws.slug}/settings`,
          { sessionLifetimeSeconds: null },
          'sessionLifetimeSeconds',
        ],
        ['PATCH', `/api/workspaces/${ws.slug}/settings`, { signInMethods: null }, 'signInMethods'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await call(method, path).send(body);
        expectAdminError(res, 400, 'VALIDATION_FAILED');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      const members = await call('GET', `/api/workspaces/${ws.slug}/members`).expect(200);
      expect(members.body.total).toBe(1);
      // Where null means something, it is still accepted: no idle timeout.
      await call('PATCH', `/api/workspaces/${ws.slug}/settings`)
        .send({ sessionIdleTimeoutSeconds: null })
        .expect(200);
    });
  });

  describe('paging parameters', () => {
    it('refuses huge and non-integer offset and limit on every paged list', async () => {
      const paged = operations.filter((op) => op.query.includes('offset'));
      expect(paged.length).toBeGreaterThanOrEqual(8);
      const bad = [
        'offset=9223372036854775808',
        'offset=10000000000000000000',
        'offset=1e400',
        'offset=1.5',
        'offset=-1',
        `offset=${MAX_OFFSET + 1}`,
        'offset=0x10',
        'limit=1e30',
        'limit=0.5',
        'offset=1&offset=2',
      ];
      for (const op of paged) {
        const path = fill(op.path, { ws: scim.slug });
        for (const query of bad) {
          const res = await call('GET', `${path}?${query}`);
          if (res.status !== 400)
            throw new Error(`GET ${path}?${query} → ${res.status} ${res.text}`);
          expectAdminError(res, 400, 'VALIDATION_FAILED');
        }
        // The largest offset passes validation (a made-up group id is then a 404).
        const edge = await call('GET', `${path}?offset=${MAX_OFFSET}&limit=1`);
        expect([200, 404]).toContain(edge.status);
      }
    });

    it('answers SCIM lists with huge or odd startIndex and count without a 5xx', async () => {
      for (const path of ['/Users', '/Groups']) {
        const far = await scimCall('GET', `${path}?startIndex=99999999999999999999&count=5`);
        expect(far.status).toBe(200);
        expect(far.body.Resources).toEqual([]);
        for (const query of ['startIndex=1e400', 'count=1.5', 'startIndex=abc', 'count=Infinity']) {
          expectScimError(await scimCall('GET', `${path}?${query}`), 400, 'invalidValue');
        }
        const search = await scimCall('POST', `${path}/.search`).send(
          JSON.stringify({ schemas: [SEARCH], startIndex: 9.3e18, count: 1e300 }),
        );
        expect(search.status).toBe(200);
      }
    });
  });

  describe('SCIM value limits', () => {
    it('refuses an extension nested 10,000 deep, and stores nothing', async () => {
      const body = JSON.stringify(oktaUser('deep@example.com')).replace(
        /}$/,
        `,"${ENTERPRISE}":{"manager":${deepObject(10_000)}}}`,
      );
      const res = await scimCall('POST', '/Users').send(body);
      expectScimError(res, 400, 'invalidValue');
      expect(JSON.parse(res.text).detail).toMatch(/more than 32 levels/);
      const found = await scimCall('GET', '/Users?filter=userName%20eq%20%22deep@example.com%22');
      expect(found.body.totalResults).toBe(0);
      // A depth within the limit is still a valid request.
      const shallow = await scimCall('POST', '/Users').send(
        JSON.stringify(oktaUser('shallow@example.com', { [ENTERPRISE]: { department: 'R&D' } })),
      );
      expect(shallow.status).toBe(201);
    });

    it('survives a million levels of nesting on SCIM and on the admin API', async () => {
      const million = deepArray(1_000_000);
      expectScimError(await scimCall('PATCH', `/Users/${UUID}`).send(million), 400, 'invalidValue');
      const admin = await call('POST', '/api/workspaces')
        .set('Content-Type', 'application/json')
        .send(`{"name":"x","slug":${million}}`);
      expectAdminError(admin, 400, 'NESTED_TOO_DEEP');
      const login = await t.http
        .post('/auth/password/login')
        .set('Content-Type', 'application/json')
        .send(`{"workspace":${deepObject(100_000)}}`);
      expectAdminError(login, 400, 'NESTED_TOO_DEEP');
      await t.http.get('/health/live').expect(200);
    });

    it('refuses a string over 64 KiB and an object over 1,000 attributes', async () => {
      const long = await scimCall('POST', '/Users').send(
        JSON.stringify(oktaUser('long@example.com', { displayName: 'x'.repeat(64 * 1024 + 1) })),
      );
      expectScimError(long, 400, 'invalidValue');
      const wide = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`a${i}`, i]));
      const many = await scimCall('POST', '/Users').send(
        JSON.stringify(oktaUser('wide@example.com', { [ENTERPRISE]: wide })),
      );
      expectScimError(many, 400, 'invalidValue');
    });

    it('refuses more than 10,000 members in one request with 413', async () => {
      const members = Array.from({ length: 10_001 }, (_, i) => ({
        value: `0e2f5a4c-1b7d-4c1e-9a55-${String(i).padStart(12, '0')}`,
      }));
      const post = await scimCall('POST', '/Groups').send(
        JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: 'Everyone', members }),
      );
      expectScimError(post, 413);
      const half = members.slice(0, 5001);
      const patch = await scimCall('PATCH', `/Groups/${UUID}`).send(
        JSON.stringify({
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'add', path: 'members', value: half },
            { op: 'Add', value: { members: members.slice(5001) } },
          ],
        }),
      );
      expectScimError(patch, 413);
      const groups = await scimCall('GET', '/Groups').expect(200);
      expect(groups.body.totalResults).toBe(0);
    });

    it('advertises the payload limit in ServiceProviderConfig, in RFC 7643 §5 attributes', async () => {
      const res = await scimCall('GET', '/ServiceProviderConfig').expect(200);
      expect(res.body.bulk).toEqual({
        supported: false,
        maxOperations: 0,
        maxPayloadSize: 5 * 1024 * 1024,
      });
      expect(res.body.filter).toEqual({ supported: true, maxResults: 1000 });
    });
  });

  describe('oversized request heads', () => {
    it('answers a SCIM request line over 16 KiB with a SCIM 431', async () => {
      const res = await scimCall(
        'GET',
        `/Users?filter=userName%20eq%20%22${'a'.repeat(20_000)}%22`,
      );
      expectScimError(res, 431);
      const header = await scimCall('GET', '/Users').set('X-Padding', 'p'.repeat(17_000));
      expectScimError(header, 431);
    });

    it('answers an admin request head over 16 KiB with the admin error body', async () => {
      const res = await call('GET', `/api/workspaces?q=${'a'.repeat(20_000)}`);
      expectAdminError(res, 431, 'HEADERS_TOO_LARGE');
      const cookie = await t.http.get('/auth/session').set('Cookie', `x=${'c'.repeat(17_000)}`);
      expectAdminError(cookie, 431, 'HEADERS_TOO_LARGE');
    });

    it('answers a head Node cuts off (over 64 KiB) with a body SCIM clients can read', async () => {
      const server = t.app.getHttpServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const raw = await new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1');
          const chunks: Buffer[] = [];
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          socket.on('error', reject);
          socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
          socket.end(
            `GET /scim/v2/Users?filter=${'a'.repeat(100_000)} HTTP/1.1\r\n` +
              `Host: gatehouse.test\r\nAuthorization: ${scim.auth}\r\n\r\n`,
          );
        });
        const [head, body] = raw.split('\r\n\r\n');
        expect(head).toMatch(/^HTTP\/1\.1 431 /);
        expect(JSON.parse(body!)).toMatchObject({
          schemas: [SCIM_ERROR],
          status: '431',
          detail: expect.any(String),
          statusCode: 431,
          code: 'HEADERS_TOO_LARGE',
        });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      await t.http.get('/health/live').expect(200);
    });
  });

  describe('unsupported methods', () => {
    it('answer 405 with Allow on every documented path', async () => {
      const byPath = new Map<string, Set<string>>();
      for (const op of operations) {
        byPath.set(op.path, (byPath.get(op.path) ?? new Set()).add(op.method));
      }
      // A concrete path can match several documented ones (`/members/removals` is also a
      // `/members/{userId}`): the router allows what any of them allows.
      const pattern = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`);
      const allowedAt = (concrete: string) =>
        new Set(
          [...byPath].flatMap(([path, methods]) =>
            pattern(path).test(concrete) ? [...methods] : [],
          ),
        );
      for (const [path] of byPath) {
        const methods = allowedAt(fill(path, { ws: scim.slug }));
        const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].sort().join(', ');
        for (const method of METHODS.filter((m) => !methods.has(m))) {
          const res = await call(method, fill(path, { ws: scim.slug }));
          if (res.status !== 405) throw new Error(`${method} ${path} → ${res.status}`);
          expectAdminError(res, 405, 'METHOD_NOT_ALLOWED');
          expect(res.headers.allow).toBe(allow);
        }
      }
    });

    it('answer 405 with Allow and the SCIM error schema under /scim/v2', async () => {
      const cases: [string, string, string][] = [
        ['DELETE', '/Users', 'GET, HEAD, POST'],
        ['PUT', '/Groups', 'GET, HEAD, POST'],
        ['POST', '/ServiceProviderConfig', 'GET, HEAD'],
        ['DELETE', '/Schemas', 'GET, HEAD'],
        ['GET', '/.search', 'POST'],
        ['POST', `/Users/${UUID}`, 'DELETE, GET, HEAD, PATCH, PUT'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await scimCall(method, path);
        expectScimError(res, 405);
        expect(res.headers.allow).toBe(allow);
      }
      // Without a token too: the method is wrong whoever asks.
      const anonymous = await t.http.delete('/scim/v2/Users');
      expectScimError(anonymous, 405);
    });

    it('keep 404 for unknown paths and for missing resources', async () => {
      expectAdminError(await call('GET', '/api/nothing-here'), 404, 'NOT_FOUND');
      expectAdminError(await call('DELETE', '/api/workspaces/x/nothing'), 404, 'NOT_FOUND');
      const missing = await call('GET', '/api/workspaces/no-such-workspace');
      expect(missing.status).toBe(404);
      expectScimError(await scimCall('GET', '/Nothing'), 404);
      expectScimError(await scimCall('GET', `/Users/${UUID}`), 404);
    });
  });
});
