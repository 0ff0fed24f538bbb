import { moduleException } from '../common/app-exception.js';

/** Every failure the Workspace module reports, with its HTTP status. */
export const WorkspaceErrorStatus = {
  WORKSPACE_NOT_FOUND: 404,
  SLUG_TAKEN: 409,
  NO_SIGN_IN_METHOD: 409,
  // Some method is on, but none can sign anyone in (SAML without provider, Office365 unset).
  NO_USABLE_SIGN_IN_METHOD: 409,
  MEMBER_NOT_FOUND: 404,
  MEMBER_REMOVAL_NOT_FOUND: 404,
  ALREADY_A_MEMBER: 409,
  MEMBER_DEACTIVATED: 409,
  LAST_ADMIN: 409,
  EMAIL_TAKEN: 409,
  PASSWORD_ALREADY_SET: 409,
  SCIM_ONLY_PROVISIONING: 409,
  SCIM_MANAGED: 409,
  GROUP_NOT_FOUND: 404,
  GROUP_NAME_TAKEN: 409,
  INVITE_NOT_FOUND: 404,
  INVITE_EXPIRED: 410,
  INVITE_ALREADY_USED: 409,
  DOMAIN_NOT_FOUND: 404,
  DOMAIN_INVALID: 400,
  CONSUMER_DOMAIN: 400,
  DOMAIN_ALREADY_ADDED: 409,
  DOMAIN_ALREADY_CLAIMED: 409,
  DOMAIN_VERIFICATION_FAILED: 422,
  SCIM_REQUIRES_SAML_ONLY: 409,
  SCIM_USER_NAME_TAKEN: 409,
  SCIM_LINKED_ELSEWHERE: 409,
  ACCOUNT_NOT_AVAILABLE: 409,
  ACCOUNT_MANAGED_ELSEWHERE: 403,
  EMAIL_DOMAIN_MANAGED: 409,
  INVITE_SIGN_IN_REQUIRED: 401,
  INVITE_FOR_ANOTHER_ACCOUNT: 403,
} as const satisfies Record<string, number>;
export type WorkspaceErrorCode = keyof typeof WorkspaceErrorStatus;

export class WorkspaceException extends moduleException(WorkspaceErrorStatus) {}

export const scimOnlyProvisioningError = () =>
  new WorkspaceException(
    'SCIM_ONLY_PROVISIONING',
    'This workspace uses only SCIM for provisioning: members and groups are managed by the identity provider.',
  );
