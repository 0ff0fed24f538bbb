/**
 * The test IdP (xmldsigjs) checked against an independent verifier (xml-crypto, what
 * @node-saml/node-saml uses). No database, no Gatehouse app.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { DOMParser, XMLSerializer, type Element as XmlElement } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import {
  buildSamlResponse,
  DSIG_NS,
  encodeRedirectSamlRequest,
  encodeSamlResponse,
  EXC_C14N,
  generateIdpKeyPair,
  idpMetadataXml,
  injectCommentInNameId,
  MD_NS,
  pemBody,
  RSA_SHA256,
  SAML_NS,
  SAMLP_NS,
  SHA256,
  startSamlIdp,
  tamperAfterSigning,
  withDoctype,
  wrapAssertionXsw,
  type IdpKeyPair,
  type RunningIdp,
  type SamlResponseOptions,
  type XswVariant,
} from '../support/saml-idp.js';

const ISSUER = 'http://idp.example.test/exk123';
const SP_ENTITY = 'https://gatehouse.example.test/saml/metadata';
const ACS = 'https://gatehouse.example.test/api/saml/acs';
const ALICE = 'alice@example.com';

let key: IdpKeyPair;
let otherKey: IdpKeyPair;

beforeAll(async () => {
  [key, otherKey] = await Promise.all([generateIdpKeyPair(), generateIdpKeyPair('Other IdP')]);
});

function options(overrides: Partial<SamlResponseOptions> = {}): SamlResponseOptions {
  return {
    key,
    issuer: ISSUER,
    acsUrl: ACS,
    audience: SP_ENTITY,
    nameId: ALICE,
    attributes: { firstName: 'Alice', groups: ['admins', 'staff'] },
    ...overrides,
  };
}

function parse(xml: string) {
  return new DOMParser().parseFromString(xml, 'application/xml');
}

function elements(xml: string, ns: string, localName: string): XmlElement[] {
  return Array.from(parse(xml).getElementsByTagNameNS(ns, localName));
}

interface Verification {
  valid: boolean;
  /** Local name of the element that holds the Signature. */
  parent: string | null;
  parentId: string | null;
  uris: string[];
  signed: string[];
  transforms: string[];
}

/** Verifies every ds:Signature of the document with xml-crypto and the given certificate. */
function verifyAll(xml: string, certificatePem = key.certificatePem): Verification[] {
  return elements(xml, DSIG_NS, 'Signature').map((signature) => {
    const verifier = new SignedXml({ publicCert: certificatePem });
    verifier.loadSignature(new XMLSerializer().serializeToString(signature));
    const parent = signature.parentNode as XmlElement;
    let valid: boolean;
    try {
      valid = verifier.checkSignature(xml);
    } catch {
      valid = false;
    }
    return {
      valid,
      parent: parent.localName,
      parentId: parent.getAttribute('ID'),
      uris: verifier.getReferences().map((r) => r.uri),
      signed: valid ? verifier.getSignedReferences() : [],
      transforms: verifier.getReferences().flatMap((r) => [...r.transforms]),
    };
  });
}

function nameIdText(xml: string, index = 0): string | null | undefined {
  return elements(xml, SAML_NS, 'NameID')[index]?.firstChild?.nodeValue;
}

