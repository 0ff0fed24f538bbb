import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import type { OutputStream } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/program.js';
import { idpMetadataXml, generateIdpKeyPair } from '../support/saml-idp.js';
import {
  INTERNAL_TOKEN,
  type RunningServer,
  serverEnv,
  startServerProcess,
} from '../support/server-process.js';
import {
  cloneTestDatabase,
  databaseUrl,
  SERVER_URL,
  usingEmbeddedDatabase,
  withAdminClient,
} from '../support/test-database.js';

/** The built bin `npx gatehouse` runs (the tests need `npm run build` first). */
const CLI_JS = resolve('dist/src/cli.js');
const PASSWORD = 'correct horse battery staple';
const SLOW = 180_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, checked by each expectation
type Json = any;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as the one JSON document `--json` promises. */
  json: <T = Json>() => T;
  /** The `{"error": {...}}` document `--json` writes to stderr on failure. */
  error: () => { code: string; message: string; exitCode: number; [key: string]: unknown };
}

function cliResult(code: number | null, stdout: string, stderr: string): CliResult {
  return {
    code,
    stdout,
    stderr,
    json: () => JSON.parse(stdout),
    error: () => JSON.parse(stderr).error,
  };
}

class Captured implements OutputStream {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/**
 * Runs `gatehouse <args>` as `bin` does (runCli), in this process with the service's
 * environment, its own stdout, stderr and stdin: a command's modules load once for the file, and
 * each run still opens and closes its own database connection and Nest application context.
 */
async function gatehouse(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<CliResult> {
  const stdout = new Captured();
  const stderr = new Captured();
  const stdin = Readable.from(input === undefined ? [] : [Buffer.from(input)]);
  const code = await runCli(args, { stdout, stderr, stdin, env: serverEnv(env) });
  return cliResult(code, stdout.text, stderr.text);
}

/** Runs `gatehouse <args>` as a child process: what only the real `bin` proves. */
function spawnGatehouse(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_JS, ...args], { env: serverEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((done) => child.on('close', (code) => done(cliResult(code, stdout, stderr))));
}

const uniqueSlug = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

const COMMANDS = [
  'workspace:create',
  'workspace:list',
  'workspace:show',
  'members:list',
  'members:find',
  'members:set-role',
  'members:deactivate',
  'members:reactivate',
  'settings:set',
  'sessions:revoke',
  'domains:list',
  'domains:claim',
  'domains:verify',
  'saml:add',
  'saml:list',
  'oidc:set',
  'oidc:show',
  'oidc:remove',
  'scim:enable',
  'scim:rotate-token',
  'webhooks:create',
  'webhooks:list',
  'webhooks:show',
  'webhooks:update',
  'webhooks:delete',
  'webhooks:rotate-secret',
  'webhooks:deliveries',
  'migration:run',
  'migration:revert',
  'migration:show',
  'config:show',
  'secrets:reseal',
];

describe('gatehouse CLI: usage', () => {
  const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/never-used' };

  it(
    'prints --help for every command (exit 0), each with --json',
    async () => {
      for (const command of COMMANDS) {
        const result = await gatehouse([command, '--help'], env);
        expect({ command, code: result.code }).toEqual({ command, code: 0 });
        expect(result.stdout).toContain(`Usage: gatehouse ${command}`);
        expect(result.stdout).toContain('--json');
      }
      const overview = await gatehouse(['--help'], env);
      expect(overview.code).toBe(0);
      // Exactly these: a new command without its entry here fails, so its --help is checked too.
      const listed = [...overview.stdout.matchAll(/^ {2}([a-z]+:[a-z-]+)/gm)].map((m) => m[1]);
      expect(listed).toEqual(COMMANDS);
      expect(overview.stdout).toContain('Exit codes: 0 done');
    },
    SLOW,
  );

  it(
    'runs as the bin entry: help, a usage error and an unreachable database reach the shell as 0, 2 and 5',
    async () => {
      const overview = await spawnGatehouse(['--help'], env);
      expect(overview.code).toBe(0);
      for (const command of COMMANDS) expect(overview.stdout).toContain(command);
      expect(overview.stdout).toContain('Exit codes: 0 done');
      const scimHelp = await spawnGatehouse(['scim:enable', '--help'], env);
      expect(scimHelp.code).toBe(0);
      expect(scimHelp.stdout).toContain('Usage: gatehouse scim:enable');

      const unknown = await spawnGatehouse(['workspace:destroy', '--json'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stdout).toBe('');
      expect(unknown.error()).toMatchObject({ code: 'USAGE', exitCode: 2 });

      const unreachable = await spawnGatehouse(['workspace:list', '--json'], {
        DATABASE_URL: 'postgres://gatehouse@db.invalid:5432/gatehouse',
      });
      expect(unreachable.code).toBe(5);
      expect(unreachable.stdout).toBe('');
      expect(unreachable.error()).toMatchObject({ code: 'DATABASE_UNREACHABLE', exitCode: 5 });
    },
    SLOW,
  );

  it('refuses an unknown command, option or missing argument with exit 2', async () => {
    const none = await gatehouse([], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: gatehouse');

    const unknown = await gatehouse(['workspace:destroy', '--json'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.error()).toMatchObject({ code: 'USAGE', exitCode: 2 });

    const missing = await gatehouse(['members:find', 'acme'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gatehouse: missing required argument 'member'/);

    const badOption = await gatehouse(['members:list', 'acme', '--colour'], env);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("unknown option '--colour'");

    const badValue = await gatehouse(['settings:set', 'acme', '--password', 'maybe'], env);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('Use on or off.');
  });

  it('stops with exit 5 when the database cannot be reached', async () => {
    const result = await gatehouse(['workspace:list', '--json'], {
      DATABASE_URL: 'postgres://gatehouse@db.invalid:5432/gatehouse',
    });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.error()).toMatchObject({ code: 'DATABASE_UNREACHABLE', exitCode: 5 });
    expect(result.error().message).toContain('db.invalid');
  });
});

describe('gatehouse config:show', () => {
  const secrets = {
    INTERNAL_API_TOKEN: 'token-9f8e7d6c5b4a39281706f5e4d3c2b1a0',
    SECRET_KEY: 'key-0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    OFFICE365_CLIENT_ID: 'b3c0c1a2-0000-4000-8000-000000000001',
    OFFICE365_CLIENT_SECRET: 'o365-Secret-Value-Never-Printed',
  };
  const metricsToken = 'metrics-Token-Never-Printed-0123456789ab';
  const previousToken = 'previous-Token-Never-Printed-0123456789ab';
  const previousKey = 'previous-Key-Never-Printed-0123456789abcdef';
  const dbPassword = 'db-Password-Never-Printed';
  const smtpPassword = 'smtp-Password-Never-Printed';

  it('prints the configuration with every secret hidden', async () => {
    const env = {
      ...secrets,
      METRICS_TOKEN: metricsToken,
      INTERNAL_API_TOKEN_PREVIOUS: previousToken,
      SECRET_KEY_PREVIOUS: previousKey,
      DATABASE_URL: `postgres://gatehouse:${dbPassword}@db.example.com:5432/gatehouse`,
      SMTP_URL: `smtp://mailer:${smtpPassword}@smtp.example.com:587`,
      PUBLIC_URL: 'https://login.example.com',
    };
    const json = await gatehouse(['config:show', '--json'], env);
    const human = await gatehouse(['config:show'], env);
    for (const result of [json, human]) {
      expect(result.code).toBe(0);
      const hidden = [
        ...Object.values(secrets).slice(0, 2),
        metricsToken,
        previousToken,
        previousKey,
        dbPassword,
        smtpPassword,
      ];
      for (const secret of hidden) {
        expect(result.stdout).not.toContain(secret);
      }
      expect(result.stdout).not.toContain(secrets.OFFICE365_CLIENT_SECRET);
    }
    expect(json.json()).toMatchObject({
      http: { publicUrl: 'https://login.example.com' },
      database: { url: 'postgres://gatehouse:***@db.example.com:5432/gatehouse' },
      internalApiToken: '***',
      secretKey: '***',
      previousInternalApiTokens: ['***'],
      previousSecretKeys: ['***'],
      metrics: { token: '***' },
      office365: { clientId: secrets.OFFICE365_CLIENT_ID, clientSecret: '***' },
      mail: { smtpUrl: 'smtp://mailer:***@smtp.example.com:587' },
    });
    expect(human.stdout).toContain('http.publicUrl: https://login.example.com');
  });

  it('fails with exit 1 on an invalid configuration, naming the variable', async () => {
    const result = await gatehouse(['config:show'], { PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('INVALID_CONFIGURATION');
  });
});

const describeOnServer = usingEmbeddedDatabase() ? describe.skip : describe;

describeOnServer('gatehouse on a database no service uses', () => {
  let name: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    name = `gatehouse_tmig_${process.pid}_${Date.now()}_${randomBytes(2).toString('hex')}`;
    await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
    env = { DATABASE_URL: databaseUrl(SERVER_URL, name) };
  });

  afterAll(async () => {
    await withAdminClient((client) => client.query(`DROP DATABASE "${name}" WITH (FORCE)`));
  });

  async function query<T extends object>(sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it(
    'show, run and revert migrations; other commands wait for them (exit 5)',
    async () => {
      const fresh = await gatehouse(['migration:show', '--json'], env);
      expect(fresh.code).toBe(0);
      const all = fresh.json<{
        migrations: { name: string; applied: boolean }[];
        pending: number;
      }>();
      expect(all.pending).toBe(all.migrations.length);
      expect(all.migrations.length).toBeGreaterThan(5);

      const refused = await gatehouse(['workspace:list', '--json'], env);
      expect(refused.code).toBe(5);
      expect(refused.error().code).toBe('MIGRATIONS_PENDING');

      const run = await gatehouse(['migration:run', '--json'], env);
      expect(run.code).toBe(0);
      expect(run.json().applied).toEqual(all.migrations.map((m) => m.name));

      const again = await gatehouse(['migration:run'], env);
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe('Nothing to apply.');

      const last = all.migrations.at(-1)!.name;
      const revert = await gatehouse(['migration:revert', '--json'], env);
      expect(revert.code).toBe(0);
      expect(revert.json()).toEqual({ reverted: last });
      const shown = await gatehouse(['migration:show'], env);
      expect(shown.stdout).toMatch(new RegExp(`no\\s+${last}`));
      expect(shown.stdout).toContain('1 pending.');

      const reapplied = await gatehouse(['migration:run'], env);
      expect(reapplied.stdout.trim()).toBe(`applied ${last}`);
      const rows = await query<{ name: string }>('SELECT name FROM migrations');
      expect(rows.map((r) => r.name).sort()).toEqual(all.migrations.map((m) => m.name).sort());
    },
    SLOW,
  );

  it(
    'does not deliver the service’s mail (the outbox stays for the delivery loop)',
    async () => {
      expect((await gatehouse(['migration:run'], env)).code).toBe(0);
      await query(
        `INSERT INTO mail_outbox (kind, recipient, subject, text_body)
         VALUES ('test', 'someone@example.com', 'Subject', 'Body')`,
      );
      expect((await gatehouse(['workspace:list'], env)).code).toBe(0);
      expect(await query('SELECT status, attempts FROM mail_outbox')).toEqual([
        { status: 'pending', attempts: 0 },
      ]);
    },
    SLOW,
  );
});

describeOnServer('gatehouse admin commands, on the service’s database', () => {
  let db: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let server: RunningServer;
  let env: Record<string, string>;

  const cli = (args: string[], input?: string) => gatehouse(args, env, input);

  /** The admin API with the internal token, to read what the CLI changed. */
  async function api<T = Json>(path: string, init: RequestInit = {}) {
    const response = await fetch(`${server.baseUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${INTERNAL_TOKEN}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function signIn(slug: string, email: string): Promise<string> {
    const response = await fetch(`${server.baseUrl}/auth/password/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workspace: slug, email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    return response.headers.getSetCookie()[0]!.split(';')[0]!;
  }

  async function sessionStatus(cookie: string): Promise<number> {
    return (await fetch(`${server.baseUrl}/auth/session`, { headers: { cookie } })).status;
  }

  async function latestAudit(slug: string, action: string) {
    const { body } = await api<{ items: Record<string, unknown>[] }>(
      `/api/workspaces/${slug}/audit-events?action=${action}`,
    );
    return body.items[0];
  }

  /** A workspace with a password admin, made with the CLI. */
  async function workspaceWithAdmin(prefix: string) {
    const slug = uniqueSlug(prefix);
    const admin = `admin@${slug}.example`;
    const created = await cli(
      [
        'workspace:create',
        `Workspace ${slug}`,
        '--slug',
        slug,
        '--admin-email',
        admin,
        '--json',
        '--admin-password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    expect(created.code).toBe(0);
    return { slug, admin, id: created.json().id as string };
  }

  async function addMember(slug: string, email: string, role = 'member') {
    const { status, body } = await api(`/api/workspaces/${slug}/members`, {
      method: 'POST',
      body: JSON.stringify({ email, password: PASSWORD, role }),
    });
    expect(status).toBe(201);
    return body as { userId: string };
  }

  beforeAll(async () => {
    db = await cloneTestDatabase();
    env = { DATABASE_URL: db.url };
    server = await startServerProcess(env);
  }, SLOW);

  afterAll(async () => {
    server?.kill();
    await server?.exited;
    await db?.drop();
  });

  describe('workspace:create, workspace:list, workspace:show', () => {
    it(
      'successful: creates a workspace whose first admin signs in with the password from stdin',
      async () => {
        const slug = uniqueSlug('create');
        const result = await cli(
          [
            'workspace:create',
            'Acme Corp',
            '--slug',
            slug,
            '--admin-email',
            `Ada@${slug}.example`,
            '--admin-name',
            'Ada Lovelace',
            '--admin-password-stdin',
            '--json',
          ],
          `${PASSWORD}\n`,
        );
        expect(result.code).toBe(0);
        expect(result.stderr).toBe('');
        const created = result.json();
        expect(created).toMatchObject({
          slug,
          name: 'Acme Corp',
          settings: { signInMethods: { password: true } },
          firstAdmin: { email: `ada@${slug}.example`, fullName: 'Ada Lovelace', role: 'admin' },
        });
        await signIn(slug, `ada@${slug}.example`);
        expect(await latestAudit(slug, 'workspace.created')).toMatchObject({
          channel: 'internal',
          actorType: 'internal',
          actorLabel: 'cli',
        });

        const shown = await cli(['workspace:show', created.id as string]);
        expect(shown.code).toBe(0);
        expect(shown.stdout).toContain(`Acme Corp (${slug})`);
        expect(shown.stdout).toContain('sign-in methods:');

        const listed = await cli(['workspace:list', '--limit', '200', '--json']);
        expect(listed.code).toBe(0);
        expect(listed.json().items.map((w: { slug: string }) => w.slug)).toContain(slug);
      },
      SLOW,
    );

    it(
      'failing: a taken slug (4), a bad slug or short password (2), an unknown workspace (3)',
      async () => {
        const { slug } = await workspaceWithAdmin('taken');
        const taken = await cli(['workspace:create', 'Again', '--slug', slug, '--json']);
        expect(taken.code).toBe(4);
        expect(taken.error()).toMatchObject({ code: 'SLUG_TAKEN', exitCode: 4 });

        const badSlug = await cli(['workspace:create', 'Bad', '--slug', 'Not A Slug']);
        expect(badSlug.code).toBe(2);
        expect(badSlug.stderr).toContain('--slug');

        const fresh = uniqueSlug('short');
        const short = await cli(
          [
            'workspace:create',
            'Short',
            '--slug',
            fresh,
            '--admin-email',
            `a@${fresh}.example`,
            '--admin-password-stdin',
          ],
          'short\n',
        );
        expect(short.code).toBe(2);
        expect(short.stderr).toContain('--admin-password-stdin');
        expect((await api(`/api/workspaces/${fresh}`)).status).toBe(404);

        const nameWithoutEmail = await cli(['workspace:create', 'X', '--admin-name', 'Ada']);
        expect(nameWithoutEmail.code).toBe(2);

        const unknown = await cli(['workspace:show', 'no-such-workspace', '--json']);
        expect(unknown.code).toBe(3);
        expect(unknown.error().code).toBe('WORKSPACE_NOT_FOUND');
      },
      SLOW,
    );
  });

  describe('members:list, members:find, members:set-role', () => {
    it(
      'successful: lists with filters, finds by email or id, promotes and demotes',
      async () => {
        const { slug, admin } = await workspaceWithAdmin('members');
        const grace = await addMember(slug, `grace@${slug}.example`);

        const all = await cli(['members:list', slug, '--json']);
        expect(all.code).toBe(0);
        expect(all.json()).toMatchObject({ total: 2, limit: 50, offset: 0 });
        const admins = await cli(['members:list', slug, '--role', 'admin']);
        expect(admins.stdout).toContain(admin);
        expect(admins.stdout).not.toContain('grace@');
        expect(admins.stdout).toContain('1-1 of 1');

        const byEmail = await cli(['members:find', slug, `GRACE@${slug}.example`, '--json']);
        expect(byEmail.code).toBe(0);
        expect(byEmail.json()).toMatchObject({ userId: grace.userId, role: 'member' });
        const byId = await cli(['members:find', slug, grace.userId]);
        expect(byId.stdout).toContain(`grace@${slug}.example`);

        const promoted = await cli(['members:set-role', slug, grace.userId, 'admin', '--json']);
        expect(promoted.code).toBe(0);
        expect(promoted.json().role).toBe('admin');
        const demoted = await cli(['members:set-role', slug, admin, 'member']);
        expect(demoted.code).toBe(0);
        const { body } = await api(`/api/workspaces/${slug}/members?role=admin`);
        expect(body.items.map((m: { email: string }) => m.email)).toEqual([
          `grace@${slug}.example`,
        ]);
        expect(await latestAudit(slug, 'member.updated')).toMatchObject({
          actorLabel: 'cli',
          before: { role: 'admin' },
          after: { role: 'member' },
        });
      },
      SLOW,
    );

    it(
      'failing: the last admin (4), a bad role or limit (2), an unknown member (3)',
      async () => {
        const { slug, admin } = await workspaceWithAdmin('lastadmin');
        const last = await cli(['members:set-role', slug, admin, 'member', '--json']);
        expect(last.code).toBe(4);
        expect(last.error().code).toBe('LAST_ADMIN');
        const { body } = await api(`/api/workspaces/${slug}/members?role=admin`);
        expect(body.total).toBe(1);

        const badRole = await cli(['members:set-role', slug, admin, 'owner']);
        expect(badRole.code).toBe(2);
        expect(badRole.stderr).toContain('<role>');
        const badLimit = await cli(['members:list', slug, '--limit', '0']);
        expect(badLimit.code).toBe(2);
        expect(badLimit.stderr).toContain('--limit');

        const nobody = await cli(['members:find', slug, `nobody@${slug}.example`, '--json']);
        expect(nobody.code).toBe(3);
        expect(nobody.error().code).toBe('MEMBER_NOT_FOUND');
      },
      SLOW,
    );
  });

  describe('members:deactivate, members:reactivate, sessions:revoke', () => {
    it(
      'successful: deactivation ends the sessions; everyone can be signed out',
      async () => {
        const { slug, admin } = await workspaceWithAdmin('deact');
        const email = `linus@${slug}.example`;
        await addMember(slug, email);
        const memberCookie = await signIn(slug, email);
        expect(await sessionStatus(memberCookie)).toBe(200);

        const deactivated = await cli(['members:deactivate', slug, email, '--json']);
        expect(deactivated.code).toBe(0);
        expect(deactivated.json().status).toBe('deactivated');
        expect(await sessionStatus(memberCookie)).toBe(401);
        expect(await latestAudit(slug, 'member.deactivated')).toMatchObject({ actorLabel: 'cli' });

        const reactivated = await cli(['members:reactivate', slug, email]);
        expect(reactivated.code).toBe(0);
        expect(reactivated.stdout).toMatch(/status:\s+active/);
        const cookies = [await signIn(slug, email), await signIn(slug, admin)];

        const one = await cli(['sessions:revoke', slug, '--member', email, '--json']);
        expect(one.json()).toEqual({ revoked: 1 });
        expect(await sessionStatus(cookies[0]!)).toBe(401);
        expect(await sessionStatus(cookies[1]!)).toBe(200);
        const everyone = await cli(['sessions:revoke', slug]);
        expect(everyone.code).toBe(0);
        expect(everyone.stdout.trim()).toBe('Signed out 1 session.');
        expect(await sessionStatus(cookies[1]!)).toBe(401);
      },
      SLOW,
    );

    it(
      'failing: the last admin cannot be deactivated (4); unknown workspace (3)',
      async () => {
        const { slug, admin } = await workspaceWithAdmin('deactlast');
        const result = await cli(['members:deactivate', slug, admin]);
        expect(result.code).toBe(4);
        expect(result.stderr).toContain('(LAST_ADMIN)');
        const { body } = await api(`/api/workspaces/${slug}/members?status=active`);
        expect(body.total).toBe(1);

        const unknown = await cli(['sessions:revoke', 'no-such-workspace']);
        expect(unknown.code).toBe(3);
      },
      SLOW,
    );
  });

  describe('settings:set', () => {
    it(
      'successful: sets the session lifetime, idle timeout and methods',
      async () => {
        const { slug } = await workspaceWithAdmin('settings');
        const result = await cli([
          'settings:set',
          slug,
          '--session-lifetime',
          '12h',
          '--idle-timeout',
          '30m',
          '--office365',
          'off',
          '--json',
        ]);
        expect(result.code).toBe(0);
        const { body } = await api(`/api/workspaces/${slug}`);
        expect(body.settings).toMatchObject({
          sessionLifetimeSeconds: 43_200,
          sessionIdleTimeoutSeconds: 1800,
          signInMethods: { password: true, office365: false, saml: true },
        });
        expect(result.json().settings).toEqual(body.settings);
        const off = await cli(['settings:set', slug, '--idle-timeout', 'off']);
        expect(off.stdout).toMatch(/idle timeout:\s+off/);
      },
      SLOW,
    );

    it(
      'failing: a lockout is refused (4) unless forced; bad values (2) change nothing',
      async () => {
        const { slug } = await workspaceWithAdmin('lockout');
        const lockout = await cli([
          'settings:set',
          slug,
          '--password',
          'off',
          '--office365',
          'off',
          '--json',
        ]);
        expect(lockout.code).toBe(4);
        expect(lockout.error()).toMatchObject({
          code: 'NO_USABLE_SIGN_IN_METHOD',
          unusableMethods: [{ method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' }],
          hint: expect.stringContaining('--force'),
        });
        const tooShort = await cli(['settings:set', slug, '--session-lifetime', '10']);
        expect(tooShort.code).toBe(2);
        expect(tooShort.stderr).toContain('--session-lifetime');
        const nothing = await cli(['settings:set', slug]);
        expect(nothing.code).toBe(2);
        const unchanged = await api(`/api/workspaces/${slug}`);
        expect(unchanged.body.settings).toMatchObject({
          sessionLifetimeSeconds: 30 * 86_400,
          signInMethods: { password: true, office365: true, saml: true },
        });

        const forced = await cli([
          'settings:set',
          slug,
          '--password',
          'off',
          '--office365',
          'off',
          '--force',
        ]);
        expect(forced.code).toBe(0);
        expect(await latestAudit(slug, 'workspace.settings_updated')).toMatchObject({
          actorLabel: 'cli',
          details: { forced: true },
        });
      },
      SLOW,
    );
  });

  describe('domains:claim, domains:verify, domains:list', () => {
    it(
      'successful: claims a domain and force-verifies it',
      async () => {
        const { slug } = await workspaceWithAdmin('domains');
        const domain = `${slug}.example.com`;
        const claimed = await cli(['domains:claim', slug, domain]);
        expect(claimed.code).toBe(0);
        expect(claimed.stdout).toContain(`TXT record named _gatehouse-challenge.${domain}`);

        const verified = await cli(['domains:verify', slug, domain, '--force', '--json']);
        expect(verified.code).toBe(0);
        expect(verified.json()).toMatchObject({ domain, status: 'verified' });
        const { body } = await api(`/api/workspaces/${slug}/domains/${domain}`);
        expect(body.status).toBe('verified');
        expect(await latestAudit(slug, 'domain.verified')).toMatchObject({
          actorLabel: 'cli',
          details: { method: 'forced' },
        });
        const listed = await cli(['domains:list', slug]);
        expect(listed.stdout).toMatch(new RegExp(`${domain.replace(/\./g, '\\.')}\\s+verified`));
      },
      SLOW,
    );

    it(
      'failing: no TXT record (4), a public mail domain (2), a domain claimed twice (4), not claimed (3)',
      async () => {
        const { slug } = await workspaceWithAdmin('domfail');
        const domain = `${slug}.example.com`;
        await cli(['domains:claim', slug, domain]);
        const unverified = await cli(['domains:verify', slug, domain, '--json']);
        expect(unverified.code).toBe(4);
        expect(unverified.error().code).toBe('DOMAIN_VERIFICATION_FAILED');
        expect((await api(`/api/workspaces/${slug}/domains/${domain}`)).body.status).toBe(
          'pending',
        );

        const gmail = await cli(['domains:claim', slug, 'gmail.com']);
        expect(gmail.code).toBe(2);
        expect(gmail.stderr).toContain('(CONSUMER_DOMAIN)');
        const twice = await cli(['domains:claim', slug, domain]);
        expect(twice.code).toBe(4);
        const notClaimed = await cli(['domains:verify', slug, `other.${domain}`, '--force']);
        expect(notClaimed.code).toBe(3);
      },
      SLOW,
    );
  });

  describe('saml:add, saml:list, scim:enable, scim:rotate-token', () => {
    let dir: string;
    let metadataFile: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
      metadataFile = join(dir, 'idp-metadata.xml');
      const key = await generateIdpKeyPair('CLI Test IdP');
      await writeFile(
        metadataFile,
        idpMetadataXml({
          entityId: 'https://idp.example.com/cli',
          ssoUrl: 'https://idp.example.com/sso',
          key,
        }),
      );
    });

    afterAll(() => rm(dir, { recursive: true, force: true }));

    it(
      'successful: adds a provider from metadata, turns SCIM on and rotates its token',
      async () => {
        const { slug } = await workspaceWithAdmin('scim');
        const added = await cli([
          'saml:add',
          slug,
          '--name',
          'Okta',
          '--metadata',
          metadataFile,
          '--json',
        ]);
        expect(added.code).toBe(0);
        const provider = added.json();
        expect(provider).toMatchObject({
          name: 'Okta',
          enabled: true,
          idpEntityId: 'https://idp.example.com/cli',
          idpSsoUrl: 'https://idp.example.com/sso',
        });
        const { body: providers } = await api(`/api/workspaces/${slug}/saml-providers`);
        expect(providers.items.map((p: { id: string }) => p.id)).toEqual([provider.id]);
        const listed = await cli(['saml:list', slug]);
        expect(listed.stdout).toContain(provider.acsUrl);

        const settings = await cli([
          'settings:set',
          slug,
          '--password',
          'off',
          '--office365',
          'off',
        ]);
        expect(settings.code).toBe(0);
        const enabled = await cli(['scim:enable', slug, '--provider', 'okta', '--json']);
        expect(enabled.code).toBe(0);
        const { token } = enabled.json<{ token: string; baseUrl: string }>();
        const users = (bearer: string) =>
          fetch(`${server.baseUrl}/scim/v2/Users`, {
            headers: { authorization: `Bearer ${bearer}` },
          });
        expect((await users(token)).status).toBe(200);

        const rotated = await cli(['scim:rotate-token', slug]);
        expect(rotated.code).toBe(0);
        const newToken = /token:\s+(\S+)/.exec(rotated.stdout)![1]!;
        expect(newToken).not.toBe(token);
        expect((await users(newToken)).status).toBe(200);
        expect((await users(token)).status).toBe(200); // within its grace period
        expect(await latestAudit(slug, 'scim.token_rotated')).toMatchObject({ actorLabel: 'cli' });
      },
      SLOW,
    );

    it(
      'failing: bad or missing metadata (2), a taken name (4), SCIM before SAML-only (4), twice (4), not on (3)',
      async () => {
        const { slug } = await workspaceWithAdmin('samlfail');
        const notXml = await cli(
          ['saml:add', slug, '--name', 'X', '--metadata', '-', '--json'],
          '<x/>',
        );
        expect(notXml.code).toBe(2);
        expect(notXml.error().code).toBe('SAML_INVALID_METADATA');
        const noFile = await cli([
          'saml:add',
          slug,
          '--name',
          'X',
          '--metadata',
          join(dir, 'nope.xml'),
        ]);
        expect(noFile.code).toBe(2);
        expect(noFile.stderr).toContain('nope.xml');
        const noName = await cli(['saml:add', slug, '--metadata', metadataFile]);
        expect(noName.code).toBe(2);
        expect((await api(`/api/workspaces/${slug}/saml-providers`)).body.total).toBe(0);

        const scimTooEarly = await cli(['scim:enable', slug, '--provider', 'okta', '--json']);
        expect(scimTooEarly.code).toBe(4);
        expect(scimTooEarly.error()).toMatchObject({
          code: 'SCIM_REQUIRES_SAML_ONLY',
          reasons: ['NO_ENABLED_SAML_PROVIDER', 'PASSWORD_ENABLED', 'OFFICE365_ENABLED'],
        });
        const notOn = await cli(['scim:rotate-token', slug]);
        expect(notOn.code).toBe(3);
        const badProvider = await cli(['scim:enable', slug, '--provider', 'onelogin']);
        expect(badProvider.code).toBe(2);

        await cli(['saml:add', slug, '--name', 'Okta', '--metadata', metadataFile]);
        const sameName = await cli([
          'saml:add',
          slug,
          '--name',
          'Okta',
          '--metadata',
          metadataFile,
        ]);
        expect(sameName.code).toBe(4);
        await cli(['settings:set', slug, '--password', 'off', '--office365', 'off']);
        expect((await cli(['scim:enable', slug, '--provider', 'azure'])).code).toBe(0);
        const twice = await cli(['scim:enable', slug, '--provider', 'azure']);
        expect(twice.code).toBe(4);
        expect(twice.stderr).toContain('(SCIM_ALREADY_ENABLED)');
      },
      SLOW,
    );
  });
});

describe('gatehouse on the embedded database (no DATABASE_URL)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-data-'));
  });

  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it(
    'migrates and administers the data the service then serves; refuses while the service runs',
    async () => {
      const env = { DATA_DIR: dataDir };
      // In this process: PGlite started and stopped by each command, its lock taken and let go.
      expect((await gatehouse(['migration:run'], env)).code).toBe(0);
      const created = await gatehouse(
        [
          'workspace:create',
          'Embedded',
          '--slug',
          'embedded',
          '--admin-email',
          'ada@embedded.example',
          '--json',
        ],
        env,
      );
      expect(created.code).toBe(0);

      const server = await startServerProcess(env);
      try {
        // The bin, in a process of its own, against the server process holding the lock.
        const busy = await spawnGatehouse(['members:list', 'embedded', '--json'], env);
        expect(busy.code).toBe(5);
        expect(busy.error().message).toContain(`in use by process ${server.child.pid}`);
        const response = await fetch(`${server.baseUrl}/api/workspaces/embedded/members`, {
          headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
        });
        expect(((await response.json()) as { items: { email: string }[] }).items).toEqual([
          expect.objectContaining({ email: 'ada@embedded.example', role: 'admin' }),
        ]);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }

      const listed = await gatehouse(['members:list', 'embedded'], env);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain('ada@embedded.example');
    },
    SLOW,
  );
});
