import { moduleException } from '../../common/app-exception.js';

/** Every failure of SAML provider administration and SAML sign-in, with its HTTP status. */
export const SamlErrorStatus = {
  SAML_PROVIDER_NOT_FOUND: 404,
  SAML_PROVIDER_NAME_TAKEN: 409,
  SAML_PROVIDER_DISABLED: 403,
  SAML_INVALID_CERTIFICATE: 400,
  SAML_INVALID_METADATA: 400,
  SAML_INVALID_PROVIDER_INPUT: 400,
  SAML_MALFORMED_RESPONSE: 400,
  SAML_DOCTYPE_REFUSED: 400,
  SAML_SIGNATURE_INVALID: 400,
  SAML_ISSUER_MISMATCH: 400,
  SAML_AUDIENCE_MISMATCH: 400,
  SAML_RECIPIENT_MISMATCH: 400,
  SAML_DESTINATION_MISMATCH: 400,
  SAML_STATUS_NOT_SUCCESS: 400,
  SAML_NOT_BEARER: 400,
  SAML_ASSERTION_EXPIRED: 400,
  SAML_UNKNOWN_REQUEST: 400,
  SAML_IDP_INITIATED_NOT_ALLOWED: 400,
  SAML_REPLAYED: 400,
  SAML_NO_EMAIL: 400,
} as const satisfies Record<string, number>;
export type SamlErrorCode = keyof typeof SamlErrorStatus;

export class SamlException extends moduleException(SamlErrorStatus) {}
