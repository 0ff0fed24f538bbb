import { jest } from '@jest/globals';
import { DomainService } from '../../src/workspace/domain.service.js';
import {
  addMember,
  createWorkspace,
  signIn,
  uniqueSlug,
  workspaceWithSignedInAdmin,
  WorkspaceFixture,
} from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { itWithConcurrentConnections } from '../support/test-database.js';

interface DomainBody {
  domain: string;
  status: 'pending' | 'verified';
  verification: { type: 'TXT'; name: string; value: string };
  verifiedAt: string | null;
}

describe('claimed domains', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.dns.records.clear();
    jest.restoreAllMocks();
  });

  /** A domain name no other test uses (domains are shared across workspaces). */
  const freshDomain = () => `${uniqueSlug('corp')}.example`;

  async function addDomain(ws: WorkspaceFixture, domain: string): Promise<DomainBody> {
    const res = await t.http
      .post(`/api/workspaces/${ws.slug}/domains`)
      .set('Cookie', ws.adminCookie)
      .send({ domain });
    if (res.status !== 201) throw new Error(`add domain: ${res.status} ${res.text}`);
    return res.body as DomainBody;
  }

  function publish(claim: DomainBody, ...values: string[]) {
    t.dns.records.set(claim.verification.name, [
      ...(t.dns.records.get(claim.verification.name) ?? []),
      ...values.map((v) => [v]),
    ]);
  }

  function verify(ws: WorkspaceFixture, domain: string, body: Record<string, unknown> = {}) {
    return t.http
      .post(`/api/workspaces/${ws.slug}/domains/${encodeURIComponent(domain)}/verify`)
      .set('Cookie', ws.adminCookie)
      .send(body);
  }

  async function auditEvents(ws: WorkspaceFixture, action: string) {
    const res = await t.http
      .get(`/api/workspaces/${ws.id}/audit-events?action=${action}`)
      .set('Authorization', t.internal)
      .expect(200);
    return res.body.items as Record<string, unknown>[];
  }

  describe('adding and listing', () => {
    it('adds a domain as pending with the TXT record that proves it', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const domain = freshDomain();
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .send({ domain: ` ${domain.toUpperCase()}. ` })
        .expect(201);
      expect(res.body).toEqual({
        domain,
        status: 'pending',
        verification: {
          type: 'TXT',
          name: `_gatehouse-challenge.${domain}`,
          value: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        },
        createdAt: expect.any(String),
        verifiedAt: null,
        lastCheckedAt: null,
      });
      const [event] = await auditEvents(ws, 'domain.added');
      expect(event).toMatchObject({ targetId: domain, actorId: ws.adminId, channel: 'admin' });
    });

    it('lists the workspace domains, paged, with their verification record', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      const a = await addDomain(ws, `a-${freshDomain()}`);
      const b = await addDomain(ws, `b-${freshDomain()}`);
      await addDomain(other, freshDomain());
      const res = await t.http
        .get(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(res.body).toEqual({ items: [a, b], total: 2, limit: 50, offset: 0 });
      const paged = await t.http
        .get(`/api/workspaces/${ws.slug}/domains?limit=1&offset=1`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(paged.body).toMatchObject({ items: [b], total: 2, limit: 1, offset: 1 });
    });

    it('normalises an internationalised domain name to punycode', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const label = uniqueSlug('bücher');
      const claim = await addDomain(ws, `${label.toUpperCase()}.DE`);
      const ascii = new URL(`http://${label}.de`).hostname;
      expect(ascii).toMatch(/^xn--/);
      expect(claim.domain).toBe(ascii);
      expect(claim.verification.name).toBe(`_gatehouse-challenge.${ascii}`);
      publish(claim, claim.verification.value);
      // The Unicode spelling in the URL names the same claim.
      const res = await verify(ws, `${label}.de`).expect(200);
      expect(res.body).toMatchObject({ domain: ascii, status: 'verified' });
    });

    it('lets several workspaces hold a pending claim on one domain', async () => {
      const first = await workspaceWithSignedInAdmin(t);
      const second = await workspaceWithSignedInAdmin(t);
      const domain = freshDomain();
      const one = await addDomain(first, domain);
      const two = await addDomain(second, domain);
      expect(one.verification.value).not.toBe(two.verification.value);
    });
  });

  describe('verifying', () => {
    it('verifies through the DNS TXT record', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      publish(claim, 'v=spf1 -all', claim.verification.value);
      const res = await verify(ws, claim.domain).expect(200);
      expect(res.body).toMatchObject({
        domain: claim.domain,
        status: 'verified',
        verifiedAt: expect.any(String),
        verification: claim.verification,
      });
      const [event] = await auditEvents(ws, 'domain.verified');
      expect(event).toMatchObject({ targetId: claim.domain, details: { method: 'dns' } });
      expect(
        await t.app.get(DomainService).isVerifiedDomainOf(ws.id, claim.domain.toUpperCase()),
      ).toBe(true);
    });

    it('joins a TXT record split into several strings', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      const value = claim.verification.value;
      t.dns.records.set(claim.verification.name, [[value.slice(0, 10), value.slice(10)]]);
      await verify(ws, claim.domain).expect(200);
    });

    it('answers 200 unchanged when the domain is already verified', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      publish(claim, claim.verification.value);
      const first = await verify(ws, claim.domain).expect(200);
      t.dns.records.clear();
      const again = await verify(ws, claim.domain).expect(200);
      expect(again.body).toEqual(first.body);
      expect(await auditEvents(ws, 'domain.verified')).toHaveLength(1);
    });

    it('force-verifies without DNS with the internal token', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      const res = await t.http
        .post(`/api/workspaces/${ws.id}/domains/${claim.domain}/verify`)
        .set('Authorization', t.internal)
        .send({ force: true })
        .expect(200);
      expect(res.body.status).toBe('verified');
      const [event] = await auditEvents(ws, 'domain.verified');
      expect(event).toMatchObject({ channel: 'internal', details: { method: 'forced' } });
    });

    it('lets another workspace verify a domain once its owner removed it', async () => {
      const first = await workspaceWithSignedInAdmin(t);
      const second = await workspaceWithSignedInAdmin(t);
      const domain = freshDomain();
      const one = await addDomain(first, domain);
      const two = await addDomain(second, domain);
      publish(one, one.verification.value, two.verification.value);
      await verify(first, domain).expect(200);
      await t.http
        .delete(`/api/workspaces/${first.slug}/domains/${domain}`)
        .set('Cookie', first.adminCookie)
        .expect(204);
      await verify(second, domain).expect(200);
    });
  });

  describe('removing', () => {
    it('removes a claim: 204, gone from the list, audited', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      publish(claim, claim.verification.value);
      await verify(ws, claim.domain).expect(200);
      await t.http
        .delete(`/api/workspaces/${ws.slug}/domains/${claim.domain.toUpperCase()}`)
        .set('Cookie', ws.adminCookie)
        .expect(204);
      const list = await t.http
        .get(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(list.body.items).toEqual([]);
      const [event] = await auditEvents(ws, 'domain.removed');
      expect(event).toMatchObject({
        targetId: claim.domain,
        before: { domain: claim.domain, status: 'verified' },
      });
      expect(await t.app.get(DomainService).isVerifiedDomainOf(ws.id, claim.domain)).toBe(false);
    });

    it('answers 404 DOMAIN_NOT_FOUND for a domain the workspace has not claimed', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .delete(`/api/workspaces/${ws.slug}/domains/${freshDomain()}`)
        .set('Cookie', ws.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('DOMAIN_NOT_FOUND');
    });
  });

  describe('failing cases', () => {
    it.each([
      ['a URL', 'https://acme.com'],
      ['a single label', 'acme'],
      ['a wildcard', '*.acme.com'],
      ['an empty label', 'a..b.com'],
      ['a path', 'acme.com/x'],
      ['a port', 'acme.com:443'],
      ['an email address', 'ada@acme.com'],
      ['an IP address', '192.168.1.10'],
      ['an underscore', 'ac_me.com'],
      ['an empty string', ''],
      ['a 300-character name', `${`${'a'.repeat(59)}.`.repeat(5)}com`],
    ])('refuses %s with 400 DOMAIN_INVALID', async (_, domain) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .send({ domain })
        .expect(400);
      expect(res.body.code).toBe('DOMAIN_INVALID');
      expect(res.body.message).toEqual(expect.any(String));
    });

    it.each(['gmail.com', 'GMAIL.COM', 'mail.gmail.com', 'outlook.com', 'yahoo.co.uk'])(
      'refuses the consumer mail domain %s with 400 CONSUMER_DOMAIN',
      async (domain) => {
        const ws = await workspaceWithSignedInAdmin(t);
        const res = await t.http
          .post(`/api/workspaces/${ws.slug}/domains`)
          .set('Cookie', ws.adminCookie)
          .send({ domain })
          .expect(400);
        expect(res.body.code).toBe('CONSUMER_DOMAIN');
      },
    );

    it('refuses a domain the workspace already added: DOMAIN_ALREADY_ADDED', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const domain = freshDomain();
      await addDomain(ws, domain);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .send({ domain: `${domain.toUpperCase()}.` })
        .expect(409);
      expect(res.body.code).toBe('DOMAIN_ALREADY_ADDED');
    });

    it('refuses a domain another workspace verified: DOMAIN_ALREADY_CLAIMED', async () => {
      const owner = await workspaceWithSignedInAdmin(t);
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(owner, freshDomain());
      publish(claim, claim.verification.value);
      await verify(owner, claim.domain).expect(200);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .send({ domain: claim.domain })
        .expect(409);
      expect(res.body.code).toBe('DOMAIN_ALREADY_CLAIMED');
    });

    it('refuses verifying a domain another workspace verified first: DOMAIN_ALREADY_CLAIMED', async () => {
      const first = await workspaceWithSignedInAdmin(t);
      const second = await workspaceWithSignedInAdmin(t);
      const domain = freshDomain();
      const one = await addDomain(first, domain);
      const two = await addDomain(second, domain);
      publish(one, one.verification.value, two.verification.value);
      await verify(first, domain).expect(200);
      const res = await verify(second, domain).expect(409);
      expect(res.body.code).toBe('DOMAIN_ALREADY_CLAIMED');
      const list = await t.http
        .get(`/api/workspaces/${second.slug}/domains`)
        .set('Cookie', second.adminCookie)
        .expect(200);
      expect(list.body.items[0].status).toBe('pending');
    });

    itWithConcurrentConnections(
      'verifies a domain for one workspace only when two verify at once',
      async () => {
        const first = await workspaceWithSignedInAdmin(t);
        const second = await workspaceWithSignedInAdmin(t);
        const domain = freshDomain();
        const one = await addDomain(first, domain);
        const two = await addDomain(second, domain);
        publish(one, one.verification.value, two.verification.value);
        const results = await Promise.all([verify(first, domain), verify(second, domain)]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        expect(results.find((r) => r.status === 409)!.body.code).toBe('DOMAIN_ALREADY_CLAIMED');
        const verified = await t.dataSource.query<unknown[]>(
          `SELECT 1 FROM claimed_domains WHERE domain = $1 AND status = 'verified'`,
          [domain],
        );
        expect(verified).toHaveLength(1);
      },
    );

    it('fails verification without a TXT record: 422 naming the expected record', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      const res = await verify(ws, claim.domain).expect(422);
      expect(res.body.code).toBe('DOMAIN_VERIFICATION_FAILED');
      expect(res.body.message).toContain(claim.verification.name);
      expect(res.body.message).toContain(claim.verification.value);
      expect(res.body.verification).toEqual(claim.verification);
      const list = await t.http
        .get(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .expect(200);
      expect(list.body.items[0]).toMatchObject({
        status: 'pending',
        lastCheckedAt: expect.any(String),
      });
    });

    it('fails verification when the TXT record holds another value: 422', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      publish(claim, 'some-other-token', `${claim.verification.value}x`);
      const res = await verify(ws, claim.domain).expect(422);
      expect(res.body.code).toBe('DOMAIN_VERIFICATION_FAILED');
    });

    it('fails verification when the resolver fails: 422, never 500', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      jest
        .spyOn(t.dns, 'resolveTxt')
        .mockRejectedValue(Object.assign(new Error('queryTxt ESERVFAIL'), { code: 'ESERVFAIL' }));
      const res = await verify(ws, claim.domain).expect(422);
      expect(res.body.code).toBe('DOMAIN_VERIFICATION_FAILED');
      expect(res.body.message).toContain('ESERVFAIL');
    });

    it('refuses force with an admin session: 403, the domain stays pending', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      const res = await verify(ws, claim.domain, { force: true }).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
      expect(await t.app.get(DomainService).isVerifiedDomainOf(ws.id, claim.domain)).toBe(false);
    });

    it('answers 404 DOMAIN_NOT_FOUND when verifying an unclaimed or invalid domain', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const other = await workspaceWithSignedInAdmin(t);
      const theirs = await addDomain(other, freshDomain());
      for (const domain of [freshDomain(), theirs.domain, 'not a domain']) {
        const res = await verify(ws, domain).expect(404);
        expect(res.body.code).toBe('DOMAIN_NOT_FOUND');
      }
    });

    it('refuses a non-admin member with 403', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      await addMember(t, ws.slug, `member@${ws.slug}.example.com`);
      const cookie = await signIn(t, ws.slug, `member@${ws.slug}.example.com`);
      for (const req of [
        t.http.get(`/api/workspaces/${ws.slug}/domains`),
        t.http.post(`/api/workspaces/${ws.slug}/domains`).send({ domain: freshDomain() }),
        t.http.post(`/api/workspaces/${ws.slug}/domains/${claim.domain}/verify`).send({}),
        t.http.delete(`/api/workspaces/${ws.slug}/domains/${claim.domain}`),
      ]) {
        const res = await req.set('Cookie', cookie);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
    });

    it('answers 404 to an admin of another workspace and 401 without credentials', async () => {
      const ws = await createWorkspace(t);
      const other = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', other.adminCookie)
        .send({ domain: freshDomain() })
        .expect(404);
      expect(res.body.code).toBe('WORKSPACE_NOT_FOUND');
      const anonymous = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .send({ domain: freshDomain() })
        .expect(401);
      expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    });

    it.each([
      [{}, 'domain'],
      [{ domain: 42 }, 'domain'],
      [{ domain: 'acme.com', verified: true }, 'verified'],
    ])('refuses the body %j naming %s', async (body, field) => {
      const ws = await workspaceWithSignedInAdmin(t);
      const res = await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Cookie', ws.adminCookie)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('refuses a non-boolean force', async () => {
      const ws = await workspaceWithSignedInAdmin(t);
      const claim = await addDomain(ws, freshDomain());
      const res = await t.http
        .post(`/api/workspaces/${ws.id}/domains/${claim.domain}/verify`)
        .set('Authorization', t.internal)
        .send({ force: 'yes' })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });
});
