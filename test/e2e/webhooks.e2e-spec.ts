import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { claimDue } from '../../src/outbox/outbox-claim.js';
import { WebhookDeliveryService } from '../../src/webhooks/webhook-delivery.service.js';
import { type ClaimedDelivery, WebhookRepository } from '../../src/webhooks/webhook.repository.js';
import { AuditService } from '../../src/workspace/audit.service.js';
import { Workspace } from '../../src/workspace/entities/workspace.entity.js';
import { MemberService } from '../../src/workspace/member.service.js';
import {
  addMember,
  signIn,
  workspaceWithSignedInAdmin,
  type WorkspaceFixture,
} from '../support/fixtures.js';
import {
  INTERNAL_TOKEN,
  startServerProcess,
  type RunningServer,
} from '../support/server-process.js';
import { GROUP_SCHEMA, oktaUser, scimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { cloneTestDatabase, usingEmbeddedDatabase } from '../support/test-database.js';
import { signatureIsValid, WebhookReceiver } from '../support/webhook-receiver.js';

const RETRY_BASE_MS = 300;
const MAX_ATTEMPTS = 3;
const WEBHOOK_ENV = {
  WEBHOOK_ALLOW_LOOPBACK: 'true',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
  WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  WEBHOOK_TIMEOUT_MS: '3000',
};

interface CreatedEndpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  secret: string;
}

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

