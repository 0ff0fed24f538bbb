import { randomBytes } from 'node:crypto';
import { generateIdpKeyPair } from '../support/saml-idp.js';
import {
  INTERNAL_TOKEN,
  type RunningServer,
  startServerProcess,
} from '../support/server-process.js';
import { cloneTestDatabase, usingEmbeddedDatabase } from '../support/test-database.js';

const PASSWORD = 'Request-Logging-Password-7c1e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON log lines
type LogLine = Record<string, any>;

/**
 * The service as it runs (a process, its stdout captured, LOG_LEVEL info): requests carrying
 * every kind of secret it takes, then the log is searched for them.
 */
const describeOnServer = usingEmbeddedDatabase() ? describe.skip : describe;

describeOnServer('request logging', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    database = await cloneTestDatabase();
    server = await startServerProcess(
      { DATABASE_URL: database.url, LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '3' },
      120_000,
    );
  }, 120_000);

  afterAll(async () => {
    server?.kill();
    await server?.exited;
    await database?.drop();
  });

  /** A request whose answer is read at once (an unread body would hold its connection open). */
  async function call(
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ): Promise<{ status: number; headers: Headers; json: () => Promise<unknown> }> {
    const response = await fetch(`${server.baseUrl}${path}`, { redirect: 'manual', ...init });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: () => Promise.resolve(JSON.parse(text)),
    };
  }

  function internal(path: string, method = 'GET', body?: unknown) {
    return call(path, {
      method,
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  /** The JSON lines the service wrote so far (the start-up banner is not JSON). */
  function logLines(): LogLine[] {
    return server
      .output()
      .stdout.split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Waits for the request line of `reqId` (written once the answer is sent). */
  async function requestLine(reqId: string): Promise<LogLine> {
    for (let i = 0; i < 100; i++) {
      const line = logLines().find((l) => l.reqId === reqId && l.msg === 'request completed');
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no request line for ${reqId}`);
  }

  it('never logs a secret; every request line has its id, route and workspace; X-Request-Id is echoed or replaced', async () => {
    // A workspace with a password admin, signed in: a session cookie.
    const slug = `log-${randomBytes(3).toString('hex')}`;
    const admin = `admin@${slug}.example.com`;
    const created = await internal('/api/workspaces', 'POST', {
      name: 'Logging',
      slug,
      firstAdmin: { email: admin, password: PASSWORD },
    });
    expect(created.status).toBe(201);
    const workspaceId = ((await created.json()) as { id: string }).id;
    const login = await call('/auth/password/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-login-1' },
      body: JSON.stringify({ workspace: slug, email: admin, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('x-request-id')).toBe('client-login-1');
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const sessionToken = cookie.split('=')[1]!;
    const wrongPassword = await call('/auth/password/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workspace: slug, email: admin, password: `${PASSWORD}-wrong` }),
    });
    expect(wrongPassword.status).toBe(401);
    const session = await call('/auth/session', { headers: { cookie } });
    expect(session.status).toBe(200);
    const membersAsAdmin = await call(`/api/workspaces/${slug}/members`, {
      headers: { cookie, 'x-request-id': 'members-by-admin' },
    });
    expect(membersAsAdmin.status).toBe(200);

    // SAML provider, SAML only, SCIM on: a SCIM token.
    const key = await generateIdpKeyPair('Logging IdP');
    const provider = await internal(`/api/workspaces/${slug}/saml-providers`, 'POST', {
      name: 'Okta',
      idpEntityId: 'https://idp.example.com/logging',
      idpSsoUrl: 'https://idp.example.com/sso',
      idpCertificates: [key.certificatePem],
    });
    expect(provider.status).toBe(201);
    const { providerToken } = (await provider.json()) as { providerToken: string };
    expect(
      (
        await internal(`/api/workspaces/${slug}/settings`, 'PATCH', {
          signInMethods: { password: false, office365: false, saml: true },
        })
      ).status,
    ).toBe(200);
    const scim = await internal(`/api/workspaces/${slug}/scim`, 'POST', { provider: 'okta' });
    expect(scim.status).toBe(201);
    const { token: scimToken } = (await scim.json()) as { token: string };

    const scimCreate = await call('/scim/v2/Users', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${scimToken}`,
        'content-type': 'application/scim+json',
        'x-request-id': 'scim-create-1',
      },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `grace@${slug}.example.com`,
        name: { givenName: 'Grace', familyName: 'Hopper' },
        emails: [{ value: `grace@${slug}.example.com`, primary: true }],
        password: PASSWORD,
        active: true,
      }),
    });
    expect(scimCreate.status).toBe(201);

    // Secrets in URLs: a SAML login's RelayState, a SAML response, an invite token.
    const relayState = `relay-${randomBytes(12).toString('hex')}`;
    const samlLogin = await call(`/auth/saml/${providerToken}/login?RelayState=${relayState}`);
    expect(samlLogin.status).toBe(302);
    const samlResponse = Buffer.from(
      `<not-a-response ${randomBytes(16).toString('hex')}/>`,
    ).toString('base64');
    const acs = await call(`/auth/saml/${providerToken}/acs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'acs-1' },
      body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
    });
    expect(acs.status).toBeGreaterThanOrEqual(400);
    const inviteToken = randomBytes(24).toString('base64url');
    const invite = await call(`/api/invites/${inviteToken}`);
    expect(invite.status).toBe(404);
    const unmatchedToken = randomBytes(24).toString('base64url');
    expect((await call(`/no/such/${unmatchedToken}?code=${unmatchedToken}`)).status).toBe(404);

    // A request id: a sane one is kept, a hostile one replaced.
    const hostileId = `evil"}{"level":60 ${'x'.repeat(200)}`;
    const hostile = await call('/api/workspaces', {
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'x-request-id': hostileId },
    });
    const replacedId = hostile.headers.get('x-request-id')!;
    expect(replacedId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const generated = await call('/api/workspaces', {
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    const generatedId = generated.headers.get('x-request-id')!;
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

    // The request lines, each with its id, route and (where there is one) workspace.
    expect(await requestLine('client-login-1')).toMatchObject({
      route: '/auth/password/login',
      method: 'POST',
      status: 200,
      url: '/auth/password/login',
    });
    expect(await requestLine('members-by-admin')).toMatchObject({
      route: '/api/workspaces/:ws/members',
      workspaceId,
      url: `/api/workspaces/${slug}/members`,
      status: 200,
    });
    expect(await requestLine('scim-create-1')).toMatchObject({
      route: '/scim/v2/Users',
      workspaceId,
      status: 201,
    });
    expect(await requestLine(replacedId)).toMatchObject({ route: '/api/workspaces', status: 200 });
    expect(await requestLine(generatedId)).toMatchObject({ route: '/api/workspaces' });
    const acsLine = await requestLine('acs-1');
    expect(acsLine).toMatchObject({ route: '/auth/saml/:providerToken/acs' });
    expect(acsLine.url).toBe('/auth/saml/[REDACTED]/acs');

    const lines = logLines();
    const requestLines = lines.filter((l) => l.msg === 'request completed');
    expect(requestLines.length).toBeGreaterThanOrEqual(15);
    for (const line of requestLines) {
      expect(line.reqId).toEqual(expect.any(String));
      expect(line.status).toEqual(expect.any(Number));
      if (line.url.startsWith('/no/such/')) expect(line.route).toBeUndefined();
      else expect(line.route).toEqual(expect.stringMatching(/^\//));
      if (line.route?.includes(':ws') || line.route?.startsWith('/scim/v2/')) {
        expect(line.workspaceId).toBe(workspaceId);
      }
    }
    // The SAML refusal is logged while serving the request: it carries the request's fields.
    const refusal = lines.find((l) => l.reqId === 'acs-1' && l.msg !== 'request completed');
    expect(refusal).toMatchObject({ route: '/auth/saml/:providerToken/acs' });
    const samlLoginLine = requestLines.find((l) => l.route === '/auth/saml/:providerToken/login');
    expect(samlLoginLine?.url).toBe('/auth/saml/[REDACTED]/login?RelayState=[REDACTED]');
    expect(requestLines.find((l) => l.route === '/api/invites/:token')?.url).toBe(
      '/api/invites/[REDACTED]',
    );
    expect(requestLines.find((l) => l.url.startsWith('/no/such/'))?.url).toBe(
      '/no/such/[REDACTED]?code=[REDACTED]',
    );

    // None of the secrets appears anywhere in the output.
    const { stdout, stderr } = server.output();
    const everything = stdout + stderr;
    for (const secret of [
      INTERNAL_TOKEN,
      PASSWORD,
      sessionToken,
      scimToken,
      providerToken,
      relayState,
      samlResponse,
      inviteToken,
      unmatchedToken,
      'evil"}',
    ]) {
      expect({ secret, found: everything.includes(secret) }).toEqual({ secret, found: false });
    }
  }, 180_000);
});
