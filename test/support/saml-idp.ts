/**
 * A test SAML 2.0 Identity Provider. It signs with xmldsigjs (WebCrypto based), a different XML
 * signature implementation from the xml-crypto that @node-saml/node-saml verifies with, so the
 * e2e tests catch interoperability mistakes that a single library would hide.
 *
 * Test support only: production code never imports this file.
 */
// @peculiar/x509 resolves its services with tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as x509 from '@peculiar/x509';
import {
  DOMImplementation,
  DOMParser,
  XMLSerializer,
  type Document as XmlDocument,
  type Element as XmlElement,
  type Node as XmlNode,
} from '@xmldom/xmldom';
import { setNodeDependencies } from 'xml-core';
import * as xmldsig from 'xmldsigjs';
import xpath from 'xpath';

export const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
const XS_NS = 'http://www.w3.org/2001/XMLSchema';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const NAMEID_ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const ATTRNAME_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
const AC_PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
/** The only codes allowed as the top-level StatusCode (SAML core 3.2.2.2). */
const TOP_LEVEL_STATUS = new Set([
  STATUS_SUCCESS,
  'urn:oasis:names:tc:SAML:2.0:status:Requester',
  'urn:oasis:names:tc:SAML:2.0:status:Responder',
  'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
]);

// ---------------------------------------------------------------------------------------------
// Library set-up
// ---------------------------------------------------------------------------------------------

let xmldsigReady = false;

/** xmldsigjs (through xml-core) needs a DOM and XPath in Node, and a WebCrypto engine. */
function initXmlDsig(): void {
  if (xmldsigReady) return;
  setNodeDependencies({ DOMParser, XMLSerializer, DOMImplementation, xpath });
  xmldsig.Application.setEngine('NodeJS', globalThis.crypto);
  xmldsigReady = true;
}

/** Strict parse: any well-formedness error (not only fatal ones) throws. */
export function parseXml(xml: string): XmlDocument {
  return new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(`XML ${level}: ${message}`);
    },
  }).parseFromString(xml, 'application/xml');
}

function serialize(node: XmlNode): string {
  return new XMLSerializer().serializeToString(node);
}

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const escapeHtml = escapeXml;

function iso(date: Date): string {
  return date.toISOString();
}

function randomId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** Element children of `parent` with the given namespace and local name. */
function childElements(parent: XmlNode, ns: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (isElement(child) && child.namespaceURI === ns && child.localName === localName) {
      out.push(child);
    }
  }
  return out;
}

function isElement(node: XmlNode): node is XmlElement {
  return node.nodeType === 1;
}

function descendants(root: XmlDocument | XmlElement, ns: string, localName: string): XmlElement[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName));
}

/** The base64 body of a PEM block (what goes into ds:X509Certificate and metadata). */
export function pemBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END)[^-]+-----/g, '')
    .replace(/\s+/g, '')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

export interface IdpKeyPair {
  privateKeyPem: string;
  certificatePem: string;
  /** RSASSA-PKCS1-v1_5 / SHA-256 WebCrypto key, what xmldsigjs signs with. */
  privateKey: CryptoKey;
}

