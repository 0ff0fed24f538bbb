import { moduleException } from '../common/app-exception.js';

export const SIGN_IN_METHOD_DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';

/** Every failure of sign-in and sessions, with its HTTP status. */
export const AuthErrorStatus = {
  SIGN_IN_METHOD_DISABLED: 403,
  MEMBERSHIP_DEACTIVATED: 403,
  NOT_A_MEMBER: 403,
  // An admin removed the person by hand: just-in-time sign-in does not bring them back.
  MEMBER_REMOVED: 403,
  INVALID_CREDENTIALS: 401,
  TOO_MANY_ATTEMPTS: 429,
  NOT_SIGNED_IN: 401,
  // Login CSRF: sign-in and sign-out take JSON only (a cross-site form cannot send it without a
  // CORS preflight) and only from our own origins.
  CROSS_ORIGIN_REQUEST: 403,
  JSON_REQUIRED: 415,
  // Office365 (OpenID Connect). Not configured = the deployment has no such route: 404, not a
  // transient 503 (retrying will not help); an unreachable Microsoft is the 503.
  OFFICE365_NOT_CONFIGURED: 404,
  OFFICE365_UNAVAILABLE: 503,
  OFFICE365_TENANT_NOT_ALLOWED: 403,
  // nOAuth: an identity is bound by its tenant and object ids; an email links it only when
  // Microsoft (or the workspace's verified domain in an allowed tenant) vouches for it.
  OFFICE365_IDENTITY_INCOMPLETE: 400,
  OFFICE365_EMAIL_UNVERIFIED: 403,
  OFFICE365_ACCOUNT_BOUND_TO_OTHER_TENANT: 403,
  OIDC_FLOW_INVALID: 400,
  OIDC_STATE_MISMATCH: 400,
  OIDC_IDP_ERROR: 400,
  OIDC_CALLBACK_FAILED: 400,
  OIDC_NO_EMAIL: 400,
  // Generic OpenID Connect: each workspace brings its own provider (issuer, client id, secret).
  OIDC_NOT_CONFIGURED: 404,
  OIDC_UNAVAILABLE: 503,
  OIDC_EMAIL_UNVERIFIED: 403,
  OIDC_CONFIGURATION_NOT_FOUND: 404,
  OIDC_INVALID_ISSUER: 400,
  OIDC_DISCOVERY_FAILED: 422,
} as const satisfies Record<string, number>;
export type AuthErrorCode = keyof typeof AuthErrorStatus;

export class AuthException extends moduleException(AuthErrorStatus) {}
