import { emailDomain, normalizeEmail } from '../../workspace/email.js';
import { AuthException } from '../auth.errors.js';

/** What an Office365 ID token says about the person, read once from its claims. */
export interface Office365Identity {
  /** `tid`, lower-cased: the Entra tenant (directory) the account lives in. */
  tenantId: string | undefined;
  /** `oid`, lower-cased: the account's immutable object id, the same for every application. */
  objectId: string | undefined;
  /** The `email` claim when it looks like an address (mutable, not necessarily verified). */
  email: string | undefined;
  /** `xms_edov: true`: Microsoft asserts the owner of `email`'s domain verified it. */
  emailDomainVerified: boolean;
  /** `preferred_username` when it looks like an address (the UPN: mutable). */
  preferredUsername: string | undefined;
  name: string | undefined;
}

/** Why an unbound identity may be linked to the account of `email`. */
export type Office365LinkReason = 'microsoft_verified_email' | 'workspace_verified_domain';

export interface Office365Link {
  email: string;
  via: Office365LinkReason;
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_ID_LENGTH = 128;

export function claimString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function emailOrUndefined(value: unknown): string | undefined {
  const text = claimString(value);
  return text !== undefined && text.length <= 254 && EMAIL_PATTERN.test(text)
    ? normalizeEmail(text)
    : undefined;
}

function idOrUndefined(value: unknown): string | undefined {
  const text = claimString(value);
  return text !== undefined && text.length <= MAX_ID_LENGTH ? text.toLowerCase() : undefined;
}

export function office365IdentityFromClaims(claims: Record<string, unknown>): Office365Identity {
  return {
    tenantId: idOrUndefined(claims.tid),
    objectId: idOrUndefined(claims.oid),
    email: emailOrUndefined(claims.email),
    emailDomainVerified: claims.xms_edov === true,
    preferredUsername: emailOrUndefined(claims.preferred_username),
    name: claimString(claims.name),
  };
}

/** The immutable key of an identity; a token without both ids can never be bound. */
export function boundKeyOrThrow(identity: Office365Identity): {
  tenantId: string;
  objectId: string;
} {
  if (!identity.tenantId || !identity.objectId) {
    throw new AuthException(
      'OFFICE365_IDENTITY_INCOMPLETE',
      'Microsoft did not identify your account (tenant and object id), so we cannot tell who you are. Please check with your administrator.',
    );
  }
  return { tenantId: identity.tenantId, objectId: identity.objectId };
}

/** Addresses that could name the account, most trustworthy first, without repeats. */
export function candidateEmails(identity: Office365Identity): string[] {
  return [...new Set([identity.email, identity.preferredUsername].filter((e) => e !== undefined))];
}

/**
 * Which email may link an identity that is not bound yet, or a refusal. Both claims are mutable
 * and `email` may be any address a tenant admin typed ("nOAuth"), so an address links only when
 * Microsoft asserts its domain is verified (`xms_edov: true`, which needs the `email` claim), or
 * when its domain is a verified claimed domain of the workspace and the tenant is one allowed
 * (`trustedDomain` answers both).
 */
export function linkableEmailOrThrow(
  identity: Office365Identity,
  trustedDomain: (domain: string) => boolean,
): Office365Link {
  if (identity.email && identity.emailDomainVerified) {
    return { email: identity.email, via: 'microsoft_verified_email' };
  }
  const candidates = candidateEmails(identity);
  const trusted = candidates.find((email) => trustedDomain(emailDomain(email)));
  if (trusted) return { email: trusted, via: 'workspace_verified_domain' };
  if (candidates.length === 0) {
    throw new AuthException(
      'OIDC_NO_EMAIL',
      'Microsoft did not share an email address for your account, so we cannot tell who you are. Please check with your administrator.',
    );
  }
  throw new AuthException(
    'OFFICE365_EMAIL_UNVERIFIED',
    'Microsoft did not confirm that your organization owns your email address, so it cannot be linked to an account here. Please check with your administrator.',
  );
}
