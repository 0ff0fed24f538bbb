import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  INTERNAL_TOKEN,
  startServerProcess,
  type RunningServer,
} from '../support/server-process.js';
import { unusedPort } from '../support/tcp-proxy.js';
import { cloneTestDatabase } from '../support/test-database.js';

/** `npm run dev:idp` (dist/scripts/dev-idp.js) against a started Gatehouse. */
const DEV_IDP_JS = resolve('dist/scripts/dev-idp.js');
const DOMAIN = 'devidp.test';

interface DevIdp {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

function spawnDevIdp(args: string[], env: Record<string, string>): DevIdp & { port: number } {
  const port = Number(args[args.indexOf('--port') + 1]);
  const child = spawn(process.execPath, [DEV_IDP_JS, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Starts the dev IdP and waits until it has registered (GET /acs-url answers 200). */
async function startDevIdp(args: string[], env: Record<string, string>): Promise<DevIdp> {
  const idp = spawnDevIdp(args, env);
  let exitedEarly = false;
  void idp.exited.then(() => (exitedEarly = true));
  for (let i = 0; i < 900; i++) {
    if (exitedEarly) throw new Error(`dev-idp exited:\n${idp.output()}`);
    const answer = await fetch(`${idp.url}/acs-url`).catch(() => undefined);
    if (answer?.status === 200) return idp;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  idp.child.kill();
  throw new Error(`dev-idp did not register in 90 s:\n${idp.output()}`);
}

async function stop(idp: DevIdp | undefined) {
  if (!idp || idp.child.exitCode !== null) return;
  idp.child.kill('SIGTERM');
  await idp.exited;
}

// Each test starts processes (Gatehouse, the IdP, once twice): minutes on a loaded 2-core machine.
jest.setTimeout(180_000);

describe('the local development IdP (npm run dev:idp)', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let server: RunningServer;
  let gatehouseUrl: string;
  let env: Record<string, string>;
  const peopleFile = join(tmpdir(), `dev-idp-people-${process.pid}.json`);
  const admin = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };
  const api = async (method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${gatehouseUrl}${path}`, {
      method,
      headers: admin,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    database = await cloneTestDatabase();
    const port = await unusedPort();
    gatehouseUrl = `http://127.0.0.1:${port}`;
    server = await startServerProcess(
      {
        DATABASE_URL: database.url,
        PORT: String(port),
        PUBLIC_URL: gatehouseUrl,
        DATABASE_POOL_SIZE: '3',
      },
      120_000,
    );
    env = { GATEHOUSE_URL: gatehouseUrl, INTERNAL_API_TOKEN: INTERNAL_TOKEN };
    writeFileSync(
      peopleFile,
      JSON.stringify({
        people: [
          {
            email: `grace@${DOMAIN}`,
            password: 'grace-password',
            givenName: 'Grace',
            familyName: 'Hopper',
            admin: true,
          },
          {
            email: `alan@${DOMAIN}`,
            password: 'alan-password',
            givenName: 'Alan',
            familyName: 'Turing',
          },
        ],
        groups: [{ displayName: 'Engineering', members: [`grace@${DOMAIN}`, `alan@${DOMAIN}`] }],
      }),
    );
    const created = await api('POST', '/api/workspaces', {
      name: 'Dev IdP',
      slug: 'dev-idp',
      firstAdmin: { email: `ada@${DOMAIN}`, fullName: 'Ada', password: 'correct horse battery' },
    });
    expect(created.status).toBe(201);
    expect((await api('POST', '/api/workspaces/dev-idp/domains', { domain: DOMAIN })).status).toBe(
      201,
    );
    const verified = await api('POST', `/api/workspaces/dev-idp/domains/${DOMAIN}/verify`, {
      force: true,
    });
    expect(verified.status).toBe(200);
  });

  afterAll(async () => {
    server?.kill();
    await server?.exited;
    await database?.drop();
  });

  it('refuses bad usage with exit code 2 and says why, registering nothing', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--port', '1'], env, /--workspace is required/],
      [
        ['--workspace', 'dev-idp', '--port', '1'],
        { GATEHOUSE_URL: gatehouseUrl },
        /INTERNAL_API_TOKEN/,
      ],
      [['--workspace', 'dev-idp', '--port', '70000'], env, /--port must be a port number/],
    ];
    const stranger = join(tmpdir(), `dev-idp-stranger-${process.pid}.json`);
    writeFileSync(
      stranger,
      JSON.stringify({
        people: [{ email: 'a@b.test', password: 'x', givenName: 'A', familyName: 'B' }],
        groups: [{ displayName: 'G', members: ['nobody@b.test'] }],
      }),
    );
    cases.push([
      ['--workspace', 'dev-idp', '--people', stranger, '--port', '1'],
      env,
      /groups\[0\] \(G\) names nobody@b.test, not a person/,
    ]);
    for (const [args, caseEnv, message] of cases) {
      const idp = spawnDevIdp(args, caseEnv);
      expect(await idp.exited).toBe(2);
      expect(idp.output()).toMatch(message);
    }
    const providers = await api('GET', '/api/workspaces/dev-idp/saml-providers');
    expect(providers.body.total).toBe(0);
  });

  it('fails with exit code 1 when the workspace does not exist', async () => {
    const idp = spawnDevIdp(
      [
        '--workspace',
        'no-such-workspace',
        '--people',
        peopleFile,
        '--port',
        String(await unusedPort()),
      ],
      env,
    );
    expect(await idp.exited).toBe(1);
    expect(idp.output()).toMatch(/answered 404/);
  });

  it('registers as a SAML provider, signs its people in (JIT) and refuses a wrong password', async () => {
    const port = await unusedPort();
    const args = ['--workspace', 'dev-idp', '--people', peopleFile, '--port', String(port)];
    let idp = await startDevIdp(args, env);
    try {
      const acsUrl = await (await fetch(`${idp.url}/acs-url`)).text();
      const providers = await api('GET', '/api/workspaces/dev-idp/saml-providers');
      const items = providers.body.items as { name: string; acsUrl: string; idpEntityId: string }[];
      expect(items).toEqual([
        expect.objectContaining({
          name: 'Local dev IdP',
          acsUrl,
          idpEntityId: `${idp.url}/metadata`,
        }),
      ]);
      expect(idp.output()).toContain(`Sign in in a browser: ${gatehouseUrl}/auth/saml/`);

      const wrong = await fetch(`${idp.url}/script/sign-in`, {
        method: 'POST',
        body: new URLSearchParams({ email: `alan@${DOMAIN}`, password: 'nope' }),
      });
      expect(wrong.status).toBe(401);

      const form = await fetch(`${idp.url}/script/sign-in`, {
        method: 'POST',
        body: new URLSearchParams({ email: `alan@${DOMAIN}`, password: 'alan-password' }),
      });
      expect(form.status).toBe(200);
      expect(form.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
      const acs = await fetch(acsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: await form.text(),
        redirect: 'manual',
      });
      expect(acs.status).toBe(302);
      const cookie = acs.headers.get('set-cookie')!.split(';')[0]!;
      const session = await fetch(`${gatehouseUrl}/auth/session`, { headers: { cookie } });
      expect(await session.json()).toMatchObject({
        user: { email: `alan@${DOMAIN}`, fullName: 'Alan Turing' },
        method: 'saml',
      });

      // A restart makes a new key: the same provider is updated, not a second one added.
      await stop(idp);
      idp = await startDevIdp(args, env);
      const again = await api('GET', '/api/workspaces/dev-idp/saml-providers');
      expect(again.body.total).toBe(1);
    } finally {
      await stop(idp);
    }
  });

  it('pushes its people and groups through SCIM (admin role included), once SCIM can be on', async () => {
    const args = [
      '--workspace',
      'dev-idp',
      '--people',
      peopleFile,
      '--port',
      String(await unusedPort()),
    ];
    const idp = await startDevIdp(args, env);
    try {
      // Password sign-in is on: SCIM cannot be enabled, and the push says why.
      const refused = await fetch(`${idp.url}/script/scim-push`, { method: 'POST' });
      expect(refused.status).toBe(409);
      expect(await refused.text()).toMatch(/SAML as the only enabled sign-in method/);
      expect((await api('GET', '/api/workspaces/dev-idp/scim')).body).toMatchObject({
        enabled: false,
      });

      const settings = await api('PATCH', '/api/workspaces/dev-idp/settings', {
        signInMethods: { password: false, office365: false, saml: true },
      });
      expect(settings.status).toBe(200);
      for (let round = 0; round < 2; round++) {
        // The second round rotates the token and updates what is there: nothing doubles.
        const pushed = await fetch(`${idp.url}/script/scim-push`, { method: 'POST' });
        expect(await pushed.text()).toBe('Pushed 2 people and 1 groups through SCIM.\n');
        expect(pushed.status).toBe(200);
      }
      const members = await api('GET', '/api/workspaces/dev-idp/members?limit=50');
      const byEmail = Object.fromEntries(
        (members.body.items as { email: string; role: string; scimManaged: boolean }[]).map((m) => [
          m.email,
          m,
        ]),
      );
      expect(byEmail[`grace@${DOMAIN}`]).toMatchObject({ role: 'admin', scimManaged: true });
      expect(byEmail[`alan@${DOMAIN}`]).toMatchObject({ role: 'member', scimManaged: true });
      const groups = await api('GET', '/api/workspaces/dev-idp/groups');
      const items = groups.body.items as { displayName: string; memberCount: number }[];
      expect(items).toEqual([
        expect.objectContaining({ displayName: 'Engineering', memberCount: 2 }),
      ]);
    } finally {
      await stop(idp);
    }
  });
});
