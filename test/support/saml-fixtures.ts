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