describe('generateIdpKeyPair', () => {
  it('makes an RSA 2048 key and a self-signed SHA-256 certificate valid from yesterday for a year', () => {
    const cert = new X509Certificate(key.certificatePem);
    expect(cert.subject).toBe('CN=Gatehouse Test IdP');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(createPrivateKey(key.privateKeyPem))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    expect(Date.now() - from).toBeGreaterThan(23 * 3600 * 1000);
    expect(to - from).toBeGreaterThanOrEqual(364 * 24 * 3600 * 1000);
    expect(key.privateKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5' });
  });
});

describe('buildSamlResponse', () => {
  it('signs the assertion by default: enveloped, exc-c14n, RSA-SHA256, SHA-256, after the Issuer', async () => {
    const xml = await buildSamlResponse(options({ assertionId: '_a1', responseId: '_r1' }));
    const [result, ...rest] = verifyAll(xml);
    expect(rest).toHaveLength(0);
    expect(result).toMatchObject({
      valid: true,
      parent: 'Assertion',
      parentId: '_a1',
      uris: ['#_a1'],
    });
    expect(result!.transforms).toEqual([
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      EXC_C14N,
    ]);
    expect(result!.signed[0]).toContain(`>${ALICE}</saml:NameID>`);
    expect(result!.signed[0]).toMatch(/^<saml:Assertion /);

    const signature = elements(xml, DSIG_NS, 'Signature')[0]!;
    expect((signature.previousSibling as XmlElement).localName).toBe('Issuer');
    const algorithm = (name: string) => elements(xml, DSIG_NS, name)[0]!.getAttribute('Algorithm');
    expect(algorithm('CanonicalizationMethod')).toBe(EXC_C14N);
    expect(algorithm('SignatureMethod')).toBe(RSA_SHA256);
    expect(algorithm('DigestMethod')).toBe(SHA256);
    expect(elements(xml, DSIG_NS, 'X509Certificate')[0]!.textContent).toBe(
      pemBody(key.certificatePem),
    );
  });

  it('fills the Okta-like structure', async () => {
    const now = new Date('2030-01-02T03:04:05.000Z');
    const xml = await buildSamlResponse(
      options({
        inResponseTo: '_req1',
        now,
        sessionNotOnOrAfter: new Date('2030-01-02T11:04:05.000Z'),
      }),
    );
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><samlp:Response ')).toBe(true);
    const response = parse(xml).documentElement!;
    expect(response.namespaceURI).toBe(SAMLP_NS);
    expect(response.getAttribute('Version')).toBe('2.0');
    expect(response.getAttribute('Destination')).toBe(ACS);
    expect(response.getAttribute('InResponseTo')).toBe('_req1');
    expect(response.getAttribute('IssueInstant')).toBe('2030-01-02T03:04:05.000Z');
    const one = (ns: string, name: string) => elements(xml, ns, name)[0]!;
    expect(elements(xml, SAML_NS, 'Issuer').map((e) => e.textContent)).toEqual([ISSUER, ISSUER]);
    expect(one(SAMLP_NS, 'StatusCode').getAttribute('Value')).toBe(
      'urn:oasis:names:tc:SAML:2.0:status:Success',
    );
    expect(one(SAML_NS, 'NameID').getAttribute('Format')).toBe(
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    );
    expect(one(SAML_NS, 'SubjectConfirmation').getAttribute('Method')).toBe(
      'urn:oasis:names:tc:SAML:2.0:cm:bearer',
    );
    const data = one(SAML_NS, 'SubjectConfirmationData');
    expect(data.getAttribute('Recipient')).toBe(ACS);
    expect(data.getAttribute('InResponseTo')).toBe('_req1');
    expect(data.getAttribute('NotOnOrAfter')).toBe('2030-01-02T03:09:05.000Z');
    const conditions = one(SAML_NS, 'Conditions');
    expect(conditions.getAttribute('NotBefore')).toBe('2030-01-02T03:03:05.000Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2030-01-02T03:09:05.000Z');
    expect(one(SAML_NS, 'Audience').textContent).toBe(SP_ENTITY);
    const authn = one(SAML_NS, 'AuthnStatement');
    expect(authn.getAttribute('AuthnInstant')).toBe('2030-01-02T03:04:05.000Z');
    expect(authn.getAttribute('SessionIndex')).toMatch(/^_[0-9a-f]+$/);
    expect(authn.getAttribute('SessionNotOnOrAfter')).toBe('2030-01-02T11:04:05.000Z');
    expect(one(SAML_NS, 'AuthnContextClassRef').textContent).toBe(
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    );
    const attributes = elements(xml, SAML_NS, 'Attribute').map((a) => ({
      name: a.getAttribute('Name'),
      format: a.getAttribute('NameFormat'),
      values: Array.from(a.getElementsByTagNameNS(SAML_NS, 'AttributeValue')).map((v) => [
        v.getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'type'),
        v.textContent,
      ]),
    }));
    expect(attributes).toEqual([
      {
        name: 'firstName',
        format: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
        values: [['xs:string', 'Alice']],
      },
      {
        name: 'groups',
        format: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
        values: [
          ['xs:string', 'admins'],
          ['xs:string', 'staff'],
        ],
      },
    ]);
  });

  it('omits what null / undefined say to omit and nests a second-level status code', async () => {
    const xml = await buildSamlResponse(
      options({
        responseIssuer: null,
        destination: null,
        recipient: null,
        statusCode: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
        attributes: {},
        assertionIssuer: 'https://other.example.test',
      }),
    );
    const response = parse(xml).documentElement!;
    expect(response.hasAttribute('Destination')).toBe(false);
    expect(response.hasAttribute('InResponseTo')).toBe(false);
    expect(elements(xml, SAML_NS, 'Issuer').map((e) => e.textContent)).toEqual([
      'https://other.example.test',
    ]);
    const data = elements(xml, SAML_NS, 'SubjectConfirmationData')[0]!;
    expect(data.hasAttribute('Recipient')).toBe(false);
    expect(data.hasAttribute('InResponseTo')).toBe(false);
    expect(elements(xml, SAMLP_NS, 'StatusCode').map((e) => e.getAttribute('Value'))).toEqual([
      'urn:oasis:names:tc:SAML:2.0:status:Responder',
      'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
    ]);
    expect(elements(xml, SAML_NS, 'AttributeStatement')).toHaveLength(0);
    expect(elements(xml, SAML_NS, 'Assertion')).toHaveLength(1); // the attack case
    expect(verifyAll(xml).map((v) => v.valid)).toEqual([true]);
  });

  it("sign: 'response' signs only the Response, Signature right after its Issuer", async () => {
    const xml = await buildSamlResponse(options({ sign: 'response', responseId: '_r2' }));
    const results = verifyAll(xml);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ valid: true, parent: 'Response', uris: ['#_r2'] });
    expect(results[0]!.signed[0]).toMatch(/^<samlp:Response /);
    const signature = elements(xml, DSIG_NS, 'Signature')[0]!;
    expect((signature.previousSibling as XmlElement).localName).toBe('Issuer');
    expect((signature.nextSibling as XmlElement).localName).toBe('Status');
  });

  it("sign: 'response' without a Response Issuer puts the Signature first", async () => {
    const xml = await buildSamlResponse(options({ sign: 'response', responseIssuer: null }));
    const signature = elements(xml, DSIG_NS, 'Signature')[0]!;
    expect(signature.previousSibling).toBeNull();
    expect(verifyAll(xml).map((v) => v.valid)).toEqual([true]);
  });

  it("sign: 'both' signs the assertion, then the response (which covers the assertion's signature)", async () => {
    const xml = await buildSamlResponse(
      options({ sign: 'both', assertionId: '_a3', responseId: '_r3' }),
    );
    const results = verifyAll(xml);
    expect(results.map((r) => [r.valid, r.parent, r.uris[0]])).toEqual([
      [true, 'Response', '#_r3'],
      [true, 'Assertion', '#_a3'],
    ]);
    expect(results[0]!.signed[0]).toContain('<ds:SignatureValue>');
  });

  it("sign: 'none' has no Signature", async () => {
    const xml = await buildSamlResponse(options({ sign: 'none' }));
    expect(elements(xml, DSIG_NS, 'Signature')).toHaveLength(0);
    expect(xml).not.toContain('Signature');
  });

  it.each(['assertion', 'response', 'both'] as const)(
    "tampering after signing breaks the signature (sign: '%s')",
    async (sign) => {
      const xml = await buildSamlResponse(options({ sign }));
      const tampered = tamperAfterSigning(xml, ALICE, 'admin@example.com');
      expect(nameIdText(tampered)).toBe('admin@example.com');
      expect(verifyAll(tampered).some((v) => v.valid)).toBe(false);
    },
  );

  it('does not verify with another certificate', async () => {
    const xml = await buildSamlResponse(options());
    expect(verifyAll(xml, otherKey.certificatePem).map((v) => v.valid)).toEqual([false]);
  });

  it('escapes XML special characters in values', async () => {
    const xml = await buildSamlResponse(
      options({ nameId: 'o\'neil&<x>"@example.com', attributes: { 'a&b': '<v>' } }),
    );
    expect(elements(xml, SAML_NS, 'NameID')[0]!.textContent).toBe('o\'neil&<x>"@example.com');
    expect(elements(xml, SAML_NS, 'Attribute')[0]!.getAttribute('Name')).toBe('a&b');
    expect(verifyAll(xml).map((v) => v.valid)).toEqual([true]);
  });

  it('encodeSamlResponse is plain base64 of the UTF-8 XML', async () => {
    const xml = await buildSamlResponse(options({ nameId: 'zoë@example.com' }));
    expect(Buffer.from(encodeSamlResponse(xml), 'base64').toString('utf8')).toBe(xml);
  });
});

