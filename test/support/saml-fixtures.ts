import { createPublicKey } from 'node:crypto';
import type { TestApp } from './test-app.js';
import {
  buildSamlResponse,
  encodeSamlResponse,
  generateIdpKeyPair,
  type IdpKeyPair,
  type SamlResponseOptions,
} from './saml-idp.js';

export interface ProviderFixture {
  id: string;
  providerToken: string;
  acsUrl: string;
  spEntityId: string;
  spMetadataUrl: string;
  loginUrl: string;
  idpEntityId: string;
  key: IdpKeyPair;
}

let keyCache: Promise<IdpKeyPair[]> | undefined;

/** A few IdP key pairs, generated once per test file (RSA key generation takes a while). */
export async function idpKeys(): Promise<IdpKeyPair[]> {
  keyCache ??= Promise.all([1, 2, 3].map((i) => generateIdpKeyPair(`Test IdP ${i}`)));
  return keyCache;
}

/** Creates a SAML provider in `workspace` for an IdP signing with `key`. */
export async function createProvider(
  t: TestApp,
  workspace: string,
  options: { key: IdpKeyPair; name?: string; idpEntityId?: string; extra?: object },
): Promise<ProviderFixture> {
  const idpEntityId =
    options.idpEntityId ?? `https://idp.example.com/${Math.random().toString(36).slice(2)}`;
  const res = await t.http
    .post(`/api/workspaces/${workspace}/saml-providers`)
    .set('Authorization', t.internal)
    .send({
      name: options.name ?? `IdP ${idpEntityId.slice(-6)}`,
      idpEntityId,
      idpSsoUrl: 'https://idp.example.com/sso',
      idpCertificates: [options.key.certificatePem],
      ...options.extra,
    });
  if (res.status !== 201) throw new Error(`create provider: ${res.status} ${res.text}`);
  return { ...(res.body as Omit<ProviderFixture, 'key'>), key: options.key };
}

/** A signed response for `provider` (IdP-initiated unless inResponseTo is given). */
export function responseFor(
  provider: ProviderFixture,
  nameId: string,
  overrides: Partial<SamlResponseOptions> = {},
): Promise<string> {
  return buildSamlResponse({
    key: provider.key,
    issuer: provider.idpEntityId,
    acsUrl: provider.acsUrl,
    audience: provider.spEntityId,
    nameId,
    ...overrides,
  });
}

/** POSTs a SAMLResponse to the provider's ACS the way a browser's auto-submitted form does. */
export function postToAcs(t: TestApp, provider: ProviderFixture, xml: string, relayState?: string) {
  const path = new URL(provider.acsUrl).pathname;
  return t.http
    .post(path)
    .type('form')
    .set('Accept', 'application/json')
    .send({
      SAMLResponse: encodeSamlResponse(xml),
      ...(relayState ? { RelayState: relayState } : {}),
    });
}

/** Replaces the (signed) assertion with an EncryptedAssertion for the SP certificate. */
export async function encryptAssertion(
  responseXml: string,
  spCertificatePem: string,
): Promise<string> {
  const { encrypt } = (await import('xml-encryption')) as unknown as {
    encrypt: (
      content: string,
      options: Record<string, unknown>,
      callback: (error: Error | null, result: string) => void,
    ) => void;
  };
  const match = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(responseXml);
  if (!match) throw new Error('no saml:Assertion to encrypt');
  const encrypted = await new Promise<string>((resolve, reject) =>
    encrypt(
      match[0],
      {
        rsa_pub: createPublicKey(spCertificatePem).export({ type: 'spki', format: 'pem' }),
        pem: spCertificatePem,
        encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
  return responseXml.replace(
    match[0],
    `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${encrypted}</saml:EncryptedAssertion>`,
  );
}