describe('webhooks', () => {
  let t: TestApp;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    t = await startTestApp(WEBHOOK_ENV);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start();
    receivers.push(started);
    return started;
  }

  async function createEndpoint(
    ws: { id: string },
    body: Record<string, unknown>,
  ): Promise<CreatedEndpoint> {
    const res = await t.http
      .post(`/api/workspaces/${ws.id}/webhooks`)
      .set('Authorization', t.internal)
      .send(body);
    if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${res.text}`);
    return res.body as CreatedEndpoint;
  }

  function deliveries(ws: { id: string }, endpointId: string) {
    return t.http
      .get(`/api/workspaces/${ws.id}/webhooks/${endpointId}/deliveries`)
      .set('Authorization', t.internal);
  }

  describe('delivery', () => {
    it('POSTs member.created signed with the secret the creation answered, its id the audit event id', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['*'] });
      expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

      const userId = await addMember(t, ws.slug, `ada@${ws.slug}.example.com`);
      const [webhook] = await hooks.waitFor(1);

      expect(signatureIsValid(endpoint.secret, webhook!)).toBe(true);
      expect(signatureIsValid(`${endpoint.secret}x`, webhook!)).toBe(false);
      expect(webhook!.headers['content-type']).toBe('application/json');
      expect(webhook!.headers['gatehouse-event-type']).toBe('member.created');
      expect(webhook!.headers['gatehouse-event-id']).toBe(webhook!.json.id);
      expect(webhook!.headers['gatehouse-signature']).toContain(
        `t=${String(webhook!.headers['gatehouse-timestamp'])},`,
      );
      expect(webhook!.json).toMatchObject({
        type: 'member.created',
        workspaceId: ws.id,
        actor: { channel: 'internal', type: 'internal' },
        target: { type: 'user', id: userId },
        data: { action: 'member.added', after: { email: `ada@${ws.slug}.example.com` } },
      });
      const audit = await t.http
        .get(`/api/workspaces/${ws.id}/audit-events?action=member.added&targetId=${userId}`)
        .set('Authorization', t.internal);
      expect(audit.body.items[0].id).toBe(webhook!.json.id);

      const log = await until(
        () => deliveries(ws, endpoint.id),
        (res) => res.body.items[0]?.status === 'delivered',
      );
      expect(log.body.items[0]).toMatchObject({
        eventId: webhook!.json.id,
        eventType: 'member.created',
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
      });
      expect(typeof log.body.items[0].lastDurationMs).toBe('number');
    });

    it('sends an endpoint only the events it subscribed to', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const groupsOnly = await receiver();
      await createEndpoint(ws, { url: groupsOnly.url, events: ['group.created'] });

      await addMember(t, ws.slug, `bob@${ws.slug}.example.com`);
      const group = await t.http
        .post(`/api/workspaces/${ws.id}/groups`)
        .set('Authorization', t.internal)
        .send({ displayName: 'Engineering' });
      expect(group.status).toBe(201);

      const [webhook] = await groupsOnly.waitFor(1);
      expect(webhook!.json).toMatchObject({ type: 'group.created', target: { id: group.body.id } });
      await sleep(500);
      expect(groupsOnly.received.map((w) => w.json.type)).toEqual(['group.created']);
    });

    it('sends member.role_changed for a role change and member.deactivated for a deactivation', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const userId = await addMember(t, ws.slug, `cy@${ws.slug}.example.com`);
      const hooks = await receiver();
      await createEndpoint(ws, {
        url: hooks.url,
        events: ['member.role_changed', 'member.deactivated'],
      });

      const member = `/api/workspaces/${ws.id}/members/${userId}`;
      await t.http
        .patch(member)
        .set('Authorization', t.internal)
        .send({ role: 'admin' })
        .expect(200);
      await t.http
        .patch(member)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);

      const received = await hooks.waitFor(2);
      // Deliveries due together are sent in parallel: in any order.
      expect(received.map((w) => w.json.type).sort()).toEqual([
        'member.deactivated',
        'member.role_changed',
      ]);
      const roleChanged = received.find((w) => w.json.type === 'member.role_changed');
      expect(roleChanged!.json.data).toMatchObject({
        before: { role: 'member' },
        after: { role: 'admin' },
      });
    });

    it('sends nothing for a change whose transaction rolled back', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['member.created'] });
      const workspace = await t.dataSource.getRepository(Workspace).findOneByOrFail({ id: ws.id });

      await expect(
        t.dataSource.transaction(async (tx) => {
          await t.app.get(MemberService).addInTransaction(tx, workspace, {
            email: `rolled-back@${ws.slug}.example.com`,
            role: 'member',
            source: 'manual',
            actor: { channel: 'internal', type: 'internal', label: 'test' },
          });
          throw new Error('something after the change failed');
        }),
      ).rejects.toThrow('something after the change failed');
      // A change that commits afterwards is delivered, alone.
      await addMember(t, ws.slug, `committed@${ws.slug}.example.com`);

      const [webhook] = await hooks.waitFor(1);
      expect(webhook!.json.data.after).toMatchObject({ email: `committed@${ws.slug}.example.com` });
      await sleep(500);
      expect(hooks.received).toHaveLength(1);
      expect((await deliveries(ws, endpoint.id)).body.total).toBe(1);
    });

    it('retries an endpoint answering 500 with exponential back-off, then delivers the same event', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      hooks.answer = (index) => (index < 2 ? 500 : 204);
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['member.created'] });

      await addMember(t, ws.slug, `dee@${ws.slug}.example.com`);
      const received = await hooks.waitFor(3);

      expect(new Set(received.map((w) => w.json.id)).size).toBe(1);
      expect(received.map((w) => w.headers['gatehouse-delivery-attempt'])).toEqual(['1', '2', '3']);
      expect(received.every((w) => signatureIsValid(endpoint.secret, w))).toBe(true);
      // 300 ms, then 600 ms (less a little for clock granularity).
      expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(RETRY_BASE_MS - 50);
      expect(received[2]!.at - received[1]!.at).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS - 50);
      const log = await until(
        () => deliveries(ws, endpoint.id),
        (res) => res.body.items[0]?.status === 'delivered',
      );
      expect(log.body.items[0]).toMatchObject({ attempts: 3, lastStatusCode: 204 });
    });

    it('gives up after the last attempt and says so in the delivery log', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      hooks.answer = () => ({ status: 503, body: 'x'.repeat(5000) });
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['member.created'] });

      await addMember(t, ws.slug, `eve@${ws.slug}.example.com`);
      await hooks.waitFor(MAX_ATTEMPTS);
      const log = await until(
        () => deliveries(ws, endpoint.id),
        (res) => res.body.items[0]?.status === 'failed',
      );
      expect(log.body.items[0]).toMatchObject({
        status: 'failed',
        attempts: MAX_ATTEMPTS,
        lastStatusCode: 503,
        nextAttemptAt: null,
      });
      // Only a short excerpt of the answer is kept.
      expect(log.body.items[0].responseExcerpt.length).toBeLessThanOrEqual(512);
      await sleep(4 * RETRY_BASE_MS);
      expect(hooks.received).toHaveLength(MAX_ATTEMPTS);
      const failed = await deliveries(ws, endpoint.id).query({ status: 'failed' });
      expect(failed.body.total).toBe(1);
    });

    it('records a refused or unreachable target as a failed attempt, without following redirects', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      hooks.answer = () => ({ status: 302, body: '' });
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['member.created'] });

      await addMember(t, ws.slug, `fay@${ws.slug}.example.com`);
      await hooks.waitFor(1);
      const log = await until(
        () => deliveries(ws, endpoint.id),
        (res) => res.body.items[0]?.lastStatusCode === 302,
      );
      expect(log.body.items[0].status).not.toBe('delivered');
    });

    it('sends a disabled endpoint nothing, and nothing waits for it', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const enabled = await receiver();
      const disabled = await receiver();
      await createEndpoint(ws, { url: enabled.url, events: ['*'] });
      const off = await createEndpoint(ws, { url: disabled.url, events: ['*'] });
      await t.http
        .patch(`/api/workspaces/${ws.id}/webhooks/${off.id}`)
        .set('Authorization', t.internal)
        .send({ enabled: false })
        .expect(200);

      await addMember(t, ws.slug, `gus@${ws.slug}.example.com`);
      await enabled.waitFor(1);
      await sleep(500);
      expect(disabled.received).toHaveLength(0);
      expect((await deliveries(ws, off.id)).body.total).toBe(0);
    });

    it('sends what SCIM provisions and the SCIM connection events', async () => {
      const ws = await scimWorkspace(t);
      const hooks = await receiver();
      await createEndpoint(ws, { url: hooks.url, events: ['*'] });

      const user = await t.http
        .post('/scim/v2/Users')
        .set('Authorization', ws.auth)
        .send(oktaUser(`scim-ada@${ws.slug}.example.com`))
        .expect(201);
      await t.http
        .post('/scim/v2/Groups')
        .set('Authorization', ws.auth)
        .send({
          schemas: [GROUP_SCHEMA],
          displayName: 'Pushed',
          members: [{ value: user.body.id }],
        })
        .expect(201);
      await t.http
        .post(`/api/workspaces/${ws.id}/scim/token`)
        .set('Authorization', t.internal)
        .expect(201);

      const received = await hooks.waitFor(4);
      // Deliveries due together are sent in parallel: in any order.
      expect(received.map((w) => w.json.type).sort()).toEqual([
        'group.created',
        'group.members_changed',
        'member.created',
        'scim.connection_rotated',
      ]);
      const created = received.find((w) => w.json.type === 'member.created');
      expect(created!.json.actor).toMatchObject({ channel: 'scim' });
    });

    it('sends sign_in.failed, recorded outside any transaction, without the client address', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      await createEndpoint(ws, { url: hooks.url, events: ['sign_in.failed'] });

      await t.app.get(AuditService).record(
        t.dataSource.manager,
        ws.id,
        { channel: 'saml', type: 'idp', id: 'provider-1', label: 'Okta', ipAddress: '203.0.113.9' },
        {
          action: 'auth.sign_in_failed',
          targetType: 'saml_provider',
          targetId: 'provider-1',
          details: { method: 'saml', reason: 'SAML_RESPONSE_INVALID' },
        },
      );

      const [webhook] = await hooks.waitFor(1);
      expect(webhook!.json).toMatchObject({
        type: 'sign_in.failed',
        actor: { channel: 'saml', type: 'idp', label: 'Okta' },
        data: { details: { reason: 'SAML_RESPONSE_INVALID' } },
      });
      expect(webhook!.body).not.toContain('203.0.113.9');
    });

    it('signs with the new secret after a rotation, never the old one', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['member.created'] });
      const rotated = await t.http
        .post(`/api/workspaces/${ws.id}/webhooks/${endpoint.id}/secret`)
        .set('Authorization', t.internal)
        .expect(201);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(endpoint.secret);

      await addMember(t, ws.slug, `hal@${ws.slug}.example.com`);
      const [webhook] = await hooks.waitFor(1);
      expect(signatureIsValid(rotated.body.secret as string, webhook!)).toBe(true);
      expect(signatureIsValid(endpoint.secret, webhook!)).toBe(false);
    });
  });

  describe('the admin API', () => {
    let ws: WorkspaceFixture;
    let hooks: WebhookReceiver;

    beforeAll(async () => {
      ws = await workspaceWithSignedInAdmin(t);
      hooks = await receiver();
    });

    const list = () =>
      t.http.get(`/api/workspaces/${ws.id}/webhooks`).set('Authorization', t.internal);

    it('lets a signed-in admin create, read, update and delete an endpoint', async () => {
      const base = `/api/workspaces/${ws.slug}/webhooks`;
      const created = await t.http
        .post(base)
        .set('Cookie', ws.adminCookie)
        .set('Origin', 'http://gatehouse.test')
        .send({ url: hooks.url, events: ['group.created'], description: 'HR' })
        .expect(201);
      const id = created.body.id as string;
      await t.http.get(`${base}/${id}`).set('Cookie', ws.adminCookie).expect(200);
      const updated = await t.http
        .patch(`${base}/${id}`)
        .set('Cookie', ws.adminCookie)
        .set('Origin', 'http://gatehouse.test')
        .send({ events: ['group.created', 'group.deleted'], description: null })
        .expect(200);
      expect(updated.body).toMatchObject({
        events: ['group.created', 'group.deleted'],
        description: null,
      });
      await t.http
        .delete(`${base}/${id}`)
        .set('Cookie', ws.adminCookie)
        .set('Origin', 'http://gatehouse.test')
        .expect(204);
      await t.http.get(`${base}/${id}`).set('Cookie', ws.adminCookie).expect(404);
      const audit = await t.http
        .get(`/api/workspaces/${ws.id}/audit-events?targetId=${id}`)
        .set('Authorization', t.internal);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
        'webhook.deleted',
        'webhook.updated',
        'webhook.created',
      ]);
    });

    it('never answers the secret again after creation, nor stores it in the clear', async () => {
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['*'] });
      const answers = [
        await t.http
          .get(`/api/workspaces/${ws.id}/webhooks/${endpoint.id}`)
          .set('Authorization', t.internal),
        await list(),
        await t.http
          .patch(`/api/workspaces/${ws.id}/webhooks/${endpoint.id}`)
          .set('Authorization', t.internal)
          .send({ description: 'changed' }),
        await deliveries(ws, endpoint.id),
        await t.http.get(`/api/workspaces/${ws.id}/audit-events`).set('Authorization', t.internal),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.text).not.toContain(endpoint.secret);
        expect(answer.text).not.toContain('"secret"');
      }
      const [row] = await t.dataSource.query<{ secret_sealed: string }[]>(
        `SELECT secret_sealed FROM webhook_endpoints WHERE id = $1`,
        [endpoint.id],
      );
      expect(row!.secret_sealed).not.toContain(endpoint.secret.slice('whsec_'.length));
      await t.http
        .delete(`/api/workspaces/${ws.id}/webhooks/${endpoint.id}`)
        .set('Authorization', t.internal)
        .expect(204);
    });

    it.each([
      ['http (not loopback)', 'http://example.com/hooks'],
      ['a private address', 'https://10.0.0.5/hooks'],
      ['a private address (192.168)', 'https://192.168.1.10/hooks'],
      ['CGNAT', 'https://100.64.0.1/hooks'],
      ['cloud metadata (link-local)', 'http://169.254.169.254/latest/meta-data/'],
      ['link-local IPv6', 'https://[fe80::1]/hooks'],
      ['unique-local IPv6', 'https://[fd00::1]/hooks'],
      ['IPv4-mapped private IPv6', 'https://[::ffff:10.0.0.1]/hooks'],
      ['the unspecified address', 'https://0.0.0.0/hooks'],
      ['a private address in decimal', 'https://167772161/hooks'],
      ['credentials in the URL', 'https://user:pass@example.com/hooks'],
      ['another scheme', 'ftp://example.com/hooks'],
      ['not a URL', 'hooks.example.com'],
    ])('refuses %s (400) and adds nothing', async (_, url) => {
      const before = (await list()).body.total as number;
      const res = await t.http
        .post(`/api/workspaces/${ws.id}/webhooks`)
        .set('Authorization', t.internal)
        .send({ url, events: ['*'] });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('WEBHOOK_URL_NOT_ALLOWED');
      expect((await list()).body.total).toBe(before);
    });

    it.each([
      ['an unknown event', { events: ['member.nope'] }],
      ['no events', { events: [] }],
      ['events as a string', { events: 'member.created' }],
      ['no url', { url: undefined }],
      ['an unknown field', { secret: 'whsec_mine' }],
      ['enabled as a string', { enabled: 'yes' }],
    ])('refuses a creation with %s (400) and adds nothing', async (_, change) => {
      const before = (await list()).body.total as number;
      const res = await t.http
        .post(`/api/workspaces/${ws.id}/webhooks`)
        .set('Authorization', t.internal)
        .send({ url: hooks.url, events: ['*'], ...change });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect((await list()).body.total).toBe(before);
    });

    it('refuses a bad update (400) and changes nothing', async () => {
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['group.created'] });
      const path = `/api/workspaces/${ws.id}/webhooks/${endpoint.id}`;
      for (const body of [
        { events: ['nope'] },
        { url: 'https://10.1.2.3/x' },
        { url: 'https://example.com/ok', events: [] },
      ]) {
        const res = await t.http.patch(path).set('Authorization', t.internal).send(body);
        expect(res.status).toBe(400);
      }
      const after = await t.http.get(path).set('Authorization', t.internal).expect(200);
      expect(after.body).toMatchObject({ url: hooks.url, events: ['group.created'] });
      await t.http.delete(path).set('Authorization', t.internal).expect(204);
    });

    it('refuses a 21st endpoint in a workspace (409) and adds nothing', async () => {
      const full = await workspaceWithSignedInAdmin(t);
      for (let i = 0; i < 20; i++) {
        await createEndpoint(full, { url: `${hooks.url}?n=${i}`, events: ['*'] });
      }
      const res = await t.http
        .post(`/api/workspaces/${full.id}/webhooks`)
        .set('Authorization', t.internal)
        .send({ url: hooks.url, events: ['*'] });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('WEBHOOK_LIMIT_REACHED');
      const listed = await t.http
        .get(`/api/workspaces/${full.id}/webhooks`)
        .set('Authorization', t.internal);
      expect(listed.body.total).toBe(20);
    });

    it('answers 404 for an endpoint of another workspace or a malformed id', async () => {
      const other = await workspaceWithSignedInAdmin(t);
      const endpoint = await createEndpoint(other, { url: hooks.url, events: ['*'] });
      for (const id of [endpoint.id, 'not-a-uuid']) {
        const res = await t.http
          .get(`/api/workspaces/${ws.id}/webhooks/${id}`)
          .set('Authorization', t.internal);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('WEBHOOK_NOT_FOUND');
      }
      // The other workspace's admin cannot reach this workspace's endpoints at all.
      const res = await t.http
        .get(`/api/workspaces/${ws.id}/webhooks`)
        .set('Cookie', other.adminCookie);
      expect(res.status).toBe(404);
    });

    it('refuses a member who is not an admin (403) and changes nothing', async () => {
      const email = `member@${ws.slug}.example.com`;
      await addMember(t, ws.slug, email);
      const cookie = await signIn(t, ws.slug, email);
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['*'] });
      const base = `/api/workspaces/${ws.slug}/webhooks`;
      const attempts = [
        t.http.get(base),
        t.http.post(base).send({ url: hooks.url, events: ['*'] }),
        t.http.get(`${base}/${endpoint.id}`),
        t.http.patch(`${base}/${endpoint.id}`).send({ enabled: false }),
        t.http.delete(`${base}/${endpoint.id}`),
        t.http.post(`${base}/${endpoint.id}/secret`),
        t.http.get(`${base}/${endpoint.id}/deliveries`),
      ];
      for (const attempt of attempts) {
        const res = await attempt.set('Cookie', cookie).set('Origin', 'http://gatehouse.test');
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      const after = await t.http
        .get(`/api/workspaces/${ws.id}/webhooks/${endpoint.id}`)
        .set('Authorization', t.internal);
      expect(after.body).toMatchObject({ enabled: true, url: hooks.url });
    });
  });

  describe('the CLI (node dist/src/cli.js)', () => {
    const itWithServer = usingEmbeddedDatabase() ? it.skip : it;

    async function cli(
      ...args: string[]
    ): Promise<{ code: number; stdout: string; stderr: string }> {
      try {
        const { stdout, stderr } = await promisify(execFile)(
          process.execPath,
          ['dist/src/cli.js', ...args],
          {
            env: {
              PATH: process.env.PATH ?? '',
              NODE_ENV: 'test',
              DATABASE_URL: t.config.database.url!,
              SECRET_KEY: t.config.secretKey,
              ...WEBHOOK_ENV,
            },
          },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    }

    itWithServer(
      'adds an endpoint whose secret, printed once, signs what the service sends; refuses a private URL',
      async () => {
        const ws = await workspaceWithSignedInAdmin(t);
        const hooks = await receiver();
        const created = await cli(
          'webhooks:create',
          ws.slug,
          '--url',
          hooks.url,
          '--events',
          'member.created,group.created',
          '--json',
        );
        expect(created.code).toBe(0);
        const endpoint = JSON.parse(created.stdout) as CreatedEndpoint;
        expect(endpoint.events).toEqual(['member.created', 'group.created']);

        await addMember(t, ws.slug, `ivy@${ws.slug}.example.com`);
        const [webhook] = await hooks.waitFor(1);
        expect(signatureIsValid(endpoint.secret, webhook!)).toBe(true);
        const shown = await cli('webhooks:show', ws.slug, endpoint.id, '--json');
        expect(shown.code).toBe(0);
        expect(shown.stdout).not.toContain(endpoint.secret);

        const refused = await cli(
          'webhooks:create',
          ws.slug,
          '--url',
          'https://10.0.0.1/in',
          '--events',
          '*',
        );
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain('WEBHOOK_URL_NOT_ALLOWED');
        const listed = await t.http
          .get(`/api/workspaces/${ws.id}/webhooks`)
          .set('Authorization', t.internal);
        expect(listed.body.total).toBe(1);
      },
      120_000,
    );
  });

  describe('claiming', () => {
    const itWithServer = usingEmbeddedDatabase() ? it.skip : it;

    it('records an attempt only for the claim that made it, not for one whose lease ran out', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['*'], enabled: false });
      const [row] = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)
         VALUES ($1, $2, gen_random_uuid(), 'member.created', '{}') RETURNING id`,
        [ws.id, endpoint.id],
      );
      const claim = () =>
        claimDue<ClaimedDelivery>(t.dataSource, {
          table: 'webhook_deliveries',
          limit: 1,
          leaseMs: 0,
          returning: `m.id, m.attempts`,
          where: `t.id = '${row!.id}'`,
        });
      const [stale] = await claim();
      const [current] = await claim();
      expect([stale!.attempts, current!.attempts]).toEqual([1, 2]);
      const repository = t.app.get(WebhookRepository);
      const outcome = { statusCode: 500, error: null, durationMs: 5, excerpt: null };
      await repository.recordAttempt(
        current!,
        { ...outcome, statusCode: 200 },
        { status: 'delivered' },
      );
      // The first claimer answers late: its failure does not overwrite the delivery.
      await repository.recordAttempt(stale!, outcome, { status: 'failed' });
      const log = await deliveries(ws, endpoint.id);
      expect(log.body.items[0]).toMatchObject({
        status: 'delivered',
        attempts: 2,
        lastStatusCode: 200,
      });
    });

    it('forgets delivered and failed deliveries older than WEBHOOK_DELIVERY_LOG_DAYS, never pending ones', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['*'], enabled: false });
      await t.dataSource.query(
        `INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload,
                                         status, created_at)
         SELECT $1, $2, gen_random_uuid(), 'member.created', '{}', status, now() - age
           FROM (VALUES ('delivered', interval '31 days'), ('failed', interval '31 days'),
                        ('pending', interval '31 days'), ('delivered', interval '29 days')) v (status, age)`,
        [ws.id, endpoint.id],
      );
      await t.app.get(WebhookDeliveryService).pruneDeliveryLog();
      const log = await deliveries(ws, endpoint.id);
      expect(log.body.items.map((d: { status: string }) => d.status).sort()).toEqual([
        'delivered',
        'pending',
      ]);
    });

    itWithServer('never gives one delivery to two claimers at once', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const hooks = await receiver();
      // Disabled: the app's own loop leaves its deliveries alone; the claimers below do not ask.
      const endpoint = await createEndpoint(ws, { url: hooks.url, events: ['*'], enabled: false });
      await t.dataSource.query(
        `INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)
         SELECT $1, $2, gen_random_uuid(), 'member.created', '{}'::jsonb FROM generate_series(1, 200)`,
        [ws.id, endpoint.id],
      );
      const instances = await Promise.all(
        [1, 2].map(async () => {
          const dataSource = new DataSource({
            type: 'postgres',
            url: t.config.database.url,
            extra: { max: 4 },
          });
          return dataSource.initialize();
        }),
      );
      try {
        const claim = (dataSource: DataSource) =>
          claimDue<{ id: string }>(dataSource, {
            table: 'webhook_deliveries',
            limit: 7,
            leaseMs: 60_000,
            returning: 'm.id',
            where: `t.endpoint_id = '${endpoint.id}'`,
          });
        // Four claimers per instance, each claiming until nothing is left.
        const claimers = instances.flatMap((dataSource) =>
          [1, 2, 3, 4].map(async () => {
            const mine: string[] = [];
            for (;;) {
              const rows = await claim(dataSource);
              if (rows.length === 0) return mine;
              mine.push(...rows.map((row) => row.id));
            }
          }),
        );
        const claimed = (await Promise.all(claimers)).flat();
        expect(claimed).toHaveLength(200);
        expect(new Set(claimed).size).toBe(200);
        // Leased: claimed again by nobody until the lease runs out.
        expect(await claim(instances[0]!)).toEqual([]);
      } finally {
        await Promise.all(instances.map((dataSource) => dataSource.destroy()));
      }
    });
  });
});