describe('attack helpers', () => {
  let signed: string;
  let originalId: string;

  beforeAll(async () => {
    signed = await buildSamlResponse(options({ nameId: 'admin@evil.com.attacker.com' }));
    originalId = elements(signed, SAML_NS, 'Assertion')[0]!.getAttribute('ID')!;
  });

  it('comment injection still verifies under exclusive C14N; the first text node is the prefix', () => {
    const xml = injectCommentInNameId(signed, { before: 'admin@evil.com', after: '.attacker.com' });
    expect(xml).toContain('<saml:NameID');
    expect(xml).toContain('>admin@evil.com<!---->.attacker.com</saml:NameID>');
    expect(nameIdText(xml)).toBe('admin@evil.com');
    const [result] = verifyAll(xml);
    expect(result!.valid).toBe(true);
    // What was signed (and what an SP must read) is the whole value, without the comment.
    expect(result!.signed[0]).toContain('>admin@evil.com.attacker.com</saml:NameID>');
  });

  it('comment injection refuses a split that is not the signed NameID', () => {
    expect(() => injectCommentInNameId(signed, { before: 'admin@evil.com', after: '' })).toThrow(
      /no NameID/,
    );
  });

  const differentId: [XswVariant, (xml: string) => XmlElement][] = [
    ['sibling-before', (xml) => elements(xml, SAML_NS, 'Assertion')[0]!],
    ['sibling-after', (xml) => elements(xml, SAML_NS, 'Assertion').at(-1)!],
    [
      'inside-extensions',
      (xml) =>
        Array.from(parse(xml).documentElement!.childNodes).find(
          (n) => (n as XmlElement).localName === 'Assertion',
        ) as XmlElement,
    ],
  ];

  it.each(differentId)(
    'XSW %s: the original still verifies by ID; the naive read is the evil assertion',
    (variant, naiveRead) => {
      const xml = wrapAssertionXsw(signed, 'evil@example.com', variant);
      const assertions = elements(xml, SAML_NS, 'Assertion');
      expect(assertions).toHaveLength(2);
      const evil = naiveRead(xml);
      expect(evil.getAttribute('ID')).not.toBe(originalId);
      expect(evil.getElementsByTagNameNS(SAML_NS, 'NameID')[0]!.textContent).toBe(
        'evil@example.com',
      );
      expect(evil.getElementsByTagNameNS(DSIG_NS, 'Signature')).toHaveLength(0);
      const [result, ...rest] = verifyAll(xml);
      expect(rest).toHaveLength(0);
      expect(result).toMatchObject({ valid: true, parentId: originalId, uris: [`#${originalId}`] });
      expect(result!.signed[0]).toContain('>admin@evil.com.attacker.com</saml:NameID>');
      if (variant === 'inside-extensions') {
        const extensions = elements(xml, SAMLP_NS, 'Extensions')[0]!;
        expect((extensions.previousSibling as XmlElement).localName).toBe('Issuer');
        expect((extensions.nextSibling as XmlElement).localName).toBe('Status');
        expect((extensions.firstChild as XmlElement).getAttribute('ID')).toBe(originalId);
      }
    },
  );

  it('XSW assertion-wraps-original: same ID, original inside the evil Advice; xml-crypto refuses duplicate IDs', () => {
    const xml = wrapAssertionXsw(signed, 'evil@example.com', 'assertion-wraps-original');
    const [outer, inner] = elements(xml, SAML_NS, 'Assertion');
    expect(outer!.getAttribute('ID')).toBe(originalId);
    expect(inner!.getAttribute('ID')).toBe(originalId);
    expect((inner!.parentNode as XmlElement).localName).toBe('Advice');
    expect((inner!.parentNode!.parentNode as XmlElement) === outer).toBe(true);
    expect(nameIdText(xml, 0)).toBe('evil@example.com');
    expect(nameIdText(xml, 1)).toBe('admin@evil.com.attacker.com');
    const signature = elements(xml, DSIG_NS, 'Signature')[0]!;
    const verifier = new SignedXml({ publicCert: key.certificatePem });
    verifier.loadSignature(new XMLSerializer().serializeToString(signature));
    expect(() => verifier.checkSignature(xml)).toThrow(/same value for the ID/);
  });

  it('withDoctype (billion laughs) keeps the declaration first and the assertion signature intact', () => {
    const xml = withDoctype(signed);
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><!DOCTYPE samlp:Response \[<!ENTITY lol "lol">/,
    );
    expect(xml).toContain('<samlp:StatusMessage>&lol3;</samlp:StatusMessage></samlp:Status>');
    // Only the unsigned Status changed: a parser that accepts the DTD accepts the signature.
    const body = xml.slice(xml.indexOf(']>') + 2);
    const withoutMessage = body.replace('<samlp:StatusMessage>&lol3;</samlp:StatusMessage>', '');
    expect(verifyAll(`<?xml version="1.0" encoding="UTF-8"?>${withoutMessage}`)[0]!.valid).toBe(
      true,
    );
  });

  it('withDoctype (entity in NameID) declares the signed value and references it', () => {
    const xml = withDoctype(signed, 'entity-in-nameid');
    expect(xml).toContain(
      '<!DOCTYPE samlp:Response [<!ENTITY nameid "admin@evil.com.attacker.com">]>',
    );
    expect(xml).toMatch(/<saml:NameID [^>]*>&nameid;<\/saml:NameID>/);
  });

  it('withDoctype (declaration only) leaves the signed document untouched', () => {
    const xml = withDoctype(signed, 'declaration-only');
    expect(xml).toMatch(
      /^<\?xml [^>]*\?><!DOCTYPE samlp:Response \[<!ENTITY gatehouse "test">\]><samlp:Response /,
    );
    expect(verifyAll(xml).map((v) => v.valid)).toEqual([true]);
  });

  it('tamperAfterSigning throws when the text is absent', () => {
    expect(() => tamperAfterSigning(signed, 'nobody@example.com', 'x')).toThrow(/not found/);
  });
});

