import type { MemberStatus } from '../workspace/entities/membership.entity.js';
import type { SignInMethod, SignInMethods } from '../workspace/sign-in-methods.js';
import { AuthException, SIGN_IN_METHOD_DISABLED_MESSAGE } from './auth.errors.js';

/**
 * The sign-in rules, as small pure functions every method's path calls in this order:
 * the method is enabled for the workspace, then the person's membership is active.
 * (The settings rules, which keep some method usable, are in workspace/sign-in-methods.ts.)
 */
export function assertSignInMethodEnabledOrThrow(
  methods: SignInMethods,
  method: SignInMethod,
): void {
  if (!methods[method]) {
    throw new AuthException('SIGN_IN_METHOD_DISABLED', SIGN_IN_METHOD_DISABLED_MESSAGE, { method });
  }
}

/**
 * A deactivated member is refused whatever the IdP says: only an admin or SCIM reactivates.
 * No membership is refused unless the caller may create one just in time.
 */
export function assertMembershipActiveOrThrow(
  membership: { status: MemberStatus } | null,
  options: { mayCreateJustInTime: boolean } = { mayCreateJustInTime: false },
): void {
  if (membership === null) {
    if (options.mayCreateJustInTime) return;
    throw new AuthException('NOT_A_MEMBER', 'You are not a member of this workspace.');
  }
  if (membership.status !== 'active') {
    throw new AuthException(
      'MEMBERSHIP_DEACTIVATED',
      'Your access to this workspace has been deactivated. Please check with your administrator.',
    );
  }
}
