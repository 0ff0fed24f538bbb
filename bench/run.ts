/**
 * `npm run bench`: throughput and latency of the hot paths, on the embedded database by default
 * or on BENCH_DATABASE_URL (a PostgreSQL database this run may fill with rows). Not part of
 * `npm test`: speed is measured here, never asserted in a test.
 */
import 'reflect-metadata';
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import autocannon from 'autocannon';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TOKEN = 'bench-internal-token-0123456789abcdefghijklmnop';
const PASSWORD = 'correct horse battery staple';
/** Members of the SCIM workspace: a group of GROUP_SIZE of them, and a few more to add. */
const GROUP_SIZE = 10_000;
const SCIM_EXTRA = 5;
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

async function startServer() {
  const server = fork(fileURLToPath(new URL('./server.js', import.meta.url)), {
    env: process.env,
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('message', (message: { url: string }) => resolve(message.url));
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    base: url.replace('[::1]', '127.0.0.1'),
    seed: (workspaceId: string, domain: string, count: number) =>
      seedScimUsers(server, workspaceId, domain, count),
    stop: () => server.disconnect(),
  };
}

/** Asks the server to create SCIM members in SQL (see server.ts); returns their user ids. */
function seedScimUsers(server: ChildProcess, workspaceId: string, domain: string, count: number) {
  return new Promise<string[]>((resolve, reject) => {
    server.once('message', (message: { ids?: string[]; error?: string }) =>
      message.ids ? resolve(message.ids) : reject(new Error(`seeding failed: ${message.error}`)),
    );
    server.send({ type: 'seed-scim-users', workspaceId, domain, count });
  });
}

/** A self-signed IdP certificate: enabling SCIM needs an enabled SAML provider. */
async function idpCertificatePem(): Promise<string> {
  const keys = await crypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: 'CN=Gatehouse Bench IdP',
      notBefore,
      notAfter: new Date(notBefore.getTime() + 365 * 24 * 3600 * 1000),
      signingAlgorithm: RSA,
      keys,
    },
    crypto,
  );
  return `${cert.toString('pem')}\n`;
}

async function call(url: string, init: RequestInit, expected: number) {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== expected) {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  }
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * A workspace with SAML as its only method and SCIM on, holding GROUP_SIZE + SCIM_EXTRA
 * SCIM-provisioned members; returns its SCIM bearer header and the member ids.
 */
async function scimWorkspace(
  base: string,
  auth: Record<string, string>,
  seed: (workspaceId: string, domain: string, count: number) => Promise<string[]>,
) {
  const json = { 'content-type': 'application/json' };
  const slug = `bench-scim-${Date.now()}`;
  const workspace = await call(
    `${base}/api/workspaces`,
    {
      method: 'POST',
      headers: { ...json, ...auth },
      body: JSON.stringify({ name: 'Bench SCIM', slug }),
    },
    201,
  );
  await call(
    `${base}/api/workspaces/${slug}/saml-providers`,
    {
      method: 'POST',
      headers: { ...json, ...auth },
      body: JSON.stringify({
        name: 'Bench IdP',
        idpEntityId: `https://idp.example.com/${slug}`,
        idpSsoUrl: 'https://idp.example.com/sso',
        idpCertificates: [await idpCertificatePem()],
      }),
    },
    201,
  );
  await call(
    `${base}/api/workspaces/${slug}/settings`,
    {
      method: 'PATCH',
      headers: { ...json, ...auth },
      body: JSON.stringify({ signInMethods: { password: false, office365: false, saml: true } }),
    },
    200,
  );
  const connection = await call(
    `${base}/api/workspaces/${slug}/scim`,
    { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify({ provider: 'okta' }) },
    201,
  );
  const domain = `${slug}.test`;
  const userIds = await seed(workspace.id as string, domain, GROUP_SIZE + SCIM_EXTRA);
  return {
    scimAuth: { authorization: `Bearer ${connection.token as string}` },
    userIds,
    lookupUserName: `scim${Math.ceil(userIds.length / 2)}@${domain}`,
  };
}

