/**
 * SAML ACS sign-ins with signed responses: the tests' IdP signer (xmldsigjs, a different XML
 * signature library from the xml-crypto Gatehouse verifies with), IdP-initiated, one fresh
 * response per sign-in (Gatehouse refuses a replayed assertion ID).
 */
import {
  buildSamlResponse,
  encodeSamlResponse,
  generateIdpKeyPair,
  type IdpKeyPair,
} from '../test/support/saml-idp.js';

export const SAML_RESPONSES = Number(process.env.BENCH_SAML_RESPONSES ?? 600);

export function samlKey(): Promise<IdpKeyPair> {
  return generateIdpKeyPair('Gatehouse Bench IdP');
}

export interface SamlProvider {
  acsUrl: string;
  spEntityId: string;
  idpEntityId: string;
}

/** Form bodies (SAMLResponse=...) signing in `nameIds` in turn. */
export async function samlForms(
  key: IdpKeyPair,
  provider: SamlProvider,
  nameIds: string[],
): Promise<string[]> {
  const forms: string[] = [];
  for (const nameId of nameIds) {
    const xml = await buildSamlResponse({
      key,
      issuer: provider.idpEntityId,
      acsUrl: provider.acsUrl,
      audience: provider.spEntityId,
      nameId,
    });
    forms.push(new URLSearchParams({ SAMLResponse: encodeSamlResponse(xml) }).toString());
  }
  return forms;
}