const RSA_ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/** RSA 2048 key and a self-signed SHA-256 certificate valid from one day ago for one year. */
export async function generateIdpKeyPair(commonName = 'Gatehouse Test IdP'): Promise<IdpKeyPair> {
  const crypto = globalThis.crypto;
  const keys = await crypto.subtle.generateKey(RSA_ALGORITHM, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfter = new Date(notBefore.getTime() + 365 * 24 * 3600 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // Positive serial number: first byte below 0x80.
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: `CN=${commonName.replace(/[,+="\\<>;#]/g, ' ')}`,
      notBefore,
      notAfter,
      signingAlgorithm: RSA_ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const body = Buffer.from(pkcs8).toString('base64');
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return {
    privateKeyPem,
    certificatePem: `${cert.toString('pem')}\n`,
    privateKey: keys.privateKey,
  };
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export type SignMode = 'assertion' | 'response' | 'both' | 'none';

export interface SamlResponseOptions {
  /** Signs (and its certificate goes into KeyInfo). */
  key: IdpKeyPair;
  /** IdP entity id: Response/Issuer and Assertion/Issuer. */
  issuer: string;
  /** Default Destination and Recipient. */
  acsUrl: string;
  /** SP entity id: AudienceRestriction/Audience. */
  audience: string;
  nameId: string;
  /** Default urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress. */
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
  /** Default 'assertion'. 'both' signs the assertion first, then the response. */
  sign?: SignMode;
  /** null omits the Response's Issuer. */
  responseIssuer?: string | null;
  assertionIssuer?: string;
  /** null omits Destination. */
  destination?: string | null;
  /** null omits SubjectConfirmationData/@Recipient. */
  recipient?: string | null;
  /** On Response and SubjectConfirmationData; null/undefined omits it (IdP-initiated). */
  inResponseTo?: string | null;
  /**
   * Default Success. A non-Success status still carries the (signed) assertion: the attack case.
   * A second-level code (e.g. ...:status:AuthnFailed) is nested under Responder, as IdPs do.
   */
  statusCode?: string;
  /** Default urn:oasis:names:tc:SAML:2.0:cm:bearer. */
  subjectConfirmationMethod?: string;
  /** Base time; default new Date(). */
  now?: Date;
  /** Conditions/@NotBefore; default now - 1 min. */
  notBefore?: Date;
  /** Conditions/@NotOnOrAfter; default now + 5 min. */
  notOnOrAfter?: Date;
  /** SubjectConfirmationData/@NotOnOrAfter; default now + 5 min. */
  subjectNotOnOrAfter?: Date;
  /** AuthnStatement/@SessionNotOnOrAfter; omitted unless given. */
  sessionNotOnOrAfter?: Date;
  /** Default '_' + random hex. */
  assertionId?: string;
  responseId?: string;
  /** AuthnStatement/@SessionIndex; default '_' + random hex. */
  sessionIndex?: string;
}

function attr(name: string, value: string | null | undefined): string {
  return value === null || value === undefined ? '' : ` ${name}="${escapeXml(value)}"`;
}

function statusXml(code: string): string {
  if (TOP_LEVEL_STATUS.has(code)) {
    return `<samlp:Status><samlp:StatusCode Value="${escapeXml(code)}"/></samlp:Status>`;
  }
  return (
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">' +
    `<samlp:StatusCode Value="${escapeXml(code)}"/></samlp:StatusCode></samlp:Status>`
  );
}

function attributeStatementXml(attributes: Record<string, string | string[]>): string {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return ''; // the schema wants at least one Attribute
  const body = entries
    .map(([name, value]) => {
      const values = (Array.isArray(value) ? value : [value])
        .map(
          (v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`,
        )
        .join('');
      return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="${ATTRNAME_BASIC}">${values}</saml:Attribute>`;
    })
    .join('');
  return `<saml:AttributeStatement>${body}</saml:AttributeStatement>`;
}

/** The unsigned Response, Okta-like (compact, no whitespace between elements). */
function unsignedResponseXml(o: SamlResponseOptions): string {
  const now = o.now ?? new Date();
  const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
  const responseIssuer = o.responseIssuer === undefined ? o.issuer : o.responseIssuer;
  const assertionIssuer = o.assertionIssuer ?? o.issuer;
  const destination = o.destination === undefined ? o.acsUrl : o.destination;
  const recipient = o.recipient === undefined ? o.acsUrl : o.recipient;
  const inResponseTo = o.inResponseTo ?? null;
  const responseId = o.responseId ?? randomId();
  const assertionId = o.assertionId ?? randomId();
  const issuerXml = (value: string) =>
    `<saml:Issuer Format="${NAMEID_ENTITY}">${escapeXml(value)}</saml:Issuer>`;

  const assertion =
    `<saml:Assertion xmlns:saml="${SAML_NS}" xmlns:xs="${XS_NS}" xmlns:xsi="${XSI_NS}"` +
    `${attr('ID', assertionId)} IssueInstant="${iso(now)}" Version="2.0">` +
    issuerXml(assertionIssuer) +
    '<saml:Subject>' +
    `<saml:NameID Format="${escapeXml(o.nameIdFormat ?? NAMEID_EMAIL)}">${escapeXml(o.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${escapeXml(o.subjectConfirmationMethod ?? CM_BEARER)}">` +
    '<saml:SubjectConfirmationData' +
    attr('InResponseTo', inResponseTo) +
    ` NotOnOrAfter="${iso(o.subjectNotOnOrAfter ?? minutes(5))}"` +
    attr('Recipient', recipient) +
    '/></saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${iso(o.notBefore ?? minutes(-1))}" NotOnOrAfter="${iso(o.notOnOrAfter ?? minutes(5))}">` +
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(o.audience)}</saml:Audience></saml:AudienceRestriction>` +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}"` +
    attr('SessionIndex', o.sessionIndex ?? randomId()) +
    attr('SessionNotOnOrAfter', o.sessionNotOnOrAfter ? iso(o.sessionNotOnOrAfter) : null) +
    '>' +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${AC_PASSWORD_PROTECTED}</saml:AuthnContextClassRef></saml:AuthnContext>` +
    '</saml:AuthnStatement>' +
    attributeStatementXml(o.attributes ?? {}) +
    '</saml:Assertion>';

  return (
    `<samlp:Response xmlns:samlp="${SAMLP_NS}" xmlns:saml="${SAML_NS}"` +
    `${attr('ID', responseId)} Version="2.0" IssueInstant="${iso(now)}"` +
    attr('Destination', destination) +
    attr('InResponseTo', inResponseTo) +
    '>' +
    (responseIssuer === null ? '' : issuerXml(responseIssuer)) +
    statusXml(o.statusCode ?? STATUS_SUCCESS) +
    assertion +
    '</samlp:Response>'
  );
}

/**
 * Enveloped RSA-SHA256 signature over `element` (Reference URI="#ID", SHA-256, exclusive C14N for
 * both the reference and SignedInfo), with the certificate in KeyInfo, inserted right after the
 * element's Issuer (or first when it has none), as the SAML schema orders it.
 */
async function signElement(doc: XmlDocument, element: XmlElement, key: IdpKeyPair): Promise<void> {
  initXmlDsig();
  const id = element.getAttribute('ID');
  if (!id) throw new Error(`<${element.tagName}> has no ID to sign`);
  const signedXml = new xmldsig.SignedXml();
  signedXml.XmlSignature.SignedInfo.CanonicalizationMethod.Algorithm = EXC_C14N;
  const signature = await signedXml.Sign(
    { name: 'RSASSA-PKCS1-v1_5' },
    key.privateKey,
    doc as unknown as Document,
    {
      x509: [pemBody(key.certificatePem)],
      references: [{ uri: `#${id}`, hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'] }],
    },
  );
  const signatureXml = signature.GetXml();
  if (!signatureXml) throw new Error('xmldsigjs produced no Signature element');
  const imported = doc.importNode(signatureXml as unknown as XmlElement, true);
  const issuer = childElements(element, SAML_NS, 'Issuer')[0];
  element.insertBefore(imported, issuer ? issuer.nextSibling : element.firstChild);
}

/** The XML of a samlp:Response, signed as `options.sign` says (default: the assertion). */
export async function buildSamlResponse(options: SamlResponseOptions): Promise<string> {
  const doc = parseXml(unsignedResponseXml(options));
  const response = doc.documentElement!;
  const assertion = childElements(response, SAML_NS, 'Assertion')[0]!;
  const sign = options.sign ?? 'assertion';
  if (sign === 'assertion' || sign === 'both') await signElement(doc, assertion, options.key);
  if (sign === 'response' || sign === 'both') await signElement(doc, response, options.key);
  return `<?xml version="1.0" encoding="UTF-8"?>${serialize(doc)}`;
}

/** Base64 of the XML, the SAMLResponse field of the HTTP-POST binding. */
export function encodeSamlResponse(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------------------------

const XML_DECLARATION = /^\s*<\?xml[^?]*\?>/;

/** Serializes `doc` with the XML declaration of `original` (xmldom 0.9 keeps it as a node). */
function withDeclaration(original: string, doc: XmlDocument): string {
  const declaration = XML_DECLARATION.exec(original)?.[0] ?? '';
  return declaration + serialize(doc).replace(XML_DECLARATION, '');
}

function responseAndAssertion(doc: XmlDocument): { response: XmlElement; assertion: XmlElement } {
  const response = doc.documentElement;
  if (!response || response.namespaceURI !== SAMLP_NS || response.localName !== 'Response') {
    throw new Error('not a samlp:Response');
  }
  const assertion = childElements(response, SAML_NS, 'Assertion')[0];
  if (!assertion) throw new Error('the Response has no saml:Assertion child');
  return { response, assertion };
}

function setNameId(assertion: XmlElement, value: string): void {
  const subject = childElements(assertion, SAML_NS, 'Subject')[0];
  const nameId = subject && childElements(subject, SAML_NS, 'NameID')[0];
  if (!nameId) throw new Error('the assertion has no Subject/NameID');
  nameId.textContent = value;
}

/** A copy of the assertion without its Signature, with another NameID (and ID). */
function evilCopy(assertion: XmlElement, evilNameId: string, id: string): XmlElement {
  const evil = assertion.cloneNode(true) as XmlElement;
  for (const signature of childElements(evil, DSIG_NS, 'Signature')) evil.removeChild(signature);
  evil.setAttribute('ID', id);
  setNameId(evil, evilNameId);
  return evil;
}

export type XswVariant =
  'sibling-before' | 'sibling-after' | 'inside-extensions' | 'assertion-wraps-original';

/**
 * XML Signature Wrapping against a response whose assertion is signed (sign: 'assertion'; with a
 * response signature the moved assertion also breaks the response digest). The original signed
 * assertion stays in the document, so a verifier that resolves the Reference by ID still finds a
 * valid signature; an unsigned evil assertion (copy of the original without Signature, NameID =
 * `evilNameId`) sits where a naive processor reads "the" assertion:
 *
 * - 'sibling-before': evil (new ID) is inserted before the original, both children of Response
 *   (the naive `Response/Assertion[1]` reads the evil one).
 * - 'sibling-after': evil (new ID) is inserted after the original (`Assertion[last()]`, or code
 *   that keeps the last match, reads the evil one).
 * - 'inside-extensions': the original moves into a new samlp:Extensions of the Response (after
 *   Issuer/Signature, before Status); the evil one (new ID) takes its place as the only direct
 *   Assertion child of the Response.
 * - 'assertion-wraps-original': evil keeps the SAME ID as the original and wraps it: the original
 *   signed assertion goes into the evil one's saml:Advice (schema-valid, after Conditions). A
 *   resolver where the last element registered for an ID wins verifies the inner original while
 *   the reader sees the outer evil one; xml-crypto rejects it outright (duplicate ID).
 */
export function wrapAssertionXsw(
  signedResponseXml: string,
  evilNameId: string,
  variant: XswVariant,
): string {
  const doc = parseXml(signedResponseXml);
  const { response, assertion } = responseAndAssertion(doc);
  switch (variant) {
    case 'sibling-before':
      response.insertBefore(evilCopy(assertion, evilNameId, randomId()), assertion);
      break;
    case 'sibling-after':
      response.insertBefore(evilCopy(assertion, evilNameId, randomId()), assertion.nextSibling);
      break;
    case 'inside-extensions': {
      const evil = evilCopy(assertion, evilNameId, randomId());
      response.replaceChild(evil, assertion);
      const extensions = doc.createElementNS(SAMLP_NS, 'samlp:Extensions');
      extensions.appendChild(assertion);
      const status = childElements(response, SAMLP_NS, 'Status')[0];
      response.insertBefore(extensions, status ?? evil);
      break;
    }
    case 'assertion-wraps-original': {
      const evil = evilCopy(assertion, evilNameId, assertion.getAttribute('ID') ?? randomId());
      response.replaceChild(evil, assertion);
      const advice = doc.createElementNS(SAML_NS, 'saml:Advice');
      advice.appendChild(assertion);
      const conditions = childElements(evil, SAML_NS, 'Conditions')[0];
      evil.insertBefore(advice, conditions ? conditions.nextSibling : null);
      break;
    }
    default:
      throw new Error(`unknown XSW variant ${String(variant)}`);
  }
  return withDeclaration(signedResponseXml, doc);
}

/**
 * Comment injection: every NameID whose text is `before + after` becomes
 * `before<!---->after`. Exclusive C14N (without comments) drops the comment, so the digest of the
 * signed assertion still matches; a processor that reads the first text node gets `before`.
 */
export function injectCommentInNameId(
  signedResponseXml: string,
  split: { before: string; after: string },
): string {
  const doc = parseXml(signedResponseXml);
  const signedText = split.before + split.after;
  const nameIds = descendants(doc, SAML_NS, 'NameID').filter((e) => e.textContent === signedText);
  if (nameIds.length === 0) throw new Error(`no NameID with text ${signedText}`);
  for (const nameId of nameIds) {
    while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
    nameId.appendChild(doc.createTextNode(split.before));
    nameId.appendChild(doc.createComment(''));
    nameId.appendChild(doc.createTextNode(split.after));
  }
  return withDeclaration(signedResponseXml, doc);
}

export type DoctypeMode = 'billion-laughs' | 'entity-in-nameid' | 'declaration-only';

/**
 * Prepends a DOCTYPE with an internal subset (the XML declaration, if any, stays first).
 * - 'billion-laughs' (default): a "lite" billion laughs (lol3 expands to 1,000 × "lol"),
 *   referenced from a samlp:StatusMessage added to the Response's Status: outside the signed
 *   assertion, so with sign: 'assertion' the signature still verifies; only refusing DTDs stops it.
 * - 'entity-in-nameid': the NameID text is replaced by `&nameid;`, an entity whose value is that
 *   same text: a parser that expands entities sees exactly the signed document. (xmldom does not
 *   expand internal entities: it keeps the literal "&nameid;" and the digest breaks.)
 * - 'declaration-only': an internal entity is declared but never referenced, so the document is
 *   otherwise untouched and every signature still verifies: only refusing DTDs stops it.
 */
export function withDoctype(xml: string, mode: DoctypeMode = 'billion-laughs'): string {
  const declaration = XML_DECLARATION.exec(xml)?.[0] ?? '';
  let body = xml.slice(declaration.length);
  const root = /^\s*<([A-Za-z_][\w.-]*(?::[\w.-]+)?)/.exec(body)?.[1];
  if (!root) throw new Error('no root element');
  let subset: string;
  if (mode === 'billion-laughs') {
    const ten = (name: string) => `&${name};`.repeat(10);
    subset =
      '<!ENTITY lol "lol">' +
      `<!ENTITY lol1 "${ten('lol')}">` +
      `<!ENTITY lol2 "${ten('lol1')}">` +
      `<!ENTITY lol3 "${ten('lol2')}">`;
    const replaced = body.replace(
      /(<samlp:StatusCode\b[^>]*\/>|<samlp:StatusCode\b[\s\S]*?<\/samlp:StatusCode>)(<\/samlp:Status>)/,
      '$1<samlp:StatusMessage>&lol3;</samlp:StatusMessage>$2',
    );
    if (replaced === body) throw new Error('no samlp:Status to put the entity reference in');
    body = replaced;
  } else if (mode === 'declaration-only') {
    subset = '<!ENTITY gatehouse "test">';
  } else {
    const match = /(<saml:NameID\b[^>]*>)([^<]*)(<\/saml:NameID>)/.exec(body);
    if (!match) throw new Error('no saml:NameID');
    // The captured text is already escaped XML, which is what an entity value holds.
    subset = `<!ENTITY nameid "${match[2]!.replace(/"/g, '&quot;')}">`;
    body = body.replace(match[0], `${match[1]}&nameid;${match[3]}`);
  }
  return `${declaration}<!DOCTYPE ${root} [${subset}]>${body}`;
}

/** Plain string replace of every occurrence (throws if `from` is absent), to break a signature. */
export function tamperAfterSigning(xml: string, from: string, to: string): string {
  if (!xml.includes(from)) throw new Error(`tamperAfterSigning: ${from} not found`);
  return xml.split(from).join(to);
}

// ---------------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------------

export function idpMetadataXml(options: {
  entityId: string;
  ssoUrl: string;
  key: IdpKeyPair;
  extraSigningKeys?: IdpKeyPair[];
}): string {
  const keyDescriptors = [options.key, ...(options.extraSigningKeys ?? [])]
    .map(
      (key) =>
        '<md:KeyDescriptor use="signing">' +
        `<ds:KeyInfo xmlns:ds="${DSIG_NS}"><ds:X509Data><ds:X509Certificate>` +
        pemBody(key.certificatePem) +
        '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>',
    )
    .join('');
  const location = escapeXml(options.ssoUrl);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<md:EntityDescriptor xmlns:md="${MD_NS}" entityID="${escapeXml(options.entityId)}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${SAMLP_NS}">` +
    keyDescriptors +
    `<md:NameIDFormat>${NAMEID_EMAIL}</md:NameIDFormat>` +
    `<md:NameIDFormat>${NAMEID_UNSPECIFIED}</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="${BINDING_REDIRECT}" Location="${location}"/>` +
    `<md:SingleSignOnService Binding="${BINDING_POST}" Location="${location}"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

// ---------------------------------------------------------------------------------------------
// HTTP IdP
// ---------------------------------------------------------------------------------------------

export interface ParsedAuthnRequest {
  binding: 'HTTP-Redirect' | 'HTTP-POST';
  id: string;
  issuer?: string;
  acsUrl?: string;
  destination?: string;
  issueInstant?: string;
  protocolBinding?: string;
  nameIdPolicyFormat?: string;
  forceAuthn: boolean;
  isPassive: boolean;
  relayState?: string;
  /** HTTP-Redirect binding: the SigAlg and Signature query parameters, recorded, not verified. */
  sigAlg?: string;
  signature?: string;
  /** HTTP-Redirect binding: the raw query string, which a redirect signature covers. */
  rawQuery?: string;
  /** Whether the request XML carries a ds:Signature (HTTP-POST binding), not verified. */
  embeddedSignature: boolean;
  xml: string;
}

export interface IdpUser {
  email: string;
  password: string;
  attributes?: Record<string, string | string[]>;
}

export interface StartSamlIdpOptions {
  /** Default `${url}/metadata`. */
  entityId?: string;
  /** Default: a fresh generateIdpKeyPair(). */
  key?: IdpKeyPair;
  users: IdpUser[];
  /** Applied on top of what the IdP derives from the request (undefined values are ignored). */
  responseOverrides?: Partial<SamlResponseOptions>;
  /** ACS used when an AuthnRequest has no AssertionConsumerServiceURL. */
  defaultAcsUrl?: string;
  /** Port on 127.0.0.1; 0 (default) takes a free one. */
  port?: number;
  /** More routes, keyed "METHOD /path" (e.g. the development IdP's scripted sign-in). */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
}

export interface RunningIdp {
  /** http://127.0.0.1:PORT */
  url: string;
  entityId: string;
  ssoUrl: string;
  key: IdpKeyPair;
  metadataXml: string;
  /** The last AuthnRequest received on /sso. */
  lastAuthnRequest?: ParsedAuthnRequest;
  /** Every AuthnRequest received, oldest first. */
  authnRequests: ParsedAuthnRequest[];
  users: IdpUser[];
  /** Mutable: changes apply to the next response. */
  responseOverrides: Partial<SamlResponseOptions>;
  /** Form fields of an unsolicited (IdP-initiated) response for `email`. */
  idpInitiated(
    acsUrl: string,
    audience: string,
    email: string,
    relayState?: string,
  ): Promise<{ SAMLResponse: string; RelayState?: string }>;
  close(): Promise<void>;
}

/** Decodes a SAMLRequest: base64, then raw DEFLATE when `deflated` (falls back to plain). */
export function decodeSamlRequest(value: string, deflated: boolean): string {
  const raw = Buffer.from(value, 'base64');
  if (deflated) {
    try {
      return inflateRawSync(raw).toString('utf8');
    } catch {
      // Some SPs send the POST-style (not deflated) encoding on the redirect binding.
    }
  }
  return raw.toString('utf8');
}

/** base64(raw DEFLATE(xml)): the SAMLRequest query parameter of the HTTP-Redirect binding. */
export function encodeRedirectSamlRequest(xml: string): string {
  return deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
}

export function parseAuthnRequest(
  xml: string,
  extra: Pick<ParsedAuthnRequest, 'binding'> &
    Partial<Pick<ParsedAuthnRequest, 'relayState' | 'sigAlg' | 'signature' | 'rawQuery'>>,
): ParsedAuthnRequest {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('DOCTYPE not allowed in an AuthnRequest');
  const doc = parseXml(xml);
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SAMLP_NS || root.localName !== 'AuthnRequest') {
    throw new Error('not a samlp:AuthnRequest');
  }
  const id = root.getAttribute('ID');
  if (!id) throw new Error('AuthnRequest without ID');
  const optional = (value: string | null | undefined) => value ?? undefined;
  const issuer = childElements(root, SAML_NS, 'Issuer')[0];
  const nameIdPolicy = childElements(root, SAMLP_NS, 'NameIDPolicy')[0];
  return {
    ...extra,
    id,
    issuer: optional(issuer?.textContent?.trim()),
    acsUrl: optional(root.getAttribute('AssertionConsumerServiceURL')),
    destination: optional(root.getAttribute('Destination')),
    issueInstant: optional(root.getAttribute('IssueInstant')),
    protocolBinding: optional(root.getAttribute('ProtocolBinding')),
    nameIdPolicyFormat: optional(nameIdPolicy?.getAttribute('Format')),
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    isPassive: root.getAttribute('IsPassive') === 'true',
    embeddedSignature: childElements(root, DSIG_NS, 'Signature').length > 0,
    xml,
  };
}

function html(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body>${body}</body></html>`,
  );
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Starts the IdP on 127.0.0.1 (random port). */
export async function startSamlIdp(options: StartSamlIdpOptions): Promise<RunningIdp> {
  const key = options.key ?? (await generateIdpKeyPair());
  const pending = new Map<string, { request: ParsedAuthnRequest }>();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const entityId = options.entityId ?? `${url}/metadata`;
  const ssoUrl = `${url}/sso`;

  const findUser = (email: string) =>
    idp.users.find((u) => u.email.toLowerCase() === email.trim().toLowerCase());

  const responseFor = (base: SamlResponseOptions) =>
    buildSamlResponse({ ...base, ...withoutUndefined(idp.responseOverrides) });

  const idp: RunningIdp = {
    url,
    entityId,
    ssoUrl,
    key,
    metadataXml: idpMetadataXml({ entityId, ssoUrl, key }),
    lastAuthnRequest: undefined,
    authnRequests: [],
    users: options.users,
    responseOverrides: { ...(options.responseOverrides ?? {}) },
    async idpInitiated(acsUrl, audience, email, relayState) {
      const xml = await responseFor({
        key,
        issuer: entityId,
        acsUrl,
        audience,
        nameId: email,
        attributes: findUser(email)?.attributes,
        inResponseTo: null,
      });
      return {
        SAMLResponse: encodeSamlResponse(xml),
        ...(relayState === undefined ? {} : { RelayState: relayState }),
      };
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };

  const loginForm = (res: ServerResponse, request: ParsedAuthnRequest) => {
    const state = randomBytes(16).toString('hex');
    pending.set(state, { request });
    html(
      res,
      200,
      'Test IdP - Sign in',
      '<h1>Test IdP</h1>' +
        `<p>Sign in to continue to <span id="sp">${escapeHtml(request.issuer ?? 'the application')}</span></p>` +
        '<form method="post" action="/login">' +
        `<input type="hidden" name="state" value="${state}">` +
        '<label>Email <input type="text" name="email" id="email" autocomplete="username"></label>' +
        '<label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label>' +
        '<button type="submit" id="sign-in">Sign in</button>' +
        '</form>',
    );
  };

  const handleSso = (res: ServerResponse, request: ParsedAuthnRequest) => {
    idp.lastAuthnRequest = request;
    idp.authnRequests.push(request);
    loginForm(res, request);
  };

  const handleLogin = async (res: ServerResponse, form: URLSearchParams) => {
    const entry = pending.get(form.get('state') ?? '');
    if (!entry) {
      html(res, 400, 'Test IdP - Error', '<h1>Unknown or missing sign-in request</h1>');
      return;
    }
    const { request } = entry;
    const user = findUser(form.get('email') ?? '');
    if (!user || user.password !== (form.get('password') ?? '')) {
      html(
        res,
        401,
        'Test IdP - Sign-in failed',
        '<h1 id="error">Sign-in failed</h1><p>Wrong email or password.</p>',
      );
      return;
    }
    const acsUrl = request.acsUrl ?? options.defaultAcsUrl;
    if (!acsUrl) {
      html(
        res,
        400,
        'Test IdP - Error',
        '<h1>The request names no AssertionConsumerServiceURL</h1>',
      );
      return;
    }
    const xml = await responseFor({
      key,
      issuer: entityId,
      acsUrl,
      audience: request.issuer ?? '',
      nameId: user.email,
      attributes: user.attributes,
      inResponseTo: request.id,
    });
    const relayState =
      request.relayState === undefined
        ? ''
        : `<input type="hidden" name="RelayState" value="${escapeHtml(request.relayState)}">`;
    html(
      res,
      200,
      'Test IdP - Redirecting',
      `<form id="saml-post" method="post" action="${escapeHtml(acsUrl)}">` +
        `<input type="hidden" name="SAMLResponse" value="${encodeSamlResponse(xml)}">` +
        relayState +
        '<noscript><button type="submit" id="continue">Continue</button></noscript>' +
        '</form>' +
        "<script>window.addEventListener('load',function(){document.getElementById('saml-post').submit();});</script>",
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestUrl = new URL(req.url ?? '/', url);
    const route = `${req.method ?? 'GET'} ${requestUrl.pathname}`;
    switch (route) {
      case 'GET /metadata':
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8' });
        res.end(idp.metadataXml);
        return;
      case 'GET /sso': {
        const q = requestUrl.searchParams;
        const samlRequest = q.get('SAMLRequest');
        if (!samlRequest) {
          html(res, 400, 'Test IdP - Error', '<h1>Missing SAMLRequest</h1>');
          return;
        }
        handleSso(
          res,
          parseAuthnRequest(decodeSamlRequest(samlRequest, true), {
            binding: 'HTTP-Redirect',
            relayState: q.get('RelayState') ?? undefined,
            sigAlg: q.get('SigAlg') ?? undefined,
            signature: q.get('Signature') ?? undefined,
            rawQuery: requestUrl.search.slice(1),
          }),
        );
        return;
      }
      case 'POST /sso': {
        const form = await readForm(req);
        const samlRequest = form.get('SAMLRequest');
        if (!samlRequest) {
          html(res, 400, 'Test IdP - Error', '<h1>Missing SAMLRequest</h1>');
          return;
        }
        handleSso(
          res,
          parseAuthnRequest(decodeSamlRequest(samlRequest, false), {
            binding: 'HTTP-POST',
            relayState: form.get('RelayState') ?? undefined,
          }),
        );
        return;
      }
      case 'POST /login':
        await handleLogin(res, await readForm(req));
        return;
      default: {
        const extra = options.routes?.[route];
        if (extra) await extra(req, res);
        else html(res, 404, 'Test IdP - Not found', '<h1>Not found</h1>');
      }
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      html(res, 400, 'Test IdP - Error', `<h1>Bad request</h1><pre>${escapeHtml(message)}</pre>`);
    });
  });

  return idp;
}
