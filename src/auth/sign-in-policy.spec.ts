import { AppException } from '../common/app-exception.js';
import { SIGN_IN_METHODS, type SignInMethods } from '../workspace/sign-in-methods.js';
import { AuthException, SIGN_IN_METHOD_DISABLED_MESSAGE } from './auth.errors.js';
import {
  assertMembershipActiveOrThrow,
  assertSignInMethodEnabledOrThrow,
} from './sign-in-policy.js';

const allOn = Object.fromEntries(SIGN_IN_METHODS.map((m) => [m, true])) as SignInMethods;

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof AppException) return error.code;
    throw error;
  }
}

describe('assertSignInMethodEnabledOrThrow', () => {
  it.each(SIGN_IN_METHODS)('lets %s through when enabled', (method) => {
    expect(codeOf(() => assertSignInMethodEnabledOrThrow(allOn, method))).toBeUndefined();
  });

  it.each(SIGN_IN_METHODS)('refuses %s when disabled, with the exact message', (method) => {
    const methods = { ...allOn, [method]: false };
    let caught: unknown;
    try {
      assertSignInMethodEnabledOrThrow(methods, method);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthException);
    expect((caught as AuthException).status).toBe(403);
    expect((caught as AuthException).code).toBe('SIGN_IN_METHOD_DISABLED');
    expect((caught as AuthException).message).toBe(SIGN_IN_METHOD_DISABLED_MESSAGE);
  });

  it('only looks at the method asked for', () => {
    const methods = { ...allOn, password: false, office365: false };
    expect(codeOf(() => assertSignInMethodEnabledOrThrow(methods, 'saml'))).toBeUndefined();
  });
});

describe('assertMembershipActiveOrThrow', () => {
  it('lets an active member through', () => {
    expect(codeOf(() => assertMembershipActiveOrThrow({ status: 'active' }))).toBeUndefined();
  });

  it('refuses a deactivated member, even when just-in-time creation is allowed', () => {
    expect(
      codeOf(() =>
        assertMembershipActiveOrThrow({ status: 'deactivated' }, { mayCreateJustInTime: true }),
      ),
    ).toBe('MEMBERSHIP_DEACTIVATED');
  });

  it('refuses a non-member unless just-in-time creation is allowed', () => {
    expect(codeOf(() => assertMembershipActiveOrThrow(null))).toBe('NOT_A_MEMBER');
    expect(
      codeOf(() => assertMembershipActiveOrThrow(null, { mayCreateJustInTime: true })),
    ).toBeUndefined();
  });
});
