import { DOMParser, MIME_TYPE } from '@xmldom/xmldom';
import { SamlException } from './saml.errors.js';

/**
 * The checks node-saml leaves to us (it does not compare the login Response's Issuer, the
 * Recipient and Destination with our ACS URL, a non-Success status that carries an assertion,
 * or the bearer confirmation method). Pure functions over the XML node-saml has verified, each
 * parsing it once and walking the elements it needs directly (an XPath engine would compile and
 * evaluate every path per call, several times the cost of the walk).
 */

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

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

/** The child elements of each of `parents` in namespace `ns` named `localName`, in document order. */
function children(parents: Element[], ns: string, localName: string): Element[] {
  const found: Element[] = [];
  for (const parent of parents) {
    for (let node = parent.firstChild; node; node = node.nextSibling) {
      const element = node as Element;
      if (node.nodeType === 1 && element.namespaceURI === ns && element.localName === localName) {
        found.push(element);
      }
    }
  }
  return found;
}

/** The first of `elements` that has attribute `name`, its value (as `element/@name` selects it). */
function firstAttribute(elements: Element[], name: string): string | undefined {
  return elements.find((element) => element.hasAttribute(name))?.getAttribute(name) ?? undefined;
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
  const status = firstAttribute(
    children(children([response], SAMLP, 'Status'), SAMLP, 'StatusCode'),
    'Value',
  );
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
  const issuers = children([response], SAML, 'Issuer');
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
  const issuer = text(children([assertion], SAML, 'Issuer')[0]);
  if (issuer !== expected.idpEntityId) {
    throw new SamlException(
      'SAML_ISSUER_MISMATCH',
      `The assertion was issued by ${issuer ?? '(no Issuer)'}, not by this provider's IdP ${expected.idpEntityId}.`,
    );
  }

  const confirmations = children(
    children([assertion], SAML, 'Subject'),
    SAML,
    'SubjectConfirmation',
  );
  const bearer = confirmations.filter((c) => c.getAttribute('Method') === BEARER);
  if (bearer.length === 0) {
    throw new SamlException(
      'SAML_NOT_BEARER',
      'The assertion has no bearer subject confirmation (urn:oasis:names:tc:SAML:2.0:cm:bearer).',
    );
  }
  const confirmationData = children(bearer, SAML, 'SubjectConfirmationData');
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
  const conditionsEnd = firstAttribute(children([assertion], SAML, 'Conditions'), 'NotOnOrAfter');
  const candidates = [latest, conditionsEnd ? Date.parse(conditionsEnd) : Number.NaN].filter(
    Number.isFinite,
  );
  return {
    assertionId,
    expiresAt: new Date(Math.max(...candidates) + expected.clockSkewMs),
  };
}
