import { Readable } from 'node:stream';
import type { OutputStream } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/program.js';
import { tokenDigest } from '../../src/common/secret-tokens.js';
import { ConfigError, loadConfig } from '../../src/config/configuration.js';
import { WebhookService } from '../../src/webhooks/webhook.service.js';
import { addMember, createWorkspace, signIn } from '../support/fixtures.js';
import { scimWorkspace, type ScimWorkspace } from '../support/scim-fixtures.js';
import { INTERNAL_TOKEN, startTestApp, type TestApp } from '../support/test-app.js';
import { signatureIsValid, WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Rotating SECRET_KEY and INTERNAL_API_TOKEN on one database, as docs/operations.md tells it:
 * instances with SECRET_KEY=new and SECRET_KEY_PREVIOUS=old keep every session, SCIM token and
 * sealed secret made under the old key; `secrets:reseal` moves the sealed ones to the new key;
 * without the previous key, what only the old key made is refused.
 */
const KEY_A = 'rotation-test-key-a-0123456789abcdefghijklmnop';
const KEY_B = 'rotation-test-key-b-0123456789abcdefghijklmnop';
const KEY_X = 'rotation-test-key-x-0123456789abcdefghijklmnop';
const NEW_INTERNAL_TOKEN = 'rotation-test-new-internal-token-0123456789abcdef';

// Deliveries are made by the instance that commits the event (at once); the others never poll.
const WEBHOOK_ENV = { WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_POLL_INTERVAL_MS: '3600000' };

class Captured implements OutputStream {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

function sessionToken(cookie: string): string {
  const token = /gatehouse_session=([^;]+)/.exec(cookie)?.[1];
  if (!token) throw new Error(`no session cookie in ${cookie}`);
  return token;
}

describe('secret rotation', () => {
  let a: TestApp;
  const others: TestApp[] = [];
  let hooks: WebhookReceiver;
  let ws: { id: string; slug: string; adminEmail: string };
  let cookieUnderA: string;
  let scim: ScimWorkspace;
  /** A SCIM connection whose token is never used while the old key is a previous one. */
  let idleScim: ScimWorkspace;
  let endpoint: { id: string; secret: string };

  /** Another instance on a's database. */
  async function instance(env: Record<string, string>): Promise<TestApp> {
    const started = await startTestApp({ ...WEBHOOK_ENV, ...env }, { sameDatabaseAs: a });
    others.push(started);
    return started;
  }

  async function reseal(env: Record<string, string>) {
    const stdout = new Captured();
    const stderr = new Captured();
    const code = await runCli(['secrets:reseal', '--json'], {
      stdout,
      stderr,
      stdin: Readable.from([]),
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: a.config.database.url,
        INTERNAL_API_TOKEN: INTERNAL_TOKEN,
        ...env,
      },
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  /** The login of the SCIM workspace's SAML provider: 302 only if its SP key opens. */
  async function samlLogin(t: TestApp): Promise<number> {
    const [row] = await a.dataSource.query<{ token: string }[]>(
      `SELECT provider_token AS token FROM saml_providers WHERE workspace_id = $1`,
      [scim.id],
    );
    return (await t.http.get(`/auth/saml/${row!.token}/login`)).status;
  }

  async function sealedWebhookSecret(): Promise<string> {
    const [row] = await a.dataSource.query<{ secret_sealed: string }[]>(
      `SELECT secret_sealed FROM webhook_endpoints WHERE id = $1`,
      [endpoint.id],
    );
    return row!.secret_sealed;
  }

  beforeAll(async () => {
    a = await startTestApp({ ...WEBHOOK_ENV, SECRET_KEY: KEY_A });
    hooks = await WebhookReceiver.start();
    // Under key A: a session, a SCIM token, a webhook's sealed secret, a SAML provider's key.
    ws = await createWorkspace(a);
    cookieUnderA = await signIn(a, ws.slug, ws.adminEmail);
    scim = await scimWorkspace(a);
    idleScim = await scimWorkspace(a);
    // The provider signs its AuthnRequests: its login opens the sealed SP private key.
    await a.dataSource.query(
      `UPDATE saml_providers SET sign_authn_requests = true WHERE workspace_id = $1`,
      [scim.id],
    );
    const created = await a.http
      .post(`/api/workspaces/${ws.id}/webhooks`)
      .set('Authorization', a.internal)
      .send({ url: hooks.url, events: ['member.created'] });
    if (created.status !== 201)
      throw new Error(`create webhook: ${created.status} ${created.text}`);
    endpoint = created.body as { id: string; secret: string };
  }, 120_000);

  afterAll(async () => {
    for (const other of others) await other.close();
    await hooks?.close();
    await a?.close();
  }, 120_000);

  describe('SECRET_KEY=new with SECRET_KEY_PREVIOUS=old', () => {
    let b: TestApp;

    beforeAll(async () => {
      b = await instance({
        SECRET_KEY: KEY_B,
        SECRET_KEY_PREVIOUS: KEY_A,
        INTERNAL_API_TOKEN: NEW_INTERNAL_TOKEN,
        INTERNAL_API_TOKEN_PREVIOUS: INTERNAL_TOKEN,
      });
    }, 120_000);

    it('keeps a session made under the old key', async () => {
      const res = await b.http.get('/auth/session').set('Cookie', cookieUnderA).expect(200);
      expect(res.body).toMatchObject({ workspace: { slug: ws.slug }, role: 'admin' });
    });

    it('keeps a SCIM token digested under the old key, and stores its digest under the new key', async () => {
      const stored = async () => {
        const [row] = await a.dataSource.query<{ token_hash: string }[]>(
          `SELECT token_hash FROM scim_connections WHERE workspace_id = $1`,
          [scim.id],
        );
        return row!.token_hash;
      };
      expect(await stored()).toBe(tokenDigest(KEY_A, scim.token));
      await b.http.get('/scim/v2/Users').set('Authorization', scim.auth).expect(200);
      expect(await stored()).toBe(tokenDigest(KEY_B, scim.token));
      await b.http.get('/scim/v2/Users').set('Authorization', scim.auth).expect(200);
    });

    it('opens a webhook secret sealed under the old key: the delivery it signs verifies', async () => {
      await addMember(b, ws.slug, `ada@${ws.slug}.example.com`);
      const [webhook] = await hooks.waitFor(1);
      expect(webhook!.headers['gatehouse-event-type']).toBe('member.created');
      expect(signatureIsValid(endpoint.secret, webhook!)).toBe(true);
    });

    it('opens a SAML provider key sealed under the old key: its signed login redirects', async () => {
      expect(await samlLogin(b)).toBe(302);
    });

    it('digests a new session under the new key only; step 1 instances accept it', async () => {
      const cookie = await signIn(b, ws.slug, ws.adminEmail);
      const token = sessionToken(cookie);
      const count = async (key: string) => {
        const [row] = await a.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM sessions WHERE token_hash = $1`,
          [tokenDigest(key, token)],
        );
        return row!.n;
      };
      expect(await count(KEY_B)).toBe(1);
      expect(await count(KEY_A)).toBe(0);
      await b.http.get('/auth/session').set('Cookie', cookie).expect(200);
      // Why the rollout adds the new key as a previous one first: an instance that knows only
      // the old key does not recognise it; one at step 1 (old key, new key as previous) does,
      // and still makes its own sessions under the old key.
      await a.http.get('/auth/session').set('Cookie', cookie).expect(401);
      const step1 = await instance({ SECRET_KEY: KEY_A, SECRET_KEY_PREVIOUS: KEY_B });
      await step1.http.get('/auth/session').set('Cookie', cookie).expect(200);
      await step1.http.get('/auth/session').set('Cookie', cookieUnderA).expect(200);
      const madeAtStep1 = sessionToken(await signIn(step1, ws.slug, ws.adminEmail));
      const [row] = await a.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM sessions WHERE token_hash = $1`,
        [tokenDigest(KEY_A, madeAtStep1)],
      );
      expect(row!.n).toBe(1);
    });

    it('accepts the new and the previous internal token, and nothing else', async () => {
      for (const token of [NEW_INTERNAL_TOKEN, INTERNAL_TOKEN]) {
        await b.http.get('/api/workspaces').set('Authorization', `Bearer ${token}`).expect(200);
      }
      const refused = await b.http
        .get('/api/workspaces')
        .set('Authorization', `Bearer ${NEW_INTERNAL_TOKEN}x`)
        .expect(401);
      expect(refused.body.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('SECRET_KEY=new without the previous key', () => {
    let c: TestApp;

    beforeAll(async () => {
      c = await instance({ SECRET_KEY: KEY_B, INTERNAL_API_TOKEN: NEW_INTERNAL_TOKEN });
    }, 120_000);

    it('refuses the session and a SCIM token still digested under the old key', async () => {
      await c.http.get('/auth/session').set('Cookie', cookieUnderA).expect(401);
      const res = await c.http
        .get('/scim/v2/Users')
        .set('Authorization', idleScim.auth)
        .expect(401);
      expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    });

    it('accepts a SCIM token used while the old key was a previous one', async () => {
      await c.http.get('/scim/v2/Users').set('Authorization', scim.auth).expect(200);
    });

    it('refuses the old internal token and accepts the new one', async () => {
      await c.http.get('/api/workspaces').set('Authorization', a.internal).expect(401);
      await c.http
        .get('/api/workspaces')
        .set('Authorization', `Bearer ${NEW_INTERNAL_TOKEN}`)
        .expect(200);
    });

    it('cannot open a secret sealed under the old key until secrets:reseal ran', async () => {
      const webhooks = c.app.get(WebhookService);
      expect(webhooks.openSecret(await sealedWebhookSecret())).toBeNull();

      const first = await reseal({ SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_A });
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      const counts = (JSON.parse(first.stdout) as { counts: Record<string, unknown>[] }).counts;
      expect(counts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ table: 'webhook_endpoints', resealed: 1, unreadable: 0 }),
          expect.objectContaining({ table: 'saml_providers', resealed: 2, unreadable: 0 }),
        ]),
      );
      expect(counts.every((count) => count.unreadable === 0)).toBe(true);

      expect(webhooks.openSecret(await sealedWebhookSecret())).toBe(endpoint.secret);

      // Idempotent: a second run finds everything under the new key, with or without the old.
      for (const env of [
        { SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_A },
        { SECRET_KEY: KEY_B },
      ] as Record<string, string>[]) {
        const again = await reseal(env);
        expect(again.code).toBe(0);
        const result = JSON.parse(again.stdout) as { counts: { resealed: number }[] };
        expect(result.counts.every((count) => count.resealed === 0)).toBe(true);
      }
    });

    it('signs the SAML provider’s login with its resealed key', async () => {
      expect(await samlLogin(c)).toBe(302);
    });

    it('secrets:reseal under a key that opens nothing changes nothing and exits 1', async () => {
      const before = await sealedWebhookSecret();
      const result = await reseal({ SECRET_KEY: KEY_X });
      expect(result.code).toBe(1);
      const error = (JSON.parse(result.stderr) as { error: Record<string, unknown> }).error;
      expect(error.code).toBe('SEALED_SECRETS_UNREADABLE');
      expect(String(error.message)).toContain('webhook_endpoints.secret_sealed');
      expect(await sealedWebhookSecret()).toBe(before);
    });
  });

  describe('configuration refusals', () => {
    it.each([
      [
        'a previous key equal to SECRET_KEY',
        { SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_B },
        'SECRET_KEY_PREVIOUS: value 1 equals SECRET_KEY',
      ],
      [
        'a previous key shorter than 32 characters',
        { SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: `${KEY_A},short` },
        'SECRET_KEY_PREVIOUS: value 2 of 2 must be at least 32 characters',
      ],
      [
        'a previous key listed twice',
        { SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: `${KEY_A},${KEY_A}` },
        'SECRET_KEY_PREVIOUS: value 2 is repeated',
      ],
      [
        'a previous internal token equal to INTERNAL_API_TOKEN',
        { INTERNAL_API_TOKEN: NEW_INTERNAL_TOKEN, INTERNAL_API_TOKEN_PREVIOUS: NEW_INTERNAL_TOKEN },
        'INTERNAL_API_TOKEN_PREVIOUS: value 1 equals INTERNAL_API_TOKEN',
      ],
      [
        'a previous internal token shorter than 32 characters',
        { INTERNAL_API_TOKEN_PREVIOUS: 'too-short' },
        'INTERNAL_API_TOKEN_PREVIOUS: value 1 of 1 must be at least 32 characters',
      ],
    ])('refuses to start with %s', async (_case, env, message) => {
      const started = startTestApp(env, { sameDatabaseAs: a });
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(message);
    });

    it('names the position of a short value, never the value', () => {
      expect(() => loadConfig({ SECRET_KEY_PREVIOUS: `${KEY_A},short-secret` })).toThrow(
        'SECRET_KEY_PREVIOUS: value 2 of 2 must be at least 32 characters',
      );
      let message = '';
      try {
        loadConfig({ SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_B });
      } catch (error) {
        message = String(error);
      }
      expect(message).toContain('SECRET_KEY_PREVIOUS: value 1 equals SECRET_KEY');
      expect(message).not.toContain(KEY_B);
    });

    it('refuses a placeholder previous value in production, and one without a new token', () => {
      const production = {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db.example.internal/gatehouse',
        SMTP_URL: 'smtp://mail.internal',
        SECRET_KEY: KEY_B,
        INTERNAL_API_TOKEN: NEW_INTERNAL_TOKEN,
      };
      expect(() =>
        loadConfig({
          ...production,
          SECRET_KEY_PREVIOUS: 'change-me-change-me-change-me-change-me',
        }),
      ).toThrow('SECRET_KEY_PREVIOUS: value 1 looks like a placeholder');
      expect(() =>
        loadConfig({
          ...production,
          INTERNAL_API_TOKEN_PREVIOUS: 'your-internal-api-token-placeholder-here',
        }),
      ).toThrow('INTERNAL_API_TOKEN_PREVIOUS: value 1 looks like a placeholder');
      expect(() => loadConfig({ INTERNAL_API_TOKEN_PREVIOUS: INTERNAL_TOKEN })).toThrow(
        'INTERNAL_API_TOKEN_PREVIOUS: needs INTERNAL_API_TOKEN set',
      );
      expect(
        loadConfig({ ...production, SECRET_KEY_PREVIOUS: `${KEY_A}, ${KEY_X}` }),
      ).toMatchObject({ secretKey: KEY_B, previousSecretKeys: [KEY_A, KEY_X] });
    });
  });
});
