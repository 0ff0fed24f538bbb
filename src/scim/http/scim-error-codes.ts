import type { CommonErrorCode } from '../../common/app-exception.js';
import type { DatabaseErrorCode } from '../../database/database.errors.js';
import type { WorkspaceErrorCode } from '../../workspace/workspace.errors.js';
import type { ScimConnectionErrorCode } from '../connection/scim-connection.errors.js';
import type { ScimErrorStatus, ScimType } from '../protocol/scim-error.js';

/**
 * What an error code means to a SCIM client (RFC 7644 §3.12): a scimType (its status follows:
 * 400, or 409 for `uniqueness`), or a status without one.
 */
export type ScimMeaning = { scimType: ScimType } | { status: ScimErrorStatus };

/** Every code the modules under SCIM report. A new code does not compile until it is here. */
export type CodeReachingScim =
  WorkspaceErrorCode | CommonErrorCode | DatabaseErrorCode | ScimConnectionErrorCode;

const uniqueness = { scimType: 'uniqueness' } as const;
const invalidValue = { scimType: 'invalidValue' } as const;
/** A conflict with the resource's state that is no duplicate: 409 without a scimType. */
const conflict = { status: 409 } as const;
const notFound = { status: 404 } as const;

/**
 * Each code's SCIM meaning, by code (not by HTTP status): `uniqueness` only where a value is
 * taken by another resource (RFC 7644 §3.12: "One or more of the attribute values are already
 * in use or are reserved"), `mutability` where the change touches what this client may not
 * change, a bare 409 for the other conflicts (the last admin, a deactivated member).
 */
export const SCIM_MEANING_OF_CODE = {
  // Workspace
  WORKSPACE_NOT_FOUND: notFound,
  SLUG_TAKEN: uniqueness,
  NO_SIGN_IN_METHOD: conflict,
  NO_USABLE_SIGN_IN_METHOD: conflict,
  MEMBER_NOT_FOUND: notFound,
  MEMBER_REMOVAL_NOT_FOUND: notFound,
  ALREADY_A_MEMBER: uniqueness,
  MEMBER_DEACTIVATED: conflict,
  LAST_ADMIN: conflict,
  EMAIL_TAKEN: uniqueness,
  PASSWORD_ALREADY_SET: conflict,
  SCIM_ONLY_PROVISIONING: conflict,
  SCIM_MANAGED: { scimType: 'mutability' },
  GROUP_NOT_FOUND: notFound,
  GROUP_NAME_TAKEN: uniqueness,
  INVITE_NOT_FOUND: notFound,
  INVITE_EXPIRED: invalidValue,
  INVITE_ALREADY_USED: conflict,
  DOMAIN_NOT_FOUND: notFound,
  DOMAIN_INVALID: invalidValue,
  CONSUMER_DOMAIN: invalidValue,
  DOMAIN_ALREADY_ADDED: uniqueness,
  DOMAIN_ALREADY_CLAIMED: uniqueness,
  DOMAIN_VERIFICATION_FAILED: invalidValue,
  SCIM_REQUIRES_SAML_ONLY: conflict,
  SCIM_USER_NAME_TAKEN: uniqueness,
  // The email (or the person) is another workspace's: in use, as far as this client can know.
  SCIM_LINKED_ELSEWHERE: uniqueness,
  ACCOUNT_NOT_AVAILABLE: uniqueness,
  EMAIL_DOMAIN_MANAGED: uniqueness,
  ACCOUNT_MANAGED_ELSEWHERE: { status: 403 },
  INVITE_SIGN_IN_REQUIRED: { status: 401 },
  INVITE_FOR_ANOTHER_ACCOUNT: { status: 403 },
  // Common: request checks and access
  VALIDATION_FAILED: invalidValue,
  INVALID_CHARACTERS: invalidValue,
  NESTED_TOO_DEEP: invalidValue,
  VALUE_TOO_LONG: invalidValue,
  TOO_MANY_ATTRIBUTES: invalidValue,
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  METHOD_NOT_ALLOWED: { status: 405 },
  HEADERS_TOO_LARGE: { status: 431 },
  // Database
  DATABASE_UNAVAILABLE: { status: 503 },
  // SCIM connection (admin API; listed so that the table stays whole)
  SCIM_ALREADY_ENABLED: uniqueness,
  SCIM_NOT_ENABLED: notFound,
} as const satisfies Record<CodeReachingScim, ScimMeaning>;

/** The meaning of `code`, when it is one of the codes above. */
export function scimMeaningOf(code: string): ScimMeaning | undefined {
  return Object.hasOwn(SCIM_MEANING_OF_CODE, code)
    ? SCIM_MEANING_OF_CODE[code as CodeReachingScim]
    : undefined;
}
