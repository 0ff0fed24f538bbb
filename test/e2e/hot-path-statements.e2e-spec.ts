import type pg from 'pg';
import { builtStatements, declaredStatements } from '../../src/database/prepared-statements.js';
import { ScimRequestLog } from '../../src/scim/log/scim-request-log.service.js';
import { addMember, signIn, workspaceWithSignedInAdmin } from '../support/fixtures.js';
import { oktaUser, scimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

interface Statement {
  sql: string;
  /** Set when the statement ran as a named prepared statement (parsed once per connection). */
  name?: string;
}

/**
 * What the hot paths send to PostgreSQL: a SCIM request's token lookup and a session check are
 * one named statement each, the SCIM request log writes nothing while the request runs, and no
 * instance keeps an answer that a rotation, a disable or a revocation elsewhere would change.
 */
describe('hot-path statements', () => {
  let a: TestApp;
  let b: TestApp;
  // The mail loop polls the database; an hour between polls keeps it out of the count.
  const env = { MAIL_POLL_INTERVAL_MS: '3600000', SCIM_TOKEN_GRACE_SECONDS: '0' };
  beforeAll(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env, { sameDatabaseAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** The statements sent to PostgreSQL while `run` runs (this process, both apps). */
  async function statementsOf(run: () => Promise<unknown>): Promise<Statement[]> {
    const statements: Statement[] = [];
    const { Client } = (a.dataSource.driver as unknown as { postgres: typeof pg }).postgres;
    const query = Client.prototype.query;
    Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [config] = args as [string | { text: string; name?: string }];
      const sql = (typeof config === 'string' ? config : config.text).replace(/\s+/g, ' ').trim();
      statements.push(
        typeof config === 'string' || !config.name ? { sql } : { sql, name: config.name },
      );
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      await run();
    } finally {
      Client.prototype.query = query;
    }
    return statements;
  }

  const scimGet = (t: TestApp, auth: string, path = '/scim/v2/Users?count=1') =>
    t.http.get(path).set('Authorization', auth);

  describe('successful', () => {
    it('authenticates a SCIM request with one named statement and logs it off the request path', async () => {
      const ws = await scimWorkspace(a);
      await a.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .send(oktaUser('ada@acme.test'))
        .expect(201);
      // The first request of a minute notes last_request_at; count a later one, once the log
      // entries of the earlier ones are written.
      await scimGet(b, ws.auth).expect(200);
      await Promise.all([a, b].map((t) => t.app.get(ScimRequestLog).flush()));
      let status = 0;
      const statements = await statementsOf(async () => {
        status = (await scimGet(b, ws.auth, '/scim/v2/Users?filter=userName eq "ada@acme.test"'))
          .status;
      });
      expect(status).toBe(200);
      const tokenLookups = statements.filter((s) => /scim_connections/.test(s.sql));
      expect(tokenLookups).toEqual([
        expect.objectContaining({ name: 'gatehouse_scim_workspace_by_token' }),
      ]);
      expect(statements.filter((s) => /scim_requests/.test(s.sql))).toEqual([]);
    });

    it('looks a SCIM User up by userName with two named statements: the token, then the page with its groups', async () => {
      const ws = await scimWorkspace(a);
      const created = await a.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .send(oktaUser('grace@acme.test'))
        .expect(201);
      const group = await a.http
        .post('/scim/v2/Groups')
        .set('Authorization', ws.auth)
        .send({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Compilers',
          members: [{ value: created.body.id }],
        })
        .expect(201);
      await scimGet(b, ws.auth).expect(200);
      await Promise.all([a, b].map((t) => t.app.get(ScimRequestLog).flush()));
      const lookup = '/scim/v2/Users?filter=userName eq "grace@acme.test"';
      // Twice: the first run on a connection prepares the statement, the second only runs it.
      for (const run of [1, 2]) {
        let body: { Resources?: { groups?: { value: string; display: string }[] }[] } = {};
        const statements = await statementsOf(async () => {
          body = (await scimGet(b, ws.auth, lookup).expect(200)).body;
        });
        expect({ run, groups: body.Resources?.[0]?.groups }).toEqual({
          run,
          groups: [expect.objectContaining({ value: group.body.id, display: 'Compilers' })],
        });
        expect({ run, statements }).toEqual({
          run,
          statements: [
            expect.objectContaining({ name: 'gatehouse_scim_workspace_by_token' }),
            expect.objectContaining({
              name: expect.stringMatching(/^gatehouse_built_[0-9a-f]{32}$/),
              sql: expect.stringContaining('group_members'),
            }),
          ],
        });
      }
      // The lookups' request-log entries are written now, not during a later test's count.
      await Promise.all([a, b].map((t) => t.app.get(ScimRequestLog).flush()));
    });

    it('checks a session with one named statement', async () => {
      const ws = await workspaceWithSignedInAdmin(a);
      await b.http.get('/auth/session').set('Cookie', ws.adminCookie).expect(200);
      let status = 0;
      const statements = await statementsOf(async () => {
        status = (await b.http.get('/auth/session').set('Cookie', ws.adminCookie)).status;
      });
      expect(status).toBe(200);
      expect(statements).toEqual([expect.objectContaining({ name: 'gatehouse_session_by_token' })]);
    });

    it('checks an admin request to the API with the same session statement', async () => {
      const ws = await workspaceWithSignedInAdmin(a);
      const statements = await statementsOf(() =>
        b.http.get(`/api/workspaces/${ws.slug}/members`).set('Cookie', ws.adminCookie).expect(200),
      );
      expect(statements.filter((s) => /FROM sessions/.test(s.sql))).toEqual([
        expect.objectContaining({ name: 'gatehouse_session_by_token' }),
      ]);
    });
  });

  describe('failing', () => {
    it('refuses an unknown SCIM token with the same one statement', async () => {
      let status = 0;
      const statements = await statementsOf(async () => {
        status = (await scimGet(b, 'Bearer not-a-token')).status;
      });
      expect(status).toBe(401);
      expect(statements).toEqual([
        expect.objectContaining({ name: 'gatehouse_scim_workspace_by_token' }),
      ]);
    });

    it('refuses a token on every instance as soon as it is rotated out', async () => {
      const ws = await scimWorkspace(a);
      await scimGet(b, ws.auth).expect(200);
      const rotated = await a.http
        .post(`/api/workspaces/${ws.slug}/scim/token`)
        .set('Authorization', a.internal)
        .expect(201);
      await scimGet(b, ws.auth).expect(401);
      await scimGet(b, `Bearer ${rotated.body.token as string}`).expect(200);
    });

    it('refuses a token on every instance as soon as SCIM is disabled', async () => {
      const ws = await scimWorkspace(a);
      await scimGet(b, ws.auth).expect(200);
      await a.http
        .delete(`/api/workspaces/${ws.slug}/scim`)
        .set('Authorization', a.internal)
        .expect(204);
      await scimGet(b, ws.auth).expect(401);
    });

    it('refuses a session on every instance as soon as it is revoked', async () => {
      const ws = await workspaceWithSignedInAdmin(a);
      await addMember(a, ws.slug, 'grace@acme.test');
      const member = await signIn(a, ws.slug, 'grace@acme.test');
      await b.http.get('/auth/session').set('Cookie', member).expect(200);
      await a.http.post('/auth/logout').set('Cookie', member).expect(204);
      await b.http.get('/auth/session').set('Cookie', member).expect(401);
    });
  });

  describe('plans', () => {
    /** Enough rows that a sequential scan is no longer the cheap way to find one. */
    async function seedSessionsAndConnections(): Promise<void> {
      await a.dataSource.query(
        `WITH w AS (
           INSERT INTO workspaces (slug, name)
           SELECT 'plans-' || i, 'Plans ' || i FROM generate_series(1, 5000) i RETURNING id),
         c AS (
           INSERT INTO scim_connections (workspace_id, provider, token_hash, previous_token_hash)
           SELECT id, 'okta', md5(random()::text), md5(random()::text) FROM w),
         u AS (
           INSERT INTO users (email) SELECT 'plans-' || i || '@plans.test'
             FROM generate_series(1, 20000) i RETURNING id),
         m AS (
           INSERT INTO memberships (workspace_id, user_id, role, status, source)
           SELECT (SELECT id FROM w LIMIT 1), id, 'member', 'active', 'manual' FROM u
           RETURNING workspace_id, user_id)
         INSERT INTO sessions (token_hash, workspace_id, user_id, method)
         SELECT md5(random()::text), workspace_id, user_id, 'password' FROM m`,
      );
      await a.dataSource.query(
        'ANALYZE workspaces, scim_connections, users, memberships, sessions',
      );
    }

    it('reads every prepared statement through indexes, with the plan PostgreSQL keeps', async () => {
      await seedSessionsAndConnections();
      // The declared ones, and the SCIM list pages the tests above named (statementFor).
      const statements = [...declaredStatements(), ...builtStatements()];
      expect(statements.map((s) => s.name)).toEqual(
        expect.arrayContaining(['gatehouse_session_by_token', 'gatehouse_scim_workspace_by_token']),
      );
      expect(builtStatements().map((s) => s.text)).toEqual(
        expect.arrayContaining([expect.stringContaining('user_name_key')]),
      );
      const runner = a.dataSource.createQueryRunner();
      try {
        // After five runs PostgreSQL may keep one generic plan, made without the values: this
        // is that plan.
        await runner.query('SET plan_cache_mode = force_generic_plan');
        for (const { name, text } of statements) {
          const parameters = Math.max(...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
          await runner.query(`PREPARE plan_check AS ${text}`);
          const [row] = (await runner.query(
            `EXPLAIN (FORMAT JSON) EXECUTE plan_check(${Array(parameters).fill('NULL').join(', ')})`,
          )) as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
          await runner.query('DEALLOCATE plan_check');
          const plan = nodes(row!['QUERY PLAN'][0]!.Plan);
          const scanned = plan
            .filter((n) => n['Node Type'] === 'Seq Scan')
            .map((n) => n['Relation Name']);
          expect({ name, scanned }).toEqual({ name, scanned: [] });
          expect(plan.filter((n) => n['Index Name'])).not.toEqual([]);
        }
      } finally {
        await runner.query('RESET plan_cache_mode');
        await runner.release();
      }
    });
  });
});