const describeWithServer = usingEmbeddedDatabase() ? describe.skip : describe;

describeWithServer('webhooks across a crash (node dist/src/main.js)', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let hooks: WebhookReceiver;
  let server: RunningServer | undefined;
  const env = () => ({
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '3',
    ...WEBHOOK_ENV,
    WEBHOOK_TIMEOUT_MS: '2000',
  });

  beforeAll(async () => {
    database = await cloneTestDatabase();
    hooks = await WebhookReceiver.start();
  });

  afterAll(async () => {
    server?.kill();
    await server?.exited;
    await hooks?.close();
    await database?.drop();
  });

  async function api(path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${server!.baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  it('delivers an event whose delivery was under way when the service was killed (at least once, same id)', async () => {
    server = await startServerProcess(env(), 100_000);
    const workspace = await api('/api/workspaces', {
      name: 'Crash',
      slug: 'crash-test',
      firstAdmin: { email: 'admin@crash.example.com' },
    });
    const endpoint = await api(`/api/workspaces/${String(workspace.id)}/webhooks`, {
      url: hooks.url,
      events: ['member.created'],
    });
    // The first request is held open: the service is killed while it waits for the answer.
    hooks.answer = (index) => (index === 0 ? 'hold' : 200);
    await api(`/api/workspaces/${String(workspace.id)}/members`, {
      email: 'ada@crash.example.com',
    });
    const [first] = await hooks.waitFor(1, 30_000);
    server.kill();
    await server.exited;

    server = await startServerProcess(env(), 100_000);
    // After the claim's lease (2 × 2 s + 5 s), the new process claims it again.
    const received = await hooks.waitFor(2, 60_000);
    expect(received[1]!.json.id).toBe(first!.json.id);
    expect(received[1]!.json.type).toBe('member.created');
    expect(signatureIsValid(String(endpoint.secret), received[0]!)).toBe(true);
    expect(signatureIsValid(String(endpoint.secret), received[1]!)).toBe(true);
    const log = await until(
      () =>
        api(`/api/workspaces/${String(workspace.id)}/webhooks/${String(endpoint.id)}/deliveries`),
      (page) => (page.items as { status: string }[])[0]?.status === 'delivered',
    );
    expect((log.items as { attempts: number }[])[0]!.attempts).toBe(2);
  }, 240_000);
});
