import { AppException } from '../common/app-exception.js';
import {
  assertAllowedWithScimOrThrow,
  assertMayForceOrThrow,
  assertSomeSignInMethodOnOrThrow,
  assertSomeSignInMethodUsableOrThrow,
  defaultSignInMethods,
  methodsRefusedWithScim,
  methodsWithSetup,
  SIGN_IN_METHOD_TABLE,
  SIGN_IN_METHODS,
  type SignInMethod,
  type SignInMethods,
  type SignInReadiness,
  unusableSignInMethods,
  unusableSignInWarnings,
} from './sign-in-methods.js';

/** Only the methods named are on. */
function only(...methods: SignInMethod[]): SignInMethods {
  return Object.fromEntries(SIGN_IN_METHODS.map((m) => [m, methods.includes(m)])) as SignInMethods;
}

function readiness(...setUp: SignInMethod[]): SignInReadiness {
  return Object.fromEntries(
    methodsWithSetup().map((m) => [m, setUp.includes(m)]),
  ) as SignInReadiness;
}

function caught(fn: () => void): AppException | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof AppException) return error;
    throw error;
  }
}

const nothingSetUp = readiness();
const allSetUp = readiness(...SIGN_IN_METHODS);

describe('the table of sign-in methods', () => {
  it('names password, office365 and saml, on by default, and oidc, off until set up', () => {
    expect(SIGN_IN_METHODS).toEqual(['password', 'office365', 'saml', 'oidc']);
    expect(defaultSignInMethods()).toEqual({
      password: true,
      office365: true,
      saml: true,
      oidc: false,
    });
  });

  it('gives every setup rule its own reason code', () => {
    const reasons = methodsWithSetup().map((m) => SIGN_IN_METHOD_TABLE[m].setup.missing);
    expect(new Set(reasons).size).toBe(reasons.length);
  });

  it('lets only SAML stay on under SCIM', () => {
    expect(methodsRefusedWithScim(only(...SIGN_IN_METHODS))).toEqual(
      SIGN_IN_METHODS.filter((m) => m !== 'saml'),
    );
  });
});

describe('assertSomeSignInMethodOnOrThrow', () => {
  it('refuses every method off, naming them all', () => {
    const error = caught(() => assertSomeSignInMethodOnOrThrow(only()));
    expect(error?.code).toBe('NO_SIGN_IN_METHOD');
    expect(error?.message).toContain('password, office365');
  });

  it.each(SIGN_IN_METHODS)('lets %s alone through', (method) => {
    expect(caught(() => assertSomeSignInMethodOnOrThrow(only(method)))).toBeUndefined();
  });
});

describe('assertSomeSignInMethodUsableOrThrow', () => {
  it.each([
    [only('password'), nothingSetUp],
    [only('saml'), allSetUp],
    [only('office365'), allSetUp],
    [only('office365', 'saml'), readiness('saml')],
  ])('lets %j through with %j', (methods, ready) => {
    expect(caught(() => assertSomeSignInMethodUsableOrThrow(methods, ready))).toBeUndefined();
  });

  it.each([
    [only('saml'), [{ method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' }]],
    [only('office365'), [{ method: 'office365', reason: 'OFFICE365_WITHOUT_CONFIGURATION' }]],
    [
      only('office365', 'saml'),
      [
        { method: 'office365', reason: 'OFFICE365_WITHOUT_CONFIGURATION' },
        { method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' },
      ],
    ],
  ])('refuses %j with nothing set up, naming %j', (methods, unusable) => {
    const error = caught(() => assertSomeSignInMethodUsableOrThrow(methods, nothingSetUp));
    expect(error?.code).toBe('NO_USABLE_SIGN_IN_METHOD');
    expect(error?.status).toBe(409);
    expect(error?.details).toEqual({ unusableMethods: unusable });
    expect(unusableSignInMethods(methods, nothingSetUp)).toEqual(unusable);
  });

  it('leaves all methods off to NO_SIGN_IN_METHOD', () => {
    expect(caught(() => assertSomeSignInMethodUsableOrThrow(only(), nothingSetUp))).toBe(undefined);
  });
});

describe('unusableSignInWarnings', () => {
  it('warns of each enabled method without its setup, with its code', () => {
    expect(unusableSignInWarnings(only('password', 'saml'), nothingSetUp)).toEqual([
      { code: 'SAML_WITHOUT_PROVIDER', message: expect.stringContaining('no enabled SAML') },
    ]);
    expect(unusableSignInWarnings(only('password', 'saml'), allSetUp)).toEqual([]);
  });
});

describe('assertAllowedWithScimOrThrow', () => {
  it('refuses switching on a method SCIM does not allow, naming each', () => {
    const error = caught(() => assertAllowedWithScimOrThrow(['password', 'office365']));
    expect(error?.code).toBe('SCIM_REQUIRES_SAML_ONLY');
    expect(error?.details).toEqual({ reasons: ['PASSWORD_ENABLED', 'OFFICE365_ENABLED'] });
    expect(error?.message).toContain('before enabling password or Office365');
  });

  it('lets SAML be switched on', () => {
    expect(caught(() => assertAllowedWithScimOrThrow(['saml']))).toBeUndefined();
  });
});

describe('assertMayForceOrThrow', () => {
  it('lets the internal token force, and anyone not force', () => {
    expect(
      caught(() => assertMayForceOrThrow({ channel: 'internal', type: 'internal' }, true)),
    ).toBeUndefined();
    expect(
      caught(() => assertMayForceOrThrow({ channel: 'admin', type: 'user' }, false)),
    ).toBeUndefined();
  });

  it('refuses an admin session that asks to force', () => {
    expect(
      caught(() => assertMayForceOrThrow({ channel: 'admin', type: 'user' }, true))?.code,
    ).toBe('FORBIDDEN');
  });
});
