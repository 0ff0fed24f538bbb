import { DOMParser } from '@xmldom/xmldom';
import {
  addMember,
  createWorkspace,
  signIn,
  workspaceWithSignedInAdmin,
} from '../support/fixtures.js';
import {
  createProvider,
  idpKeys,
  postToAcs,
  type ProviderFixture,
  responseFor,
} from '../support/saml-fixtures.js';
import { idpMetadataXml } from '../support/saml-idp.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('SAML providers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const base = (ws: string) => `/api/workspaces/${ws}/saml-providers`;

  it('creates a provider from fields, with its own token and URLs', async () => {
    const [key] = await idpKeys();
    const ws = await createWorkspace(t);
    const res = await t.http
      .post(base(ws.slug))
      .set('Authorization', t.internal)
      .send({
        name: 'Okta',
        idpEntityId: 'http://www.okta.com/exk1',
        idpSsoUrl: 'https://acme.okta.com/app/gatehouse/exk1/sso/saml',
        idpCertificates: [key!.certificatePem],
      })
      .expect(201);
    const token = res.body.providerToken as string;
    // Letters and digits only: Okta's App Integration Wizard refuses an ACS URL with `_`.
    expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(res.body).toMatchObject({
      name: 'Okta',
      enabled: true,
      idpEntityId: 'http://www.okta.com/exk1',
      idpSsoBinding: 'HTTP-Redirect',
      allowIdpInitiated: true,
      signAuthnRequests: false,
      wantEncryptedAssertions: false,
      acsUrl: `http://gatehouse.test/auth/saml/${token}/acs`,
      spEntityId: `http://gatehouse.test/auth/saml/${token}/metadata`,
      spMetadataUrl: `http://gatehouse.test/auth/saml/${token}/metadata`,
      loginUrl: `http://gatehouse.test/auth/saml/${token}/login`,
      idpCertificates: [
        expect.objectContaining({
          subject: 'CN=Test IdP 1',
          expired: false,
          pem: key!.certificatePem,
        }),
      ],
    });
    expect(res.body.spCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY/);
    const rows: { sp_private_key_sealed: string }[] = await t.dataSource.query(
      `SELECT sp_private_key_sealed FROM saml_providers WHERE id = $1`,
      [res.body.id],
    );
    expect(rows[0]!.sp_private_key_sealed).not.toMatch(/PRIVATE KEY/);
  });

  it('creates a provider from IdP metadata, with every signing certificate', async () => {
    const [a, b] = await idpKeys();
    const ws = await createWorkspace(t);
    const metadataXml = idpMetadataXml({
      entityId: 'https://sts.windows.net/tenant/',
      ssoUrl: 'https://login.microsoftonline.com/tenant/saml2',
      key: a!,
      extraSigningKeys: [b!],
    });
    const res = await t.http
      .post(base(ws.slug))
      .set('Authorization', t.internal)
      .send({ name: 'Entra ID', metadataXml })
      .expect(201);
    expect(res.body).toMatchObject({
      idpEntityId: 'https://sts.windows.net/tenant/',
      idpSsoUrl: 'https://login.microsoftonline.com/tenant/saml2',
      idpSsoBinding: 'HTTP-Redirect',
    });
    expect(res.body.idpCertificates.map((c: { pem: string }) => c.pem)).toEqual([
      a!.certificatePem,
      b!.certificatePem,
    ]);
  });

  it('lets several providers live in one workspace, and lists, reads, updates, deletes them', async () => {
    const [a, b] = await idpKeys();
    const ws = await workspaceWithSignedInAdmin(t);
    const first = await createProvider(t, ws.slug, { key: a!, name: 'First' });
    const second = await createProvider(t, ws.slug, { key: b!, name: 'Second' });
    expect(first.providerToken).not.toBe(second.providerToken);
    const list = await t.http.get(base(ws.slug)).set('Cookie', ws.adminCookie).expect(200);
    expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['First', 'Second']);

    const updated = await t.http
      .patch(`${base(ws.slug)}/${first.id}`)
      .set('Cookie', ws.adminCookie)
      .send({
        name: 'Renamed',
        enabled: false,
        idpCertificates: [a!.certificatePem, b!.certificatePem],
      })
      .expect(200);
    expect(updated.body).toMatchObject({
      name: 'Renamed',
      enabled: false,
      providerToken: first.providerToken,
    });
    expect(updated.body.idpCertificates).toHaveLength(2);
    await t.http
      .get(`${base(ws.slug)}/${first.id}`)
      .set('Cookie', ws.adminCookie)
      .expect(200);

    await t.http
      .delete(`${base(ws.slug)}/${first.id}`)
      .set('Cookie', ws.adminCookie)
      .expect(204);
    await t.http
      .get(`${base(ws.slug)}/${first.id}`)
      .set('Cookie', ws.adminCookie)
      .expect(404);

    const audit = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events?targetId=${first.id}`)
      .set('Cookie', ws.adminCookie);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      'saml_provider.deleted',
      'saml_provider.updated',
      'saml_provider.created',
    ]);
    expect(audit.body.items[1]).toMatchObject({
      before: { name: 'First' },
      after: { name: 'Renamed', enabled: false },
    });
  });

  it('serves SP metadata an IdP can import', async () => {
    const [key] = await idpKeys();
    const ws = await createWorkspace(t);
    const plain = await createProvider(t, ws.slug, { key: key!, name: 'Plain' });
    const res = await t.http.get(new URL(plain.spMetadataUrl).pathname).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/samlmetadata\+xml/);
    const doc = new DOMParser().parseFromString(res.text, 'text/xml');
    const entity = doc.documentElement!;
    expect(entity.localName).toBe('EntityDescriptor');
    expect(entity.getAttribute('entityID')).toBe(plain.spEntityId);
    const acs = doc.getElementsByTagNameNS(
      'urn:oasis:names:tc:SAML:2.0:metadata',
      'AssertionConsumerService',
    )[0]!;
    expect(acs.getAttribute('Location')).toBe(plain.acsUrl);
    expect(acs.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(
      doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:metadata', 'KeyDescriptor'),
    ).toHaveLength(0);

    const signing = await createProvider(t, ws.slug, {
      key: key!,
      name: 'Signing',
      extra: { signAuthnRequests: true, wantEncryptedAssertions: true },
    });
    const signed = await t.http.get(new URL(signing.spMetadataUrl).pathname).expect(200);
    const sdoc = new DOMParser().parseFromString(signed.text, 'text/xml');
    const sp = sdoc.getElementsByTagNameNS(
      'urn:oasis:names:tc:SAML:2.0:metadata',
      'SPSSODescriptor',
    )[0]!;
    expect(sp.getAttribute('AuthnRequestsSigned')).toBe('true');
    const uses = Array.from(
      sdoc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:metadata', 'KeyDescriptor'),
    ).map((k) => k.getAttribute('use'));
    expect(uses.sort()).toEqual(['encryption', 'signing']);
    const spCert = (
      await t.http.get(`${base(ws.slug)}/${signing.id}`).set('Authorization', t.internal)
    ).body.spCertificate as string;
    const body = spCert.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(signed.text.replace(/\s/g, '')).toContain(body);
  });

  it('warns in the settings when SAML is on without an enabled provider', async () => {
    const [key] = await idpKeys();
    const ws = await createWorkspace(t);
    // This server has no Office365 configuration: that is warned about too (until it is off).
    await t.http
      .patch(`/api/workspaces/${ws.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ signInMethods: { office365: false } })
      .expect(200);
    const before = await t.http.get(`/api/workspaces/${ws.slug}`).set('Authorization', t.internal);
    expect(before.body.warnings).toEqual([
      expect.objectContaining({ code: 'SAML_WITHOUT_PROVIDER' }),
    ]);
    const provider = await createProvider(t, ws.slug, { key: key! });
    const after = await t.http.get(`/api/workspaces/${ws.slug}`).set('Authorization', t.internal);
    expect(after.body.warnings).toEqual([]);
    const disabled = await t.http
      .patch(`${base(ws.slug)}/${provider.id}`)
      .set('Authorization', t.internal)
      .send({ enabled: false })
      .expect(200);
    expect(disabled.body.enabled).toBe(false);
    const settings = await t.http
      .patch(`/api/workspaces/${ws.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ sessionLifetimeSeconds: 3600 })
      .expect(200);
    expect(settings.body.warnings.map((w: { code: string }) => w.code)).toEqual([
      'SAML_WITHOUT_PROVIDER',
    ]);
  });

  describe('provider tokens made before letters-and-digits-only', () => {
    /** A provider whose token is rewritten to an older base64url one, with `_` and `-`. */
    async function withOldToken(workspace: string): Promise<ProviderFixture> {
      const [key] = await idpKeys();
      const provider = await createProvider(t, workspace, { key: key! });
      const oldToken = 'Old_style-TOKEN_with-base64url_';
      expect(oldToken).toMatch(/^[A-Za-z0-9_-]+$/);
      await t.dataSource.query(`UPDATE saml_providers SET provider_token = $2 WHERE id = $1`, [
        provider.id,
        oldToken + provider.providerToken.slice(0, 2),
      ]);
      const read = await t.http
        .get(`${base(workspace)}/${provider.id}`)
        .set('Authorization', t.internal)
        .expect(200);
      expect(read.body.providerToken).toContain('_');
      expect(read.body.acsUrl).toBe(
        `http://gatehouse.test/auth/saml/${read.body.providerToken}/acs`,
      );
      return { ...provider, ...(read.body as Omit<ProviderFixture, 'key'>) };
    }

    it('still serves the SP metadata under the old token', async () => {
      const ws = await createWorkspace(t);
      const provider = await withOldToken(ws.slug);
      const res = await t.http.get(new URL(provider.spMetadataUrl).pathname).expect(200);
      const doc = new DOMParser().parseFromString(res.text, 'text/xml');
      expect(doc.documentElement!.getAttribute('entityID')).toBe(provider.spEntityId);
    });

    it('still signs people in at the old ACS URL', async () => {
      const ws = await createWorkspace(t);
      const provider = await withOldToken(ws.slug);
      const res = await postToAcs(t, provider, await responseFor(provider, ws.adminEmail));
      expect(res.status).toBe(302);
      const cookie = (res.headers['set-cookie'] as unknown as string[])
        .map((c) => c.split(';')[0])
        .join('; ');
      const session = await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      expect(session.body).toMatchObject({ method: 'saml', user: { email: ws.adminEmail } });
    });
  });

  describe('failing cases', () => {
    const fields = (cert: string) => ({
      name: 'X',
      idpEntityId: 'https://idp.example.com',
      idpSsoUrl: 'https://idp.example.com/sso',
      idpCertificates: [cert],
    });

    it.each([
      ['not base64 at all', '%%% not a certificate %%%'],
      ['base64 that is no certificate', Buffer.from('hello world').toString('base64')],
      ['a truncated certificate', 'MIIC'],
    ])('refuses %s, naming the certificate', async (_, cert) => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send(fields(cert))
        .expect(400);
      expect(res.body.code).toBe('SAML_INVALID_CERTIFICATE');
      expect(res.body.message).toContain('idpCertificates[0]');
      const list = await t.http.get(base(ws.slug)).set('Authorization', t.internal);
      expect(list.body.total).toBe(0);
    });

    it.each([
      ['not XML', 'this is not xml', /well-formed/],
      [
        'SP metadata',
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>',
        /IDPSSODescriptor/,
      ],
      ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><x/>', /DOCTYPE/],
    ])('refuses metadata that is %s', async (_, metadataXml, message) => {
      const ws = await createWorkspace(t);
      const res = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send({ name: 'X', metadataXml })
        .expect(400);
      expect(res.body.code).toBe('SAML_INVALID_METADATA');
      expect(res.body.message).toMatch(message);
    });

    it('refuses metadata without a signing certificate', async () => {
      const [key] = await idpKeys();
      const ws = await createWorkspace(t);
      const metadataXml = idpMetadataXml({
        entityId: 'https://idp',
        ssoUrl: 'https://idp/sso',
        key: key!,
      }).replace(/<(\w+:)?KeyDescriptor[\s\S]*<\/(\w+:)?KeyDescriptor>/, '');
      const res = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send({ name: 'X', metadataXml });
      expect([res.status, res.body.code]).toEqual([400, 'SAML_INVALID_METADATA']);
      expect(res.body.message).toMatch(/signing certificate/);
    });

    it('refuses metadata and fields together, and missing fields', async () => {
      const [key] = await idpKeys();
      const ws = await createWorkspace(t);
      const both = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send({ ...fields(key!.certificatePem), metadataXml: '<x/>' })
        .expect(400);
      expect(both.body.code).toBe('SAML_INVALID_PROVIDER_INPUT');
      const missing = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send({ name: 'X', idpEntityId: 'https://idp.example.com' })
        .expect(400);
      expect(missing.body.code).toBe('SAML_INVALID_PROVIDER_INPUT');
    });

    it.each([
      [{ idpSsoUrl: 'ftp://idp.example.com' }, 'idpSsoUrl'],
      [{ idpCertificates: [] }, 'idpCertificates'],
      [{ name: '' }, 'name'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ acsUrl: 'https://evil.example.net' }, 'acsUrl'],
    ])('refuses invalid input %j', async (override, field) => {
      const [key] = await idpKeys();
      const ws = await createWorkspace(t);
      const res = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send({ ...fields(key!.certificatePem), ...override })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('refuses a duplicate name in the same workspace (case-insensitive)', async () => {
      const [key] = await idpKeys();
      const ws = await createWorkspace(t);
      await createProvider(t, ws.slug, { key: key!, name: 'Okta' });
      const res = await t.http
        .post(base(ws.slug))
        .set('Authorization', t.internal)
        .send({ ...fields(key!.certificatePem), name: 'OKTA' })
        .expect(409);
      expect(res.body.code).toBe('SAML_PROVIDER_NAME_TAKEN');
    });

    it('keeps workspaces apart', async () => {
      const [key] = await idpKeys();
      const a = await workspaceWithSignedInAdmin(t);
      const b = await workspaceWithSignedInAdmin(t);
      const providerOfB = await createProvider(t, b.slug, { key: key! });
      await t.http.get(base(b.slug)).set('Cookie', a.adminCookie).expect(404);
      const res = await t.http
        .get(`${base(a.slug)}/${providerOfB.id}`)
        .set('Cookie', a.adminCookie)
        .expect(404);
      expect(res.body.code).toBe('SAML_PROVIDER_NOT_FOUND');
      await t.http
        .patch(`${base(a.slug)}/${providerOfB.id}`)
        .set('Cookie', a.adminCookie)
        .send({ name: 'x' })
        .expect(404);
      await t.http
        .delete(`${base(a.slug)}/${providerOfB.id}`)
        .set('Cookie', a.adminCookie)
        .expect(404);
      await t.http
        .get(`${base(a.slug)}/not-a-uuid`)
        .set('Cookie', a.adminCookie)
        .expect(404);
    });

    it('is for admins only', async () => {
      const ws = await createWorkspace(t);
      await addMember(t, ws.slug, 'member@example.com');
      const cookie = await signIn(t, ws.slug, 'member@example.com');
      const res = await t.http.get(base(ws.slug)).set('Cookie', cookie).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
      await t.http.get(base(ws.slug)).expect(401);
    });

    it('answers 404 for the metadata of an unknown token', async () => {
      const res = await t.http
        .get('/auth/saml/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/metadata')
        .expect(404);
      expect(res.body.code).toBe('SAML_PROVIDER_NOT_FOUND');
    });
  });
});
