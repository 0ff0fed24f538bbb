import { AppException } from '../common/app-exception.js';

export const SIGN_IN_METHOD_DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';

/** Every failure of sign-in and sessions, with its HTTP status. */
export const AuthErrorStatus = {
  SIGN_IN_METHOD_DISABLED: 403,
  MEMBERSHIP_DEACTIVATED: 403,
  NOT_A_MEMBER: 403,
  INVALID_CREDENTIALS: 401,
  TOO_MANY_ATTEMPTS: 429,
  NOT_SIGNED_IN: 401,
} as const satisfies Record<string, number>;
export type AuthErrorCode = keyof typeof AuthErrorStatus;

export class AuthException extends AppException {
  readonly status: number;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
    this.status = AuthErrorStatus[code];
  }
}
