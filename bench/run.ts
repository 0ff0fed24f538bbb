/**
 * `npm run bench`: Gatehouse's hot paths against a real PostgreSQL with N members in one
 * workspace (BENCH_SIZES, default 10,000 and 100,000), next to a same-run reference floor
 * (floor-server.ts: node:http + pg) and a Nest + Express "hello" (hello-server.ts). One process
 * tree: this runner forks the three servers. Not part of `npm test`: speed is measured, not
 * asserted. See docs/performance.md.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';
import { startChild, type BenchChild } from './children.js';
import { BENCH_SECRET_KEY, BENCH_TOKEN } from './constants.js';
import { benchDatabase } from './database.js';
import { groupScenarios } from './groups.js';
import { CONNECTIONS, DURATION_SECONDS, call, loaded, unloadedP50 } from './load.js';
import { type Figure, writeResults } from './report.js';
import { SAML_RESPONSES, type SamlProvider, samlForms, samlKey } from './saml.js';
import { seedAdminSession, seedScimMembers } from './seed.js';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const WALK_LIMIT_SECONDS = Number(process.env.BENCH_WALK_LIMIT_SECONDS ?? 600);
/** Where to write CPU profiles of the Gatehouse server (userName lookups and POST /Users). */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCENARIOS = [
  'hello',
  'lookup',
  'create',
  'pages',
  'walk',
  'session',
  'members',
  'saml',
  'groups',
] as const;
/** BENCH_ONLY=lookup,walk runs those scenarios only (seeding and RSS always run). */
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? SCENARIOS.join(',')).split(',').map((name) => name.trim()),
);
for (const name of ONLY) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`BENCH_ONLY: unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
  }
}
const runs = (scenario: (typeof SCENARIOS)[number]) => ONLY.has(scenario);

/** A workspace with SAML as its only method and SCIM on, made through the admin API. */
async function scimWorkspace(base: string, idpCertificatePem: string) {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` };
  const slug = `bench-${Date.now()}`;
  const workspace = await call(
    `${base}/api/workspaces`,
    { method: 'POST', headers, body: JSON.stringify({ name: 'Bench', slug }) },
    201,
  );
  const provider = await call(
    `${base}/api/workspaces/${slug}/saml-providers`,
    {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'Bench IdP',
        idpEntityId: `https://idp.example.com/${slug}`,
        idpSsoUrl: 'https://idp.example.com/sso',
        idpCertificates: [idpCertificatePem],
      }),
    },
    201,
  );
  await call(
    `${base}/api/workspaces/${slug}/settings`,
    {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ signInMethods: { password: false, office365: false, saml: true } }),
    },
    200,
  );
  const connection = await call(
    `${base}/api/workspaces/${slug}/scim`,
    { method: 'POST', headers, body: JSON.stringify({ provider: 'okta' }) },
    201,
  );
  return {
    id: workspace.id as string,
    slug,
    token: connection.token as string,
    provider: provider as unknown as SamlProvider,
  };
}

/**
 * Pages of 100 from the first to the last: seconds taken, and whether totalResults held. Pages
 * follow `nextCursor` (RFC 9865) when the server gives one (the floor's keyset walk), else
 * `startIndex` (as Okta walks Gatehouse).
 */
