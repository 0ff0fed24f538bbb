import { DOMParser, MIME_TYPE } from '@xmldom/xmldom';
import xpath from 'xpath';
import type { SamlBinding } from './saml-provider.entity.js';
import { normalizeCertificate } from './saml-certificates.js';

export class InvalidMetadataError extends Error {}

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  ssoBinding: SamlBinding;
  certificates: string[];
}

const BINDINGS: Record<string, SamlBinding> = {
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect': 'HTTP-Redirect',
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST': 'HTTP-POST',
};

const select = xpath.useNamespaces({
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
});

/** Parses an XML document, refusing DOCTYPEs (entity expansion) and malformed XML. */
export function parseXmlStrict(xml: string, what: string): Document {
  if (/<!DOCTYPE/i.test(xml)) throw new InvalidMetadataError(`${what} must not contain a DOCTYPE`);
  const problems: string[] = [];
  let document: ReturnType<DOMParser['parseFromString']> | undefined;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') problems.push(message);
      },
    }).parseFromString(xml, MIME_TYPE.XML_TEXT);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0 || !document?.documentElement) {
    throw new InvalidMetadataError(`${what} is not well-formed XML: ${problems[0] ?? 'empty'}`);
  }
  return document as unknown as Document;
}

/**
 * Reads what we need from an IdP's SAML metadata: its entity ID, the SSO URL (HTTP-Redirect
 * preferred, else HTTP-POST) and its signing certificates. Throws InvalidMetadataError naming
 * what is missing.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const document = parseXmlStrict(xml, 'metadataXml');
  const descriptors = select('//md:EntityDescriptor[md:IDPSSODescriptor]', document) as Element[];
  const descriptor = descriptors[0];
  if (!descriptor) {
    throw new InvalidMetadataError(
      'metadataXml has no EntityDescriptor with an IDPSSODescriptor (is this SP metadata?)',
    );
  }
  const entityId = descriptor.getAttribute('entityID')?.trim();
  if (!entityId)
    throw new InvalidMetadataError('metadataXml: the EntityDescriptor has no entityID');

  const services = select('md:IDPSSODescriptor/md:SingleSignOnService', descriptor) as Element[];
  const byBinding = (binding: SamlBinding) =>
    services.find((s) => BINDINGS[s.getAttribute('Binding') ?? ''] === binding);
  const service = byBinding('HTTP-Redirect') ?? byBinding('HTTP-POST');
  const ssoUrl = service?.getAttribute('Location')?.trim();
  if (!service || !ssoUrl) {
    throw new InvalidMetadataError(
      'metadataXml has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding',
    );
  }
  assertHttpUrl(ssoUrl, 'metadataXml: the SingleSignOnService Location');

  const keyDescriptors = select('md:IDPSSODescriptor/md:KeyDescriptor', descriptor) as Element[];
  const signing = keyDescriptors.filter((k) => {
    const use = k.getAttribute('use');
    return !use || use === 'signing';
  });
  const certificates = [
    ...new Set(
      signing.flatMap((k) =>
        (select('.//ds:X509Certificate', k) as Element[]).map((c, i) =>
          normalizeCertificate(c.textContent ?? '', `metadataXml signing certificate ${i + 1}`),
        ),
      ),
    ),
  ];
  if (certificates.length === 0) {
    throw new InvalidMetadataError(
      'metadataXml has no signing certificate (KeyDescriptor use="signing")',
    );
  }
  return {
    entityId,
    ssoUrl,
    ssoBinding: BINDINGS[service.getAttribute('Binding')!]!,
    certificates,
  };
}

export function assertHttpUrl(value: string, label: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidMetadataError(`${label} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidMetadataError(`${label} must be an http(s) URL`);
  }
}
