import { AppException } from '../common/app-exception.js';
import { AuthException, SIGN_IN_METHOD_DISABLED_MESSAGE } from './auth.errors.js';
import {
  assertMayForceOrThrow,
  assertMembershipActiveOrThrow,
  assertSignInMethodEnabledOrThrow,
  assertSomeSignInMethodUsableOrThrow,
  unusableSignInMethods,
} from './sign-in-policy.js';

const allOn = { password: true, office365: true, saml: true };

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
  it.each(['password', 'office365', 'saml'] as const)('lets %s through when enabled', (method) => {
    expect(codeOf(() => assertSignInMethodEnabledOrThrow(allOn, method))).toBeUndefined();
  });

  it.each(['password', 'office365', 'saml'] as const)(
    'refuses %s when disabled, with the exact message',
    (method) => {
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
    },
  );

  it('only looks at the method asked for', () => {
    const methods = { password: false, office365: false, saml: true };
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

describe('assertSomeSignInMethodUsableOrThrow', () => {
  const nothingSetUp = { enabledSamlProviders: 0, office365Configured: false };
  const allSetUp = { enabledSamlProviders: 1, office365Configured: true };

  it.each([
    [{ password: true, office365: false, saml: false }, nothingSetUp],
    [{ password: false, office365: false, saml: true }, allSetUp],
    [{ password: false, office365: true, saml: false }, allSetUp],
    [
      { password: false, office365: true, saml: true },
      { ...nothingSetUp, enabledSamlProviders: 2 },
    ],
  ])('lets %j through with %j', (methods, readiness) => {
    expect(codeOf(() => assertSomeSignInMethodUsableOrThrow(methods, readiness))).toBeUndefined();
  });

  it.each([
    [
      { password: false, office365: false, saml: true },
      [{ method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' }],
    ],
    [
      { password: false, office365: true, saml: false },
      [{ method: 'office365', reason: 'OFFICE365_WITHOUT_CONFIGURATION' }],
    ],
    [
      { password: false, office365: true, saml: true },
      [
        { method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' },
        { method: 'office365', reason: 'OFFICE365_WITHOUT_CONFIGURATION' },
      ],
    ],
  ])('refuses %j with nothing set up, naming %j', (methods, unusable) => {
    let caught: unknown;
    try {
      assertSomeSignInMethodUsableOrThrow(methods, nothingSetUp);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppException);
    expect((caught as AppException).code).toBe('NO_USABLE_SIGN_IN_METHOD');
    expect((caught as AppException).status).toBe(409);
    expect((caught as AppException).details).toEqual({ unusableMethods: unusable });
    expect(unusableSignInMethods(methods, nothingSetUp)).toEqual(unusable);
  });

  it('leaves all methods off to NO_SIGN_IN_METHOD', () => {
    const off = { password: false, office365: false, saml: false };
    expect(codeOf(() => assertSomeSignInMethodUsableOrThrow(off, nothingSetUp))).toBeUndefined();
  });
});

describe('assertMayForceOrThrow', () => {
  it('lets the internal token force, and anyone not force', () => {
    expect(
      codeOf(() => assertMayForceOrThrow({ channel: 'internal', type: 'internal' }, true)),
    ).toBeUndefined();
    expect(codeOf(() => assertMayForceOrThrow({ channel: 'admin', type: 'user' }, false))).toBe(
      undefined,
    );
  });

  it('refuses an admin session that asks to force', () => {
    expect(codeOf(() => assertMayForceOrThrow({ channel: 'admin', type: 'user' }, true))).toBe(
      'FORBIDDEN',
    );
  });
});
