import { createVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { addMember, createWorkspace, PASSWORD, signIn, verifyDomain } from '../support/fixtures.js';
import { sessionCookieOf } from '../support/http.js';
import {
  createProvider,
  encryptAssertion,
  idpKeys,
  postToAcs,
  type ProviderFixture,
  responseFor,
} from '../support/saml-fixtures.js';
import {
  injectCommentInNameId,
  type SamlResponseOptions,
  startSamlIdp,
  idpMetadataXml,
  tamperAfterSigning,
  withDoctype,
  wrapAssertionXsw,
} from '../support/saml-idp.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';

describe('SAML sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      FRONTEND_URL: 'https://app.example.com',
      SAML_CLOCK_SKEW_SECONDS: '60',
    });
  });
  afterAll(() => t.close());

  async function workspaceWithProvider(options: { extra?: object; keyIndex?: number } = {}) {
    const keys = await idpKeys();
    const ws = await createWorkspace(t);
    await addMember(t, ws.slug, 'ada@acme.test');
    const provider = await createProvider(t, ws.slug, {
      key: keys[options.keyIndex ?? 0]!,
      extra: options.extra,
    });
    return { ws, provider };
  }

  async function expectRefused(
    provider: ProviderFixture,
    xml: string,
    code: string,
    status = 400,
  ): Promise<void> {
    const res = await postToAcs(t, provider, xml);
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(sessionCookieOf(res)).toBeUndefined();
  }

  describe('successful', () => {
    it('signs an existing member in from an IdP-initiated response and follows RelayState', async () => {
      const { provider } = await workspaceWithProvider();
      const res = await postToAcs(
        t,
        provider,
        await responseFor(provider, 'Ada@Acme.test'),
        '/projects/7',
      );
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('https://app.example.com/projects/7');
      const session = await t.http
        .get('/auth/session')
        .set('Cookie', sessionCookieOf(res)!)
        .expect(200);
      expect(session.body).toMatchObject({
        method: 'saml',
        role: 'member',
        user: { email: 'ada@acme.test' },
      });
    });

    it('walks SP-initiated sign-in through the IdP: AuthnRequest, login form, auto-post, session', async () => {
      const keys = await idpKeys();
      const idp = await startSamlIdp({
        key: keys[0]!,
        users: [{ email: 'ada@acme.test', password: 'idp-pass' }],
      });
      try {
        const ws = await createWorkspace(t);
        await addMember(t, ws.slug, 'ada@acme.test');
        const created = await t.http
          .post(`/api/workspaces/${ws.slug}/saml-providers`)
          .set('Authorization', t.internal)
          .send({ name: 'Local IdP', metadataXml: idp.metadataXml, allowIdpInitiated: false })
          .expect(201);
        const provider = { ...created.body, key: keys[0]! } as ProviderFixture;

        const login = await t.http
          .get(`${new URL(provider.loginUrl).pathname}?RelayState=%2Fafter-login`)
          .expect(302);
        const location = new URL(login.headers.location as string);
        expect(location.origin + location.pathname).toBe(idp.ssoUrl);
        const request = inflateRawSync(
          Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64'),
        ).toString();
        expect(request).toContain(`AssertionConsumerServiceURL="${provider.acsUrl}"`);
        expect(request).toContain(
          `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${provider.spEntityId}</saml:Issuer>`,
        );

        const form = await fetch(location);
        expect(form.status).toBe(200);
        const html = await form.text();
        const state = /name="state" value="([^"]+)"/.exec(html)![1]!;
        const posted = await fetch(`${idp.url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email: 'ada@acme.test', password: 'idp-pass', state }),
        });
        const autoPost = await posted.text();
        const action = /action="([^"]+)"/.exec(autoPost)![1]!;
        expect(action).toBe(provider.acsUrl);
        const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(autoPost)![1]!;
        const relayState = /name="RelayState" value="([^"]+)"/.exec(autoPost)![1]!;

        const acs = await t.http
          .post(new URL(provider.acsUrl).pathname)
          .type('form')
          .send({ SAMLResponse: samlResponse, RelayState: relayState })
          .expect(302);
        expect(acs.headers.location).toBe('https://app.example.com/after-login');
        await t.http.get('/auth/session').set('Cookie', sessionCookieOf(acs)!).expect(200);

        // The same response again: its request was consumed and its assertion is in the replay cache.
        const again = await t.http
          .post(new URL(provider.acsUrl).pathname)
          .type('form')
          .set('Accept', 'application/json')
          .send({ SAMLResponse: samlResponse });
        expect(again.status).toBe(400);
        expect(['SAML_UNKNOWN_REQUEST', 'SAML_REPLAYED']).toContain(again.body.code);
      } finally {
        await idp.close();
      }
    });

    it('signs AuthnRequests with the provider key when asked to', async () => {
      const { provider } = await workspaceWithProvider({ extra: { signAuthnRequests: true } });
      const login = await t.http.get(new URL(provider.loginUrl).pathname).expect(302);
      const location = new URL(login.headers.location as string);
      const query = location.search.slice(1);
      expect(location.searchParams.get('SigAlg')).toBe(
        'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      );
      const signed = query
        .split('&')
        .filter((p) => !p.startsWith('Signature='))
        .join('&');
      const view = await t.dataSource.query(
        `SELECT sp_certificate FROM saml_providers WHERE id = $1`,
        [provider.id],
      );
      const ok = createVerify('RSA-SHA256')
        .update(signed)
        .verify(view[0].sp_certificate, location.searchParams.get('Signature')!, 'base64');
      expect(ok).toBe(true);
    });

    it('accepts a signed Response, a signed Assertion, or both', async () => {
      const { provider } = await workspaceWithProvider();
      for (const sign of ['response', 'assertion', 'both'] as const) {
        const res = await postToAcs(
          t,
          provider,
          await responseFor(provider, 'ada@acme.test', { sign }),
        );
        expect([sign, res.status]).toEqual([sign, 302]);
      }
    });

    it('accepts any of the provider certificates (rollover without downtime)', async () => {
      const keys = await idpKeys();
      const { ws, provider } = await workspaceWithProvider();
      await t.http
        .patch(`/api/workspaces/${ws.slug}/saml-providers/${provider.id}`)
        .set('Authorization', t.internal)
        .send({ idpCertificates: [keys[0]!.certificatePem, keys[1]!.certificatePem] })
        .expect(200);
      const res = await postToAcs(
        t,
        provider,
        await responseFor(provider, 'ada@acme.test', { key: keys[1]! }),
      );
      expect(res.status).toBe(302);
    });

    it('decrypts encrypted assertions when the provider asks for them', async () => {
      const { provider } = await workspaceWithProvider({
        extra: { wantEncryptedAssertions: true },
      });
      const rows = await t.dataSource.query(
        `SELECT sp_certificate FROM saml_providers WHERE id = $1`,
        [provider.id],
      );
      const xml = await encryptAssertion(
        await responseFor(provider, 'ada@acme.test'),
        rows[0].sp_certificate,
      );
      expect(xml).toContain('EncryptedAssertion');
      expect(xml).not.toContain('ada@acme.test');
      const res = await postToAcs(t, provider, xml);
      expect(res.status).toBe(302);
    });

    it('takes the email from attributes when the NameID is not one, and the name from given name and surname', async () => {
      const { ws, provider } = await workspaceWithProvider();
      await verifyDomain(t, ws.slug, 'newco.test');
      const xml = await responseFor(provider, '00u1abcdPERSISTENT', {
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: {
          'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'grace@newco.test',
          givenName: 'Grace',
          surname: 'Hopper',
        },
      });
      expect((await postToAcs(t, provider, xml)).status).toBe(302);
      const members = await t.http
        .get(`/api/workspaces/${ws.slug}/members?email=grace@newco.test`)
        .set('Authorization', t.internal);
      expect(members.body.items).toEqual([
        expect.objectContaining({
          fullName: 'Grace Hopper',
          source: 'saml',
          role: 'member',
          status: 'active',
        }),
      ]);
    });

    it('never redirects to another origin', async () => {
      const { provider } = await workspaceWithProvider();
      for (const relay of [
        'https://evil.example.net/phish',
        '//evil.example.net',
        'javascript:alert(1)',
      ]) {
        const res = await postToAcs(
          t,
          provider,
          await responseFor(provider, 'ada@acme.test'),
          relay,
        );
        expect([relay, res.headers.location]).toEqual([relay, 'https://app.example.com/']);
      }
    });
  });

  describe('just-in-time accounts', () => {
    async function withVerifiedDomain(domain: string) {
      const setup = await workspaceWithProvider();
      await verifyDomain(t, setup.ws.slug, domain);
      return setup;
    }

    it('creates an active member for an email in a verified claimed domain', async () => {
      const { ws, provider } = await withVerifiedDomain('jit-ok.test');
      const res = await postToAcs(
        t,
        provider,
        await responseFor(provider, 'new.person@jit-ok.test'),
      );
      expect(res.status).toBe(302);
      const members = await t.http
        .get(`/api/workspaces/${ws.slug}/members?email=new.person`)
        .set('Authorization', t.internal);
      expect(members.body.items).toEqual([
        expect.objectContaining({
          email: 'new.person@jit-ok.test',
          role: 'member',
          status: 'active',
          source: 'saml',
        }),
      ]);
      const audit = await t.http
        .get(`/api/workspaces/${ws.slug}/audit-events?channel=saml`)
        .set('Authorization', t.internal);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['member.added', 'session.created']),
      );
    });

    it('refuses an unknown email outside the verified domains', async () => {
      const { ws, provider } = await withVerifiedDomain('jit-two.test');
      await expectRefused(
        provider,
        await responseFor(provider, 'stranger@elsewhere.test'),
        'NOT_A_MEMBER',
        403,
      );
      await t.http
        .post(`/api/workspaces/${ws.slug}/domains`)
        .set('Authorization', t.internal)
        .send({ domain: 'pending.test' })
        .expect(201);
      await expectRefused(
        provider,
        await responseFor(provider, 'someone@pending.test'),
        'NOT_A_MEMBER',
        403,
      );
      const users = await t.dataSource.query(
        `SELECT 1 FROM users WHERE email IN ('stranger@elsewhere.test', 'someone@pending.test')`,
      );
      expect(users).toHaveLength(0);
    });

    it('creates nobody while SCIM-only provisioning is on', async () => {
      const { ws, provider } = await withVerifiedDomain('jit-scim.test');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ scimOnlyProvisioning: true })
        .expect(200);
      await expectRefused(
        provider,
        await responseFor(provider, 'new@jit-scim.test'),
        'NOT_A_MEMBER',
        403,
      );
    });

    it('never gives back access an admin took away', async () => {
      const { ws, provider } = await withVerifiedDomain('acme.test');
      const members = await t.http
        .get(`/api/workspaces/${ws.slug}/members?email=ada@acme.test`)
        .set('Authorization', t.internal);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${members.body.items[0].userId}`)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      await expectRefused(
        provider,
        await responseFor(provider, 'ada@acme.test'),
        'MEMBERSHIP_DEACTIVATED',
        403,
      );
    });

    it('links an existing person by email instead of creating another', async () => {
      const other = await createWorkspace(t);
      await addMember(t, other.slug, 'known@jit-link.test');
      const { ws, provider } = await withVerifiedDomain('jit-link.test');
      expect(
        (await postToAcs(t, provider, await responseFor(provider, 'KNOWN@jit-link.test'))).status,
      ).toBe(302);
      const users = await t.dataSource.query(
        `SELECT id FROM users WHERE email = 'known@jit-link.test'`,
      );
      expect(users).toHaveLength(1);
      const member = await t.http
        .get(`/api/workspaces/${ws.slug}/members/${users[0].id}`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(member.body.source).toBe('saml');
      await signIn(t, other.slug, 'known@jit-link.test', PASSWORD);
    });
  });

  describe('failing cases: the response itself', () => {
    const cases: [string, Partial<SamlResponseOptions>, string][] = [
      ['an unsigned response', { sign: 'none' }, 'SAML_SIGNATURE_INVALID'],
      [
        'another Issuer on the assertion',
        { assertionIssuer: 'https://evil.example.net' },
        'SAML_ISSUER_MISMATCH',
      ],
      [
        'another Issuer on the response',
        { responseIssuer: 'https://evil.example.net' },
        'SAML_ISSUER_MISMATCH',
      ],
      ['another Audience', { audience: 'https://other-sp.example.com' }, 'SAML_AUDIENCE_MISMATCH'],
      [
        'another Recipient',
        { recipient: 'https://evil.example.net/acs' },
        'SAML_RECIPIENT_MISMATCH',
      ],
      ['no Recipient', { recipient: null }, 'SAML_RECIPIENT_MISMATCH'],
      [
        'another Destination',
        { destination: 'https://evil.example.net/acs' },
        'SAML_DESTINATION_MISMATCH',
      ],
      ['no Destination', { destination: null }, 'SAML_DESTINATION_MISMATCH'],
      [
        'a non-Success status carrying an assertion',
        { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester' },
        'SAML_STATUS_NOT_SUCCESS',
      ],
      [
        'a holder-of-key subject confirmation',
        { subjectConfirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' },
        'SAML_NOT_BEARER',
      ],
      ['an expired assertion', { now: new Date(Date.now() - 3600_000) }, 'SAML_ASSERTION_EXPIRED'],
      [
        'an assertion not valid yet',
        { notBefore: new Date(Date.now() + 600_000) },
        'SAML_ASSERTION_EXPIRED',
      ],
      ['an unknown InResponseTo', { inResponseTo: '_never-issued' }, 'SAML_UNKNOWN_REQUEST'],
    ];

    it.each(cases)('refuses %s', async (_, overrides, code) => {
      const { provider } = await workspaceWithProvider();
      await expectRefused(provider, await responseFor(provider, 'ada@acme.test', overrides), code);
    });

    it('accepts timestamps within the clock skew', async () => {
      const { provider } = await workspaceWithProvider();
      const xml = await responseFor(provider, 'ada@acme.test', {
        notBefore: new Date(Date.now() + 30_000),
        subjectNotOnOrAfter: new Date(Date.now() - 30_000),
        notOnOrAfter: new Date(Date.now() - 30_000),
      });
      expect((await postToAcs(t, provider, xml)).status).toBe(302);
    });

    it('refuses a response signed with a key that is not the provider certificate', async () => {
      const keys = await idpKeys();
      const { provider } = await workspaceWithProvider();
      await expectRefused(
        provider,
        await responseFor(provider, 'ada@acme.test', { key: keys[2]! }),
        'SAML_SIGNATURE_INVALID',
      );
    });

    it('refuses a response changed after signing', async () => {
      const { provider } = await workspaceWithProvider();
      const xml = tamperAfterSigning(
        await responseFor(provider, 'ada@acme.test'),
        'ada@acme.test',
        'eve@acme.test',
      );
      await expectRefused(provider, xml, 'SAML_SIGNATURE_INVALID');
    });

    it('refuses a replayed assertion', async () => {
      const { provider } = await workspaceWithProvider();
      const xml = await responseFor(provider, 'ada@acme.test');
      expect((await postToAcs(t, provider, xml)).status).toBe(302);
      await expectRefused(provider, xml, 'SAML_REPLAYED');
    });

    it('refuses IdP-initiated responses when the provider does not allow them', async () => {
      const { provider } = await workspaceWithProvider({ extra: { allowIdpInitiated: false } });
      await expectRefused(
        provider,
        await responseFor(provider, 'ada@acme.test'),
        'SAML_IDP_INITIATED_NOT_ALLOWED',
      );
    });

    it.each(['billion-laughs', 'entity-in-nameid', 'declaration-only'] as const)(
      'refuses a DOCTYPE (%s)',
      async (mode) => {
        const { provider } = await workspaceWithProvider();
        await expectRefused(
          provider,
          withDoctype(await responseFor(provider, 'ada@acme.test'), mode),
          'SAML_DOCTYPE_REFUSED',
        );
      },
    );

    it.each([
      'sibling-before',
      'sibling-after',
      'inside-extensions',
      'assertion-wraps-original',
    ] as const)('refuses signature wrapping (%s)', async (variant) => {
      const { ws, provider } = await workspaceWithProvider();
      await addMember(t, ws.slug, 'boss@acme.test', 'admin');
      const signedForAda = await responseFor(provider, 'ada@acme.test');
      const res = await postToAcs(
        t,
        provider,
        wrapAssertionXsw(signedForAda, 'boss@acme.test', variant),
      );
      expect(res.status).toBe(400);
      expect(sessionCookieOf(res)).toBeUndefined();
    });

    it('reads the whole NameID across an injected comment (no truncation to a victim)', async () => {
      const { provider } = await workspaceWithProvider();
      const signed = await responseFor(provider, 'ada@acme.test.evil.example');
      const xml = injectCommentInNameId(signed, {
        before: 'ada@acme.test',
        after: '.evil.example',
      });
      expect(xml).toContain('ada@acme.test<!---->.evil.example');
      await expectRefused(provider, xml, 'NOT_A_MEMBER', 403);
    });

    it('refuses a response without an email', async () => {
      const { provider } = await workspaceWithProvider();
      const xml = await responseFor(provider, 'opaque-id-123', {
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      });
      await expectRefused(provider, xml, 'SAML_NO_EMAIL');
    });

    it.each([
      ['no SAMLResponse', {}],
      ['a SAMLResponse that is not base64', { SAMLResponse: '<Response/>' }],
      [
        'a SAMLResponse that is not a Response',
        { SAMLResponse: Buffer.from('<hello/>').toString('base64') },
      ],
    ])('refuses %s', async (_, body) => {
      const { provider } = await workspaceWithProvider();
      const res = await t.http
        .post(new URL(provider.acsUrl).pathname)
        .type('form')
        .set('Accept', 'application/json')
        .send(body);
      expect([res.status, res.body.code]).toEqual([400, 'SAML_MALFORMED_RESPONSE']);
    });
  });

  describe('failing cases: providers keep apart', () => {
    it('refuses at provider B a response meant for provider A of the same workspace', async () => {
      const keys = await idpKeys();
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'ada@acme.test');
      const a = await createProvider(t, ws.slug, { key: keys[0]!, name: 'A' });
      const b = await createProvider(t, ws.slug, { key: keys[1]!, name: 'B' });
      // Signed by A's IdP for A: B does not trust A's key.
      await expectRefused(b, await responseFor(a, 'ada@acme.test'), 'SAML_SIGNATURE_INVALID');
      // Signed by A's IdP key but addressed to B in every other respect.
      await expectRefused(
        b,
        await responseFor(b, 'ada@acme.test', { key: keys[0]! }),
        'SAML_SIGNATURE_INVALID',
      );
    });

    it('refuses a response signed by the right key but meant for another provider with the same IdP', async () => {
      const keys = await idpKeys();
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'ada@acme.test');
      const a = await createProvider(t, ws.slug, {
        key: keys[0]!,
        name: 'A',
        idpEntityId: 'https://idp.shared',
      });
      const b = await createProvider(t, ws.slug, {
        key: keys[0]!,
        name: 'B',
        idpEntityId: 'https://idp.shared',
      });
      await expectRefused(b, await responseFor(a, 'ada@acme.test'), 'SAML_AUDIENCE_MISMATCH');
    });

    it('refuses a response for a provider of another workspace', async () => {
      const keys = await idpKeys();
      const one = await createWorkspace(t);
      const two = await createWorkspace(t);
      await addMember(t, one.slug, 'ada@acme.test');
      await addMember(t, two.slug, 'ada@acme.test');
      const p1 = await createProvider(t, one.slug, { key: keys[0]! });
      const p2 = await createProvider(t, two.slug, { key: keys[1]! });
      await expectRefused(p2, await responseFor(p1, 'ada@acme.test'), 'SAML_SIGNATURE_INVALID');
      await expectRefused(p1, await responseFor(p2, 'ada@acme.test'), 'SAML_SIGNATURE_INVALID');
    });

    it('refuses an InResponseTo that another provider issued', async () => {
      const keys = await idpKeys();
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'ada@acme.test');
      const a = await createProvider(t, ws.slug, { key: keys[0]!, name: 'A' });
      const b = await createProvider(t, ws.slug, { key: keys[1]!, name: 'B' });
      const login = await t.http.get(new URL(a.loginUrl).pathname).expect(302);
      const request = inflateRawSync(
        Buffer.from(
          new URL(login.headers.location as string).searchParams.get('SAMLRequest')!,
          'base64',
        ),
      ).toString();
      const requestId = /ID="([^"]+)"/.exec(request)![1]!;
      await expectRefused(
        b,
        await responseFor(b, 'ada@acme.test', { inResponseTo: requestId }),
        'SAML_UNKNOWN_REQUEST',
      );
      // At A it answers the request once.
      expect(
        (await postToAcs(t, a, await responseFor(a, 'ada@acme.test', { inResponseTo: requestId })))
          .status,
      ).toBe(302);
      await expectRefused(
        a,
        await responseFor(a, 'ada@acme.test', { inResponseTo: requestId }),
        'SAML_UNKNOWN_REQUEST',
      );
    });
  });

  describe('failing cases: workspace and provider state', () => {
    it('refuses with the exact message when SAML is disabled, at login and at the ACS', async () => {
      const { ws, provider } = await workspaceWithProvider();
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ signInMethods: { saml: false } })
        .expect(200);
      const login = await t.http
        .get(new URL(provider.loginUrl).pathname)
        .set('Accept', 'application/json')
        .expect(403);
      expect(login.body).toMatchObject({
        code: 'SIGN_IN_METHOD_DISABLED',
        message: DISABLED_MESSAGE,
      });
      const res = await postToAcs(t, provider, await responseFor(provider, 'ada@acme.test'));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({
        code: 'SIGN_IN_METHOD_DISABLED',
        message: DISABLED_MESSAGE,
      });
    });

    it('refuses a disabled provider and an unknown one', async () => {
      const { ws, provider } = await workspaceWithProvider();
      await t.http
        .patch(`/api/workspaces/${ws.slug}/saml-providers/${provider.id}`)
        .set('Authorization', t.internal)
        .send({ enabled: false })
        .expect(200);
      await expectRefused(
        provider,
        await responseFor(provider, 'ada@acme.test'),
        'SAML_PROVIDER_DISABLED',
        403,
      );
      const unknown = await t.http
        .get('/auth/saml/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/login')
        .set('Accept', 'application/json')
        .expect(404);
      expect(unknown.body.code).toBe('SAML_PROVIDER_NOT_FOUND');
    });

    it('records every refusal in the audit trail with its reason', async () => {
      const { ws, provider } = await workspaceWithProvider();
      await postToAcs(
        t,
        provider,
        await responseFor(provider, 'ada@acme.test', { audience: 'https://nope' }),
      );
      const audit = await t.http
        .get(`/api/workspaces/${ws.slug}/audit-events?action=auth.sign_in_failed`)
        .set('Authorization', t.internal);
      expect(audit.body.items[0]).toMatchObject({
        channel: 'saml',
        actorType: 'idp',
        targetId: provider.id,
        details: { method: 'saml', reason: 'SAML_AUDIENCE_MISMATCH' },
      });
      // Refusals after the response was read name the person it asserted.
      await postToAcs(t, provider, await responseFor(provider, 'nobody@acme.test'));
      await t.http
        .patch(`/api/workspaces/${ws.slug}/saml-providers/${provider.id}`)
        .set('Authorization', t.internal)
        .send({ enabled: false })
        .expect(200);
      await postToAcs(t, provider, await responseFor(provider, 'ada@acme.test'));
      const later = await t.http
        .get(`/api/workspaces/${ws.slug}/audit-events?action=auth.sign_in_failed`)
        .set('Authorization', t.internal);
      expect(later.body.items.slice(0, 2).map((e: { details: object }) => e.details)).toEqual([
        expect.objectContaining({ reason: 'SAML_PROVIDER_DISABLED' }),
        expect.objectContaining({ reason: 'NOT_A_MEMBER', email: 'nobody@acme.test' }),
      ]);
    });

    it('shows a browser an error page, never a stack trace', async () => {
      const { provider } = await workspaceWithProvider();
      const res = await t.http
        .post(new URL(provider.acsUrl).pathname)
        .type('form')
        .set('Accept', 'text/html,application/xhtml+xml')
        .send({ SAMLResponse: 'bm90IHhtbA==' })
        .expect(400);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('SAML_MALFORMED_RESPONSE');
      expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/);
    });
  });
});

