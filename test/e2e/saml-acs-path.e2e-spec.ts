import type pg from 'pg';
import { SamlReplayCache } from '../../src/auth/saml/saml-replay-cache.js';
import { addMember, createWorkspace } from '../support/fixtures.js';
import {
  createProvider,
  idpKeys,
  postToAcs,
  type ProviderFixture,
  responseFor,
} from '../support/saml-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Statement {
  sql: string;
  /** Set when the statement ran as a named prepared statement. */
  name?: string;
}

/**
 * What the ACS does per request and what it keeps between requests: the statements of one
 * sign-in, the node-saml instance cached per provider (and never stale after an edit, on any
 * instance), and the replay cache pruned off the request path.
 */
describe('SAML ACS path', () => {
  let a: TestApp;
  let b: TestApp;
  // The mail loop polls the database; an hour between polls keeps it out of the count.
  const env = { MAIL_POLL_INTERVAL_MS: '3600000' };
  beforeAll(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env, { sameDatabaseAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function memberAndProvider(): Promise<{
    id: string;
    slug: string;
    provider: ProviderFixture;
  }> {
    const keys = await idpKeys();
    const ws = await createWorkspace(a);
    await addMember(a, ws.slug, 'ada@acme.test');
    const provider = await createProvider(a, ws.slug, { key: keys[0]! });
    return { id: ws.id, slug: ws.slug, provider };
  }

  function editProvider(slug: string, provider: ProviderFixture, changes: object) {
    return a.http
      .patch(`/api/workspaces/${slug}/saml-providers/${provider.id}`)
      .set('Authorization', a.internal)
      .send(changes)
      .expect(200);
  }

  /** The SQL statements sent to PostgreSQL while `run` runs (this process, both apps). */
  async function statementsOf(run: () => Promise<unknown>): Promise<Statement[]> {
    const statements: Statement[] = [];
    // The pg library TypeORM loaded; the throttle's store uses its pool directly.
    const { Client } = (a.dataSource.driver as unknown as { postgres: typeof pg }).postgres;
    const query = Client.prototype.query;
    Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [config] = args as [string | { text: string; name?: string }];
      const sql = (typeof config === 'string' ? config : config.text).replace(/\s+/g, ' ').trim();
      statements.push({ sql, name: typeof config === 'string' ? undefined : config.name });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      await run();
    } finally {
      Client.prototype.query = query;
    }
    return statements;
  }

  describe('successful', () => {
    it('signs an existing member in with eight statements, deleting nothing on the way', async () => {
      const { provider } = await memberAndProvider();
      const xml = await responseFor(provider, 'ada@acme.test');
      let status = 0;
      const statements = await statementsOf(async () => {
        status = (await postToAcs(b, provider, xml)).status;
      });
      expect(status).toBe(302);
      // Throttle take, provider and workspace, replay cache, then one transaction (4): the session
      // inserted for the active member it finds, its audit event; throttle refund.
      expect(statements).toHaveLength(8);
      expect(statements.filter(({ sql }) => /^DELETE/i.test(sql))).toEqual([]);
      // The provider and its workspace: one statement, prepared once per connection.
      expect(
        statements.filter(({ sql }) => /saml_providers|workspaces/.test(sql)).map((s) => s.name),
      ).toEqual(['gatehouse_saml_provider_for_sign_in']);
    });

    it('rebuilds the cached validator when the provider changes, on every instance', async () => {
      const keys = await idpKeys();
      const { slug, provider } = await memberAndProvider();
      // Instance b validates (and keeps its node-saml instance) with key 0.
      expect(
        (await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'))).status,
      ).toBe(302);
      await editProvider(slug, provider, { idpCertificates: [keys[1]!.certificatePem] });
      const newKey = await postToAcs(
        b,
        provider,
        await responseFor(provider, 'ada@acme.test', { key: keys[1]! }),
      );
      expect(newKey.status).toBe(302);
    });

    it('takes over the replay entry of an assertion ID whose entry has expired', async () => {
      const { provider } = await memberAndProvider();
      await a.dataSource.query(
        `INSERT INTO saml_replay_cache (provider_id, assertion_id, expires_at)
         VALUES ($1, '_reused', now() - interval '1 second')`,
        [provider.id],
      );
      const xml = await responseFor(provider, 'ada@acme.test', { assertionId: '_reused' });
      expect((await postToAcs(b, provider, xml)).status).toBe(302);
      const [row] = await a.dataSource.query(
        `SELECT expires_at > now() AS live FROM saml_replay_cache
          WHERE provider_id = $1 AND assertion_id = '_reused'`,
        [provider.id],
      );
      expect(row).toEqual({ live: true });
    });

    it('prunes expired replay entries and stale AuthnRequests in batches, keeping live ones', async () => {
      const { provider } = await memberAndProvider();
      await a.dataSource.query(
        `INSERT INTO saml_replay_cache (provider_id, assertion_id, expires_at)
         SELECT $1::uuid, '_old' || i, now() - interval '1 minute' FROM generate_series(1, 12000) i
         UNION ALL SELECT $1::uuid, '_live', now() + interval '5 minutes'`,
        [provider.id],
      );
      const ttl = a.config.saml.requestTtlSeconds;
      await a.dataSource.query(
        `INSERT INTO saml_requests (provider_id, request_id, created_at) VALUES
           ($1, '_stale', now() - make_interval(secs => $2 * 2 + 1)),
           ($1, '_recent', now() - make_interval(secs => $2))`,
        [provider.id, ttl],
      );
      const pruned = await a.app.get(SamlReplayCache).prune();
      // Other tests of this file may leave expired rows too: at least ours went.
      expect(pruned.replays).toBeGreaterThanOrEqual(12000);
      expect(pruned.requests).toBeGreaterThanOrEqual(1);
      const replays = await a.dataSource.query(
        `SELECT assertion_id FROM saml_replay_cache WHERE provider_id = $1`,
        [provider.id],
      );
      expect(replays).toEqual([{ assertion_id: '_live' }]);
      const requests = await a.dataSource.query(
        `SELECT request_id FROM saml_requests WHERE provider_id = $1`,
        [provider.id],
      );
      expect(requests).toEqual([{ request_id: '_recent' }]);
    });
  });

  describe('failing', () => {
    it('refuses a certificate removed on another instance at once', async () => {
      const keys = await idpKeys();
      const { slug, provider } = await memberAndProvider();
      expect(
        (await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'))).status,
      ).toBe(302);
      await editProvider(slug, provider, { idpCertificates: [keys[1]!.certificatePem] });
      const oldKey = await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'));
      expect([oldKey.status, oldKey.body.code]).toEqual([400, 'SAML_SIGNATURE_INVALID']);
    });

    it('refuses IdP-initiated responses at once after another instance disallows them', async () => {
      const { slug, provider } = await memberAndProvider();
      expect(
        (await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'))).status,
      ).toBe(302);
      await editProvider(slug, provider, { allowIdpInitiated: false });
      const res = await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'));
      expect([res.status, res.body.code]).toEqual([400, 'SAML_IDP_INITIATED_NOT_ALLOWED']);
    });

    it('refuses a provider disabled on another instance at once', async () => {
      const { slug, provider } = await memberAndProvider();
      expect(
        (await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'))).status,
      ).toBe(302);
      await editProvider(slug, provider, { enabled: false });
      const res = await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'));
      expect([res.status, res.body.code]).toEqual([403, 'SAML_PROVIDER_DISABLED']);
    });

    it('writes no session for a deactivated member (the one-statement insert finds nobody)', async () => {
      const { id, slug, provider } = await memberAndProvider();
      const members = await a.http
        .get(`/api/workspaces/${slug}/members?email=ada@acme.test`)
        .set('Authorization', a.internal);
      const userId = members.body.items[0].userId as string;
      await a.http
        .patch(`/api/workspaces/${slug}/members/${userId}`)
        .set('Authorization', a.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      const res = await postToAcs(b, provider, await responseFor(provider, 'ada@acme.test'));
      expect([res.status, res.body.code]).toEqual([403, 'MEMBERSHIP_DEACTIVATED']);
      const [row] = await a.dataSource.query(
        `SELECT count(*)::int AS sessions FROM sessions WHERE workspace_id = $1 AND user_id = $2`,
        [id, userId],
      );
      expect(row).toEqual({ sessions: 0 });
    });

    it('refuses an assertion ID whose replay entry is still live', async () => {
      const { provider } = await memberAndProvider();
      await a.dataSource.query(
        `INSERT INTO saml_replay_cache (provider_id, assertion_id, expires_at)
         VALUES ($1, '_taken', now() + interval '5 minutes')`,
        [provider.id],
      );
      const xml = await responseFor(provider, 'ada@acme.test', { assertionId: '_taken' });
      const res = await postToAcs(b, provider, xml);
      expect([res.status, res.body.code]).toEqual([400, 'SAML_REPLAYED']);
    });

    it('refuses the second of two concurrent presentations of one assertion', async () => {
      const { provider } = await memberAndProvider();
      const xml = await responseFor(provider, 'ada@acme.test');
      const statuses = await Promise.all([
        postToAcs(a, provider, xml),
        postToAcs(b, provider, xml),
      ]);
      expect(statuses.map((res) => res.status).sort()).toEqual([302, 400]);
    });
  });
});