describe('idpMetadataXml', () => {
  it('describes the IdP with one signing KeyDescriptor per key and both SSO bindings', () => {
    const xml = idpMetadataXml({
      entityId: ISSUER,
      ssoUrl: 'http://127.0.0.1:1/sso',
      key,
      extraSigningKeys: [otherKey],
    });
    const root = parse(xml).documentElement!;
    expect(root.namespaceURI).toBe(MD_NS);
    expect(root.localName).toBe('EntityDescriptor');
    expect(root.getAttribute('entityID')).toBe(ISSUER);
    expect(
      elements(xml, MD_NS, 'IDPSSODescriptor')[0]!.getAttribute('protocolSupportEnumeration'),
    ).toBe(SAMLP_NS);
    const descriptors = elements(xml, MD_NS, 'KeyDescriptor');
    expect(descriptors.map((d) => d.getAttribute('use'))).toEqual(['signing', 'signing']);
    const certificates = elements(xml, DSIG_NS, 'X509Certificate').map((c) => c.textContent!);
    expect(certificates).toEqual([pemBody(key.certificatePem), pemBody(otherKey.certificatePem)]);
    const cert = new X509Certificate(Buffer.from(certificates[0]!, 'base64'));
    expect(cert.subject).toBe('CN=Gatehouse Test IdP');
    expect(elements(xml, MD_NS, 'NameIDFormat')[0]!.textContent).toBe(
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    );
    expect(
      elements(xml, MD_NS, 'SingleSignOnService').map((s) => [
        s.getAttribute('Binding'),
        s.getAttribute('Location'),
      ]),
    ).toEqual([
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'http://127.0.0.1:1/sso'],
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'http://127.0.0.1:1/sso'],
    ]);
  });
});

