import { DOMParser, MIME_TYPE } from '@xmldom/xmldom';
import xpath from 'xpath';
import { SamlException } from './saml.errors.js';

/**
 * The checks node-saml leaves to us (it does not compare the login Response's Issuer, the
 * Recipient and Destination with our ACS URL, a non-Success status that carries an assertion,
 * or the bearer confirmation method). Pure functions over the XML node-saml has verified.
 */

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const select = xpath.useNamespaces({
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
});

export interface ExpectedResponse {
  idpEntityId: string;
  acsUrl: string;
  now: number;
  clockSkewMs: number;
}

/** The decoded HTTP-POST SAMLResponse, refusing DOCTYPEs before any XML parser sees it. */
export function decodeSamlResponse(encoded: unknown): string {
  if (typeof encoded !== 'string' || encoded.length === 0) {
    throw new SamlException('SAML_MALFORMED_RESPONSE', 'The request carries no SAMLResponse.');
  }
  if (encoded.length > 2_000_000 || !/^[A-Za-z0-9+/=\s]+$/.test(encoded)) {
    throw new SamlException('SAML_MALFORMED_RESPONSE', 'The SAMLResponse is not base64.');
  }
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  if (/<!DOCTYPE/i.test(xml)) {
    throw new SamlException('SAML_DOCTYPE_REFUSED', 'SAML responses with a DOCTYPE are refused.');
  }
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*:)?Response[\s>]/.test(xml)) {
    throw new SamlException('SAML_MALFORMED_RESPONSE', 'The SAMLResponse is not a SAML Response.');
  }
  return xml;
}

function parse(xml: string): Document {
  const problems: string[] = [];
  let document: Document | undefined;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') problems.push(message);
      },
    }).parseFromString(xml, MIME_TYPE.XML_TEXT) as unknown as Document;
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0 || !document?.documentElement) {
    throw new SamlException('SAML_MALFORMED_RESPONSE', 'The SAML message is not well-formed XML.');
  }
  return document;
}

function text(node: Node | undefined): string | undefined {
  return node?.textContent?.trim() ?? undefined;
}

/** Status, Destination and Issuer of the Response element itself. */
export function checkResponseEnvelope(responseXml: string, expected: ExpectedResponse): void {
  const document = parse(responseXml);
  const response = document.documentElement;
  if (response.localName !== 'Response') {
    throw new SamlException('SAML_MALFORMED_RESPONSE', 'The SAML message is not a Response.');
  }
  const status = (select('samlp:Status/samlp:StatusCode/@Value', response) as Attr[])[0]?.value;
  if (status !== SUCCESS) {
    throw new SamlException(
      'SAML_STATUS_NOT_SUCCESS',
      `The identity provider answered with status ${status ?? '(none)'}.`,
      { status: status ?? null },
    );
  }
  const destination = response.getAttribute('Destination');
  if (destination !== expected.acsUrl) {
    throw new SamlException(
      'SAML_DESTINATION_MISMATCH',
      `The response is addressed to ${destination || '(no Destination)'}, not to this provider's ACS URL ${expected.acsUrl}.`,
    );
  }
  const issuers = select('saml:Issuer', response) as Element[];
  if (issuers.length > 0 && text(issuers[0]) !== expected.idpEntityId) {
    throw new SamlException(
      'SAML_ISSUER_MISMATCH',
      `The response was issued by ${text(issuers[0])}, not by this provider's IdP ${expected.idpEntityId}.`,
    );
  }
}

export interface CheckedAssertion {
  assertionId: string;
  /** Until when the assertion could be presented again: the replay cache keeps it that long. */
  expiresAt: Date;
}

/** Issuer and bearer subject confirmation of the verified assertion. */
export function checkAssertion(assertionXml: string, expected: ExpectedResponse): CheckedAssertion {
  const assertion = parse(assertionXml).documentElement;
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw new SamlException('SAML_MALFORMED_RESPONSE', 'The assertion has no ID.');
  const issuer = text((select('saml:Issuer', assertion) as Element[])[0]);
  if (issuer !== expected.idpEntityId) {
    throw new SamlException(
      'SAML_ISSUER_MISMATCH',
      `The assertion was issued by ${issuer ?? '(no Issuer)'}, not by this provider's IdP ${expected.idpEntityId}.`,
    );
  }

  const confirmations = select('saml:Subject/saml:SubjectConfirmation', assertion) as Element[];
  const bearer = confirmations.filter((c) => c.getAttribute('Method') === BEARER);
  if (bearer.length === 0) {
    throw new SamlException(
      'SAML_NOT_BEARER',
      'The assertion has no bearer subject confirmation (urn:oasis:names:tc:SAML:2.0:cm:bearer).',
    );
  }
  const confirmationData = bearer.flatMap(
    (c) => select('saml:SubjectConfirmationData', c) as Element[],
  );
  const forUs = confirmationData.filter((d) => d.getAttribute('Recipient') === expected.acsUrl);
  if (forUs.length === 0) {
    const recipient = confirmationData[0]?.getAttribute('Recipient');
    throw new SamlException(
      'SAML_RECIPIENT_MISMATCH',
      `The assertion's Recipient is ${recipient || '(none)'}, not this provider's ACS URL ${expected.acsUrl}.`,
    );
  }
  const deadlines = forUs.map((d) => d.getAttribute('NotOnOrAfter'));
  if (deadlines.some((d) => !d)) {
    throw new SamlException(
      'SAML_ASSERTION_EXPIRED',
      'The bearer subject confirmation has no NotOnOrAfter.',
    );
  }
  const latest = Math.max(...deadlines.map((d) => Date.parse(d!)));
  if (!(latest > expected.now - expected.clockSkewMs)) {
    throw new SamlException('SAML_ASSERTION_EXPIRED', 'The SAML assertion has expired.');
  }
  const conditionsEnd = (select('saml:Conditions/@NotOnOrAfter', assertion) as Attr[])[0]?.value;
  const candidates = [latest, conditionsEnd ? Date.parse(conditionsEnd) : Number.NaN].filter(
    Number.isFinite,
  );
  return {
    assertionId,
    expiresAt: new Date(Math.max(...candidates) + expected.clockSkewMs),
  };
}