/** One-shot timings of a 10,000-member group, as Okta and Entra push it. */
async function groupScenarios(base: string, scimAuth: Record<string, string>, userIds: string[]) {
  const headers = { ...scimAuth, 'content-type': 'application/scim+json' };
  const members = (ids: string[]) => ids.map((value) => ({ value }));
  const patch = (...Operations: object[]) => ({ schemas: [PATCH_SCHEMA], Operations });
  const timings: { name: string; ms: number; detail: string }[] = [];
  async function timed(name: string, url: string, init: RequestInit, expected: number) {
    const started = performance.now();
    const body = await call(url, { ...init, headers }, expected);
    timings.push({ name, ms: performance.now() - started, detail: String(expected) });
    return body;
  }
  const initial = userIds.slice(0, GROUP_SIZE);
  const created = await timed(
    `POST /Groups with ${GROUP_SIZE} members`,
    `${base}/scim/v2/Groups`,
    {
      method: 'POST',
      body: JSON.stringify({
        schemas: [GROUP_SCHEMA],
        displayName: 'Everyone',
        members: members(initial),
      }),
    },
    201,
  );
  const group = `${base}/scim/v2/Groups/${created.id as string}`;
  await timed(
    'PATCH add 3 + remove 3 members',
    group,
    {
      method: 'PATCH',
      body: JSON.stringify(
        patch(
          { op: 'add', path: 'members', value: members(userIds.slice(GROUP_SIZE, GROUP_SIZE + 3)) },
          { op: 'remove', path: `members[value eq "${initial[0]!}"]` },
          { op: 'Remove', path: 'members', value: members(initial.slice(1, 3)) },
        ),
      ),
    },
    204,
  );
  await timed(
    `PATCH replace members with ${GROUP_SIZE}`,
    group,
    {
      method: 'PATCH',
      body: JSON.stringify(
        patch({
          op: 'replace',
          path: 'members',
          value: members(userIds.slice(SCIM_EXTRA, GROUP_SIZE + SCIM_EXTRA)),
        }),
      ),
    },
    204,
  );
  const read = await timed(`GET the group (${GROUP_SIZE} members)`, group, { method: 'GET' }, 200);
  if ((read.members as unknown[]).length !== GROUP_SIZE) {
    throw new Error(`the group has ${(read.members as unknown[]).length} members`);
  }
  await timed(
    'GET the group, excludedAttributes=members',
    `${group}?excludedAttributes=members`,
    { method: 'GET' },
    200,
  );
  return timings;
}

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const { base, seed, stop } = await startServer();
  const json = { 'content-type': 'application/json' };
  const auth = { authorization: `Bearer ${TOKEN}` };

  const slug = `bench-${Date.now()}`;
  await fetch(`${base}/api/workspaces`, {
    method: 'POST',
    headers: { ...json, ...auth },
    body: JSON.stringify({
      name: 'Bench',
      slug,
      firstAdmin: { email: `admin@${slug}.test`, password: PASSWORD },
    }),
  });
  for (let i = 0; i < 200; i++) {
    await fetch(`${base}/api/workspaces/${slug}/members`, {
      method: 'POST',
      headers: { ...json, ...auth },
      body: JSON.stringify({ email: `member${i}@${slug}.test` }),
    });
  }
  const login = await fetch(`${base}/auth/password/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ workspace: slug, email: `admin@${slug}.test`, password: PASSWORD }),
  });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const scim = await scimWorkspace(base, auth, seed);

  const scenarios: { name: string; options: autocannon.Options }[] = [
    { name: 'GET /health/live', options: { url: `${base}/health/live` } },
    {
      name: 'GET /auth/session (cookie)',
      options: { url: `${base}/auth/session`, headers: { cookie } },
    },
    {
      name: 'GET members page of 50 (admin session)',
      options: { url: `${base}/api/workspaces/${slug}/members?limit=50`, headers: { cookie } },
    },
    {
      name: 'GET members page of 50 (internal token)',
      options: { url: `${base}/api/workspaces/${slug}/members?limit=50`, headers: auth },
    },
    {
      name: 'POST /auth/password/login (argon2id)',
      options: {
        url: `${base}/auth/password/login`,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ workspace: slug, email: `admin@${slug}.test`, password: PASSWORD }),
      },
    },
    {
      name: `GET /scim/v2/Users userName eq (${GROUP_SIZE + SCIM_EXTRA})`,
      options: {
        url: `${base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${scim.lookupUserName}"`)}`,
        headers: scim.scimAuth,
      },
    },
  ];

  console.log(
    `Gatehouse bench: ${serverUrl ? 'PostgreSQL server' : 'embedded PGlite'}, ` +
      `${CONNECTIONS} connections, ${DURATION_SECONDS} s each\n`,
  );
  console.log(
    'scenario'.padEnd(44),
    'req/s'.padStart(9),
    'p50 ms'.padStart(8),
    'p99 ms'.padStart(8),
    'non-2xx'.padStart(8),
  );
  for (const scenario of scenarios) {
    const result = await autocannon({
      ...scenario.options,
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
    });
    console.log(
      scenario.name.padEnd(44),
      result.requests.average.toFixed(0).padStart(9),
      result.latency.p50.toFixed(1).padStart(8),
      result.latency.p99.toFixed(1).padStart(8),
      String(result.non2xx + result.errors).padStart(8),
    );
  }

  console.log(`\nSCIM group of ${GROUP_SIZE} members, one request each\n`);
  console.log('scenario'.padEnd(44), 'ms'.padStart(9), 'status'.padStart(8));
  for (const timing of await groupScenarios(base, scim.scimAuth, scim.userIds)) {
    console.log(
      timing.name.padEnd(44),
      timing.ms.toFixed(0).padStart(9),
      timing.detail.padStart(8),
    );
  }
  stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