describe('startSamlIdp (HTTP)', () => {
  let idp: RunningIdp;
  const users = [
    { email: ALICE, password: 'alice-pw', attributes: { firstName: 'Alice' } },
    { email: 'bob@example.com', password: 'bob-pw' },
  ];

  beforeAll(async () => {
    idp = await startSamlIdp({ key, users });
  });

  afterAll(async () => {
    await idp?.close();
  });

  function authnRequest(id: string, acs = ACS): string {
    return (
      `<samlp:AuthnRequest xmlns:samlp="${SAMLP_NS}" xmlns:saml="${SAML_NS}" ID="${id}" Version="2.0"` +
      ` IssueInstant="${new Date().toISOString()}" Destination="${idp.ssoUrl}"` +
      ` AssertionConsumerServiceURL="${acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
      `<saml:Issuer>${SP_ENTITY}</saml:Issuer>` +
      '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>' +
      '</samlp:AuthnRequest>'
    );
  }

  function hiddenField(page: string, name: string): string | undefined {
    const value = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(
      page,
    )?.[1];
    return value
      ?.replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }

  async function login(page: string, email: string, password: string) {
    const state = hiddenField(page, 'state');
    expect(state).toBeDefined();
    return fetch(`${idp.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ state: state!, email, password }).toString(),
    });
  }

  it('serves its metadata', async () => {
    const res = await fetch(`${idp.url}/metadata`);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toBe(idp.metadataXml);
    expect(idp.entityId).toBe(`${idp.url}/metadata`);
    expect(idp.ssoUrl).toBe(`${idp.url}/sso`);
    expect(xml).toContain(pemBody(key.certificatePem));
  });

  it('HTTP-Redirect: login form for a deflated AuthnRequest, 401 on a wrong password, auto-post form on the right one', async () => {
    const query = new URLSearchParams({
      SAMLRequest: encodeRedirectSamlRequest(authnRequest('_req-redirect')),
      RelayState: '/after?x=1&y="2"',
      SigAlg: RSA_SHA256,
      Signature: 'c2lnbmF0dXJl',
    });
    const form = await fetch(`${idp.ssoUrl}?${query.toString()}`);
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(page).toContain('<form method="post" action="/login">');
    expect(page).toContain('name="email"');
    expect(page).toContain('name="password"');
    expect(page).toContain('id="sign-in"');
    expect(idp.lastAuthnRequest).toMatchObject({
      binding: 'HTTP-Redirect',
      id: '_req-redirect',
      issuer: SP_ENTITY,
      acsUrl: ACS,
      destination: idp.ssoUrl,
      relayState: '/after?x=1&y="2"',
      sigAlg: RSA_SHA256,
      signature: 'c2lnbmF0dXJl',
      nameIdPolicyFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      embeddedSignature: false,
    });

    const wrong = await login(page, ALICE, 'nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Sign-in failed');

    const ok = await login(page, ALICE, 'alice-pw');
    expect(ok.status).toBe(200);
    const post = await ok.text();
    expect(post).toContain(`<form id="saml-post" method="post" action="${ACS}">`);
    expect(post).toContain('<noscript><button type="submit"');
    expect(post).toContain('.submit();');
    expect(hiddenField(post, 'RelayState')).toBe('/after?x=1&y="2"');
    const xml = Buffer.from(hiddenField(post, 'SAMLResponse')!, 'base64').toString('utf8');
    const response = parse(xml).documentElement!;
    expect(response.getAttribute('InResponseTo')).toBe('_req-redirect');
    expect(response.getAttribute('Destination')).toBe(ACS);
    const data = elements(xml, SAML_NS, 'SubjectConfirmationData')[0]!;
    expect(data.getAttribute('InResponseTo')).toBe('_req-redirect');
    expect(data.getAttribute('Recipient')).toBe(ACS);
    expect(elements(xml, SAML_NS, 'Audience')[0]!.textContent).toBe(SP_ENTITY);
    expect(elements(xml, SAML_NS, 'Issuer')[0]!.textContent).toBe(idp.entityId);
    expect(nameIdText(xml)).toBe(ALICE);
    expect(elements(xml, SAML_NS, 'AttributeValue')[0]!.textContent).toBe('Alice');
    expect(verifyAll(xml).map((v) => [v.valid, v.parent])).toEqual([[true, 'Assertion']]);
  });

  it('HTTP-POST binding and responseOverrides (sign both)', async () => {
    idp.responseOverrides = { sign: 'both' };
    try {
      const form = await fetch(idp.ssoUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          SAMLRequest: Buffer.from(authnRequest('_req-post')).toString('base64'),
        }).toString(),
      });
      expect(form.status).toBe(200);
      expect(idp.lastAuthnRequest).toMatchObject({ binding: 'HTTP-POST', id: '_req-post' });
      expect(idp.lastAuthnRequest?.relayState).toBeUndefined();
      const ok = await login(await form.text(), 'BOB@example.com', 'bob-pw');
      expect(ok.status).toBe(200);
      const post = await ok.text();
      expect(hiddenField(post, 'RelayState')).toBeUndefined();
      const xml = Buffer.from(hiddenField(post, 'SAMLResponse')!, 'base64').toString('utf8');
      expect(parse(xml).documentElement!.getAttribute('InResponseTo')).toBe('_req-post');
      expect(nameIdText(xml)).toBe('bob@example.com');
      expect(verifyAll(xml).map((v) => [v.valid, v.parent])).toEqual([
        [true, 'Response'],
        [true, 'Assertion'],
      ]);
    } finally {
      idp.responseOverrides = {};
    }
  });

  it('rejects a missing or garbage SAMLRequest and an unknown login state', async () => {
    expect((await fetch(idp.ssoUrl)).status).toBe(400);
    expect((await fetch(`${idp.ssoUrl}?SAMLRequest=bm90IHhtbA`)).status).toBe(400);
    const res = await fetch(`${idp.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'state=nope&email=alice%40example.com&password=alice-pw',
    });
    expect(res.status).toBe(400);
  });

  it('idpInitiated gives an unsolicited response (no InResponseTo)', async () => {
    const fields = await idp.idpInitiated(ACS, SP_ENTITY, ALICE, 'relay-1');
    expect(fields.RelayState).toBe('relay-1');
    const xml = Buffer.from(fields.SAMLResponse, 'base64').toString('utf8');
    expect(parse(xml).documentElement!.hasAttribute('InResponseTo')).toBe(false);
    expect(elements(xml, SAML_NS, 'SubjectConfirmationData')[0]!.hasAttribute('InResponseTo')).toBe(
      false,
    );
    expect(elements(xml, SAML_NS, 'AttributeValue')[0]!.textContent).toBe('Alice');
    expect(verifyAll(xml).map((v) => v.valid)).toEqual([true]);
    expect(await idp.idpInitiated(ACS, SP_ENTITY, ALICE)).not.toHaveProperty('RelayState');
  });

  it('round trip with @node-saml/node-saml as the SP: its AuthnRequest in, our response accepted', async () => {
    const sp = new SAML({
      entryPoint: idp.ssoUrl,
      issuer: SP_ENTITY,
      callbackUrl: ACS,
      audience: SP_ENTITY,
      idpCert: key.certificatePem,
      idpIssuer: idp.entityId,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
    });
    const location = await sp.getAuthorizeUrlAsync('relay-rt', undefined, {});
    const form = await fetch(location);
    expect(form.status).toBe(200);
    const request = idp.lastAuthnRequest!;
    expect(request.acsUrl).toBe(ACS);
    expect(request.issuer).toBe(SP_ENTITY);
    const post = await (await login(await form.text(), ALICE, 'alice-pw')).text();
    const { profile } = await sp.validatePostResponseAsync({
      SAMLResponse: hiddenField(post, 'SAMLResponse')!,
      RelayState: hiddenField(post, 'RelayState')!,
    });
    expect(profile?.nameID).toBe(ALICE);
    expect(profile?.inResponseTo).toBe(request.id);
    expect(profile?.['firstName']).toBe('Alice');
  });
});