describe('SAML sign-in throttling', () => {
  it('pauses a client address after repeated refused responses', async () => {
    const t = await startTestApp({ LOGIN_MAX_FAILURES_PER_IP: '3' });
    try {
      const keys = await idpKeys();
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'ada@acme.test');
      const provider = await createProvider(t, ws.slug, { key: keys[0]! });
      for (let i = 0; i < 3; i++) {
        const res = await postToAcs(
          t,
          provider,
          await responseFor(provider, 'ada@acme.test', { sign: 'none' }),
        );
        expect(res.status).toBe(400);
      }
      const blocked = await postToAcs(t, provider, await responseFor(provider, 'ada@acme.test'));
      expect([blocked.status, blocked.body.code]).toEqual([429, 'TOO_MANY_ATTEMPTS']);
    } finally {
      await t.close();
    }
  });
});

describe('SAML login with the HTTP-POST binding', () => {
  it('answers with an auto-posting form the browser may submit to the IdP', async () => {
    const t = await startTestApp();
    try {
      const keys = await idpKeys();
      const ws = await createWorkspace(t);
      const metadataXml = idpMetadataXml({
        entityId: 'https://post-only.example.com',
        ssoUrl: 'https://post-only.example.com/sso',
        key: keys[0]!,
      }).replace(/<[^>]*SingleSignOnService[^>]*HTTP-Redirect[^>]*\/>/, '');
      expect(metadataXml).not.toContain('HTTP-Redirect');
      const created = await t.http
        .post(`/api/workspaces/${ws.slug}/saml-providers`)
        .set('Authorization', t.internal)
        .send({ name: 'POST only', metadataXml })
        .expect(201);
      expect(created.body.idpSsoBinding).toBe('HTTP-POST');
      const login = await t.http.get(new URL(created.body.loginUrl as string).pathname).expect(200);
      expect(login.text).toContain('action="https://post-only.example.com/sso"');
      expect(login.text).toContain('name="SAMLRequest"');
      expect(login.headers['content-security-policy']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