async function walk(
  base: string,
  path: string,
  headers: Record<string, string>,
  count: () => Promise<number>,
) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const expected = await count();
  const started = performance.now();
  const seen = new Set<string>();
  let total = -1;
  let exact = true;
  let complete = true;
  let cursor: string | undefined;
  let byCursor = false;
  for (let startIndex = 1; total < 0 || startIndex <= total; startIndex += 100) {
    const where = cursor ? `cursor=${cursor}` : `startIndex=${startIndex}`;
    const page = await call(`${base}${path}?${where}&count=100`, { headers }, 200);
    cursor = page.nextCursor as string | undefined;
    byCursor ||= cursor !== undefined;
    if (total >= 0 && page.totalResults !== total) exact = false;
    total = page.totalResults as number;
    for (const user of page.Resources as { id: string }[]) seen.add(user.id);
    if ((performance.now() - started) / 1000 > WALK_LIMIT_SECONDS) {
      complete = false;
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  exact &&= total === expected && (!complete || seen.size === expected);
  return {
    seconds: complete ? seconds : (seconds * expected) / seen.size,
    note:
      `${byCursor ? 'by cursor, ' : ''}totalResults ${total} (SQL count ${expected}), ` +
      `${seen.size} distinct ids: ${exact ? 'exact' : 'NOT EXACT'}` +
      (complete ? '' : `; stopped after ${WALK_LIMIT_SECONDS} s, time extrapolated`),
  };
}

async function benchSize(size: number, figures: Figure[]) {
  const add = (figure: Omit<Figure, 'size'>) => {
    figures.push({ size, ...figure });
    const ratio = figure.floor ? (figure.gatehouse / figure.floor).toFixed(3) : '';
    console.log(
      `  ${figure.scenario.padEnd(52)} ${figure.gatehouse.toFixed(1).padStart(10)} ` +
        `${figure.floor?.toFixed(1).padStart(10) ?? ''.padStart(10)} ${ratio.padStart(8)} ${figure.unit}` +
        (figure.note ? `  (${figure.note})` : ''),
    );
  };
  console.log(`\n== ${size.toLocaleString('en')} members ==`);
  const database = await benchDatabase(String(size));
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  const children: BenchChild[] = [];
  try {
    const key = await samlKey();
    const gatehouse = await startChild('./server.js', {
      BENCH_GATEHOUSE_DATABASE_URL: database.url,
    });
    children.push(gatehouse);
    const floor = await startChild('./floor-server.js', {
      BENCH_FLOOR_DATABASE_URL: database.url,
      BENCH_SECRET_KEY,
      BENCH_COOKIE_NAME: gatehouse.cookieName!,
      BENCH_SAML_CERTIFICATE: key.certificatePem,
    });
    children.push(floor);
    const hello = await startChild('./hello-server.js', {});
    children.push(hello);

    const workspace = await scimWorkspace(gatehouse.url, key.certificatePem);
    const domain = `${workspace.slug}.test`;
    const started = performance.now();
    const ids = await seedScimMembers(db, workspace.id, domain, 'scim', 1, size);
    add({
      scenario: `seed ${size} members (bulk SQL, not the API)`,
      unit: 's',
      gatehouse: (performance.now() - started) / 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = gatehouse.memory().rssMiB;

    const scim = {
      authorization: `Bearer ${workspace.token}`,
      'content-type': 'application/scim+json',
    };
    const users = { gatehouse: '/scim/v2/Users', floor: `/w/${workspace.id}/Users` };
    const random = (n: number) => 1 + Math.floor(Math.random() * n);
    const lookup = (path: string) => () => ({
      path: `${path}?filter=${encodeURIComponent(`userName eq "scim${random(size)}@${domain}"`)}`,
    });
    if (runs('hello')) {
      add({
        scenario: 'Nest + Express "hello" vs node:http "hello" (framework cost)',
        unit: 'req/s',
        gatehouse: (await loaded(hello.url, { next: () => ({ path: '/hello' }) })).rps,
        floor: (await loaded(floor.url, { next: () => ({ path: '/hello' }) })).rps,
      });
    }
    if (runs('lookup'))
      add({
        scenario: 'GET /Users userName eq, unloaded p50',
        unit: 'ms',
        gatehouse: await unloadedP50(gatehouse.url, {
          headers: scim,
          next: lookup(users.gatehouse),
        }),
        floor: await unloadedP50(floor.url, { next: lookup(users.floor) }),
      });

    const stopProfile = PROFILE_DIR
      ? await gatehouse.profile(`${PROFILE_DIR}/gatehouse-${size}-lookup-create.cpuprofile`)
      : undefined;
    if (runs('lookup')) {
      const gLookup = await loaded(gatehouse.url, { headers: scim, next: lookup(users.gatehouse) });
      const fLookup = await loaded(floor.url, { next: lookup(users.floor) });
      add({
        scenario: `GET /Users userName eq, ${CONNECTIONS} connections`,
        unit: 'req/s',
        gatehouse: gLookup.rps,
        floor: fLookup.rps,
        note: `p50 ${gLookup.p50} ms vs ${fLookup.p50} ms; failed ${gLookup.failed}/${fLookup.failed}`,
      });
    }
    let created = 0;
    const create = (prefix: string, path: string) => () => {
      const userName = `${prefix}${++created}@${domain}`;
      return {
        path,
        body: JSON.stringify({
          schemas: [USER_SCHEMA],
          userName,
          name: { givenName: 'Bench', familyName: `Person ${created}` },
          emails: [{ primary: true, value: userName, type: 'work' }],
          externalId: `ext-${prefix}-${created}`,
          active: true,
        }),
      };
    };
    if (runs('create')) {
      const gCreate = await loaded(gatehouse.url, {
        method: 'POST',
        headers: scim,
        next: create('new', users.gatehouse),
      });
      await stopProfile?.();
      const fCreate = await loaded(floor.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        next: create('floor', users.floor),
      });
      add({
        scenario: `POST /Users (new users), ${CONNECTIONS} connections`,
        unit: 'req/s',
        gatehouse: gCreate.rps,
        floor: fCreate.rps,
        note: `p50 ${gCreate.p50} ms vs ${fCreate.p50} ms; failed ${gCreate.failed}/${fCreate.failed}`,
      });
    } else {
      await stopProfile?.();
    }

    /** Members of the workspace as SQL counts them; autocannon's last creates may still land. */
    const count = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM memberships WHERE workspace_id = $1`,
            [workspace.id],
          )
        ).rows[0]!.n,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const members = await count();
    const page = (path: string) => () => ({
      path: `${path}?startIndex=${random(members - 100)}&count=100`,
    });
    if (runs('pages')) {
      const gPage = await loaded(gatehouse.url, { headers: scim, next: page(users.gatehouse) });
      const fPage = await loaded(floor.url, { next: page(users.floor) });
      add({
        scenario: `GET /Users random startIndex, count 100, ${CONNECTIONS} connections`,
        unit: 'req/s',
        gatehouse: gPage.rps,
        floor: fPage.rps,
        note: `p50 ${gPage.p50} ms vs ${fPage.p50} ms; failed ${gPage.failed}/${fPage.failed}`,
      });
    }
    if (runs('walk')) {
      const gWalk = await walk(gatehouse.url, users.gatehouse, scim, count);
      const fWalk = await walk(floor.url, users.floor, {}, count);
      add({
        scenario: `full walk of all ${members} users, pages of 100`,
        unit: 's',
        gatehouse: gWalk.seconds,
        floor: fWalk.seconds,
        note: `Gatehouse ${gWalk.note}; floor ${fWalk.note}`,
      });
    }

    const token = await seedAdminSession(db, workspace.id, `admin@${domain}`, BENCH_SECRET_KEY);
    const cookie = { cookie: `${gatehouse.cookieName}=${token}` };
    await call(`${gatehouse.url}/auth/session`, { headers: cookie }, 200);
    if (runs('session')) {
      const gSession = await loaded(gatehouse.url, {
        headers: cookie,
        next: () => ({ path: '/auth/session' }),
      });
      const fSession = await loaded(floor.url, {
        headers: cookie,
        next: () => ({ path: '/auth/session' }),
      });
      add({
        scenario: `GET /auth/session, ${CONNECTIONS} connections`,
        unit: 'req/s',
        gatehouse: gSession.rps,
        floor: fSession.rps,
        note: `failed ${gSession.failed}/${fSession.failed}`,
      });
    }
    if (runs('members')) {
      const gMembers = await loaded(gatehouse.url, {
        headers: cookie,
        next: () => ({ path: `/api/workspaces/${workspace.slug}/members?limit=50` }),
      });
      const fMembers = await loaded(floor.url, {
        next: () => ({ path: `/w/${workspace.id}/members?limit=50` }),
      });
      add({
        scenario: `GET /api/workspaces/:ws/members?limit=50 (admin), ${CONNECTIONS} conn.`,
        unit: 'req/s',
        gatehouse: gMembers.rps,
        floor: fMembers.rps,
        note: `p50 ${gMembers.p50} ms vs ${fMembers.p50} ms; failed ${gMembers.failed}/${fMembers.failed}`,
      });
    }

    if (runs('saml')) {
      const nameIds = Array.from({ length: SAML_RESPONSES }, (_, i) => `scim${i + 1}@${domain}`);
      const forms = await samlForms(key, workspace.provider, nameIds);
      const saml = (path: string) => {
        let next = 0;
        return {
          method: 'POST' as const,
          amount: forms.length,
          redirectsOk: true,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          next: () => ({ path, body: forms[next++ % forms.length] }),
        };
      };
      const gSaml = await loaded(gatehouse.url, saml(new URL(workspace.provider.acsUrl).pathname));
      const fSaml = await loaded(floor.url, saml('/acs'));
      add({
        scenario: `SAML ACS, signed assertion, ${forms.length} sign-ins, ${CONNECTIONS} conn.`,
        unit: 'req/s',
        gatehouse: gSaml.rps,
        floor: fSaml.rps,
        note:
          `floor = xml-crypto signature check alone; p50 ${gSaml.p50} ms vs ${fSaml.p50} ms; ` +
          `failed ${gSaml.failed}/${fSaml.failed}`,
      });
    }

    if (runs('groups')) {
      // The group scenarios need 20,000 people; below that, spare members are seeded first.
      const pool =
        ids.length >= 20_000
          ? ids
          : ids.concat(
              await seedScimMembers(db, workspace.id, domain, 'spare', 1, 20_000 - ids.length),
            );
      for (const timing of await groupScenarios(gatehouse.url, scim, pool)) {
        add({ scenario: timing.name, unit: 'ms', gatehouse: timing.ms, note: timing.note });
      }
    }

    add({ scenario: 'Gatehouse RSS idle (after seeding)', unit: 'MiB', gatehouse: idle });
    add({
      scenario: 'Gatehouse RSS peak (VmHWM)',
      unit: 'MiB',
      gatehouse: gatehouse.memory().peakMiB,
      floor: floor.memory().peakMiB,
    });
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await db.end();
    await database.drop();
  }
}

async function main() {
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  const serverUrl = process.env.BENCH_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const versionClient = new pg.Client({
    connectionString: process.env.BENCH_DATABASE_URL ?? serverUrl,
  });
  await versionClient.connect();
  const postgres = (await versionClient.query<{ server_version: string }>('SHOW server_version'))
    .rows[0]!.server_version;
  await versionClient.end();
  const meta = {
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedInSrc: git('status', '--porcelain', '--', 'src', 'migrations')
      .split('\n')
      .filter(Boolean),
    node: process.version,
    postgres,
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((n) => n.toFixed(2)),
    connections: CONNECTIONS,
    secondsPerLoad: DURATION_SECONDS,
    sizes: SIZES,
    database: process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'created and dropped',
  };
  console.log(
    `Gatehouse bench at ${meta.commit}${meta.uncommittedInSrc.length ? ' + uncommitted src changes' : ''}: ` +
      `PostgreSQL ${postgres}, Node ${process.version}, ${CONNECTIONS} connections, ` +
      `${DURATION_SECONDS} s per load\n` +
      `  ${'scenario'.padEnd(52)} ${'Gatehouse'.padStart(10)} ${'floor'.padStart(10)} ${'G/floor'.padStart(8)} unit`,
  );
  const figures: Figure[] = [];
  for (const size of SIZES) await benchSize(size, figures);
  const files = await writeResults(
    { ...meta, loadAverageAtEnd: loadavg().map((n) => n.toFixed(2)) },
    figures,
  );
  console.log(`\n${files.markdown}\nwritten: ${files.paths.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
