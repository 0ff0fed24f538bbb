import { SAML, type SamlConfig } from '@node-saml/node-saml';
import type { SamlProvider } from './saml-provider.entity.js';

/** The provider fields node-saml's options are built from: nothing else may be read for them. */
export const SAML_CONFIG_FIELDS = [
  'id',
  'providerToken',
  'idpEntityId',
  'idpSsoUrl',
  'idpSsoBinding',
  'idpCertificates',
  'allowIdpInitiated',
  'signAuthnRequests',
  'wantEncryptedAssertions',
  'spPrivateKeySealed',
  'spCertificate',
] as const satisfies readonly (keyof SamlProvider)[];

export type SamlProviderConfig = Pick<SamlProvider, (typeof SAML_CONFIG_FIELDS)[number]>;

/** Providers whose node-saml instance is kept; past this, the least recently built is dropped. */
const MAX_PROVIDERS = 1000;

/**
 * One node-saml `SAML` per provider (its options, the opened SP key, the IdP certificates as
 * PEM), built on first use and rebuilt when any field it was built from differs from the row the
 * request just read. So an edit applies to the next sign-in on every instance, with no message
 * between instances and no clock. A `SAML` holds no per-request state; it is shared.
 */
export class SamlInstances {
  private readonly byProvider = new Map<string, { config: string; saml: SAML }>();

  constructor(private readonly options: (provider: SamlProviderConfig) => SamlConfig) {}

  for(provider: SamlProviderConfig): SAML {
    const config = JSON.stringify(SAML_CONFIG_FIELDS.map((field) => provider[field]));
    const cached = this.byProvider.get(provider.id);
    if (cached?.config === config) return cached.saml;
    const saml = new SAML(this.options(provider));
    this.byProvider.delete(provider.id);
    if (this.byProvider.size >= MAX_PROVIDERS) {
      this.byProvider.delete(this.byProvider.keys().next().value!);
    }
    this.byProvider.set(provider.id, { config, saml });
    return saml;
  }
}
