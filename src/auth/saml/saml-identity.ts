import type { Profile } from '@node-saml/node-saml';
import { isEmail } from 'class-validator';
import { SamlException } from './saml.errors.js';

const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'emailAddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
];
const GIVEN_NAME_ATTRIBUTES = [
  'givenName',
  'firstName',
  'given_name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  'urn:oid:2.5.4.42',
];
const SURNAME_ATTRIBUTES = [
  'surname',
  'sn',
  'lastName',
  'familyName',
  'family_name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  'urn:oid:2.5.4.4',
];
const DISPLAY_NAME_ATTRIBUTES = [
  'displayName',
  'name',
  'http://schemas.microsoft.com/identity/claims/displayname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

function first(attributes: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const raw = attributes[name];
    const value = Array.isArray(raw) ? (raw[0] as unknown) : raw;
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

/**
 * The person a verified assertion names: the email from the NameID when it is one, else from the
 * usual attributes; the full name from given name and surname (else a display name).
 */
export function identityFromProfile(profile: Profile): { email: string; fullName: string | null } {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const nameId = profile.nameID?.trim();
  const fromAttributes = first(attributes, EMAIL_ATTRIBUTES);
  const email =
    nameId && isEmail(nameId)
      ? nameId
      : fromAttributes && isEmail(fromAttributes)
        ? fromAttributes
        : undefined;
  if (!email) {
    throw new SamlException(
      'SAML_NO_EMAIL',
      'The identity provider sent no email address: use an email NameID or an "email" attribute.',
    );
  }
  const given = first(attributes, GIVEN_NAME_ATTRIBUTES);
  const family = first(attributes, SURNAME_ATTRIBUTES);
  const fullName =
    [given, family].filter(Boolean).join(' ') || first(attributes, DISPLAY_NAME_ATTRIBUTES) || null;
  return { email, fullName };
}
