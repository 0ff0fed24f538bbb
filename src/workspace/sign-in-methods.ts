import { CommonException } from '../common/app-exception.js';
import type { AuditActor } from './actor.js';
import { WorkspaceException } from './workspace.errors.js';

/** What a method needs beyond its switch before anyone can sign in with it. */
interface SetupRule {
  /** The code of the settings warning, and the reason in NO_USABLE_SIGN_IN_METHOD. */
  missing: string;
  /** The short form, in the refusal of a change that leaves nobody able to sign in. */
  unusable: string;
  /** The admin's warning while the method is on without it. */
  warning: string;
}

interface SignInMethodDefinition {
  /** The method's name in sentences for admins. */
  label: string;
  /** Its switch in a new workspace (the default of its `workspaces.sign_in_<method>` column). */
  enabledByDefault: boolean;
  /** What it needs beyond its switch, asked of the module that owns it (SignInSetups), or null. */
  setup: SetupRule | null;
  /** May it stay on while SCIM provisions the workspace (whose people sign in through its IdP)? */
  allowedWithScim: boolean;
}

/**
 * Every sign-in method, in one table: the settings DTO, the OpenAPI document, the Workspace
 * entity's switches, the settings rules and the SCIM rule are built from it, and a test compares
 * it with the database (the `sign_in_<method>` columns and the sessions CHECK).
 *
 * A new method is an entry here, a migration (its column and the CHECK), and its provider under
 * `src/auth/` (which registers its setup check with SignInSetups when it has a setup rule).
 */
export const SIGN_IN_METHOD_TABLE = {
  password: {
    label: 'password',
    enabledByDefault: true,
    setup: null,
    allowedWithScim: false,
  },
  office365: {
    label: 'Office365',
    enabledByDefault: true,
    setup: {
      missing: 'OFFICE365_WITHOUT_CONFIGURATION',
      unusable: 'Office365 is on but this server has no Office365 configuration',
      warning:
        'Office365 sign-in is enabled but this server has no Office365 configuration (OFFICE365_CLIENT_ID), so nobody can sign in with Office365.',
    },
    allowedWithScim: false,
  },
  saml: {
    label: 'SAML',
    enabledByDefault: true,
    setup: {
      missing: 'SAML_WITHOUT_PROVIDER',
      unusable: 'SAML is on but no SAML provider is enabled',
      warning:
        'SAML sign-in is enabled but this workspace has no enabled SAML provider, so nobody can sign in with SAML yet.',
    },
    allowedWithScim: true,
  },
  oidc: {
    label: 'OpenID Connect',
    // Off until the workspace has set up its own provider.
    enabledByDefault: false,
    setup: {
      missing: 'OIDC_WITHOUT_CONFIGURATION',
      unusable: 'OpenID Connect is on but no OpenID provider is set up',
      warning:
        'OpenID Connect sign-in is enabled but this workspace has no OpenID provider set up (PUT /api/workspaces/:ws/oidc-provider), so nobody can sign in with it yet.',
    },
    allowedWithScim: false,
  },
} as const satisfies Record<string, SignInMethodDefinition>;

type Table = typeof SIGN_IN_METHOD_TABLE;
export type SignInMethod = keyof Table;
export const SIGN_IN_METHODS = Object.keys(SIGN_IN_METHOD_TABLE) as readonly SignInMethod[];

/** Which methods a workspace has switched on. */
export type SignInMethods = Record<SignInMethod, boolean>;

/** The methods that need something beyond their switch. */
export type MethodWithSetup = {
  [M in SignInMethod]: Table[M]['setup'] extends null ? never : M;
}[SignInMethod];

/** Why an enabled method cannot sign anyone in (also the code of its settings warning). */
export type UnusableReason = NonNullable<Table[SignInMethod]['setup']>['missing'];

export interface UnusableSignInMethod {
  method: MethodWithSetup;
  reason: UnusableReason;
}

/** Which methods with a setup rule have what they need, in this workspace, now. */
export type SignInReadiness = Record<MethodWithSetup, boolean>;

export function isSignInMethod(value: unknown): value is SignInMethod {
  return typeof value === 'string' && Object.hasOwn(SIGN_IN_METHOD_TABLE, value);
}

export function signInMethodColumn(method: SignInMethod): string {
  return `sign_in_${method}`;
}

export function signInMethodLabel(method: SignInMethod): string {
  return SIGN_IN_METHOD_TABLE[method].label;
}

export function methodsWithSetup(): MethodWithSetup[] {
  return SIGN_IN_METHODS.filter(
    (method): method is MethodWithSetup => SIGN_IN_METHOD_TABLE[method].setup !== null,
  );
}

function setupOf(method: MethodWithSetup): SetupRule {
  return SIGN_IN_METHOD_TABLE[method].setup;
}

/** "a, b or c" */
function oneOf(words: readonly string[]): string {
  return words.length <= 1
    ? words.join('')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The switches of a new workspace. */
export function defaultSignInMethods(): SignInMethods {
  return Object.fromEntries(
    SIGN_IN_METHODS.map((method) => [method, SIGN_IN_METHOD_TABLE[method].enabledByDefault]),
  ) as SignInMethods;
}

/** Every switch off is refused before anything else: the workspace would be locked out. */
export function assertSomeSignInMethodOnOrThrow(methods: SignInMethods): void {
  if (SIGN_IN_METHODS.some((method) => methods[method])) return;
  throw new WorkspaceException(
    'NO_SIGN_IN_METHOD',
    `At least one sign-in method (${oneOf(SIGN_IN_METHODS)}) must stay enabled.`,
  );
}

/** The enabled methods that cannot sign anyone in, and why, in the table's order. */
export function unusableSignInMethods(
  methods: SignInMethods,
  readiness: SignInReadiness,
): UnusableSignInMethod[] {
  return methodsWithSetup()
    .filter((method) => methods[method] && !readiness[method])
    .map((method) => ({ method, reason: setupOf(method).missing as UnusableReason }));
}

/** The admin's warnings for the enabled methods that cannot sign anyone in. */
export function unusableSignInWarnings(
  methods: SignInMethods,
  readiness: SignInReadiness,
): { code: UnusableReason; message: string }[] {
  return unusableSignInMethods(methods, readiness).map(({ method, reason }) => ({
    code: reason,
    message: setupOf(method).warning,
  }));
}

/**
 * Refuses a state where some method is on but none can sign anyone in (the workspace would be
 * locked out). All methods off is NO_SIGN_IN_METHOD, checked before this.
 */
export function assertSomeSignInMethodUsableOrThrow(
  methods: SignInMethods,
  readiness: SignInReadiness,
): void {
  const enabled = SIGN_IN_METHODS.filter((method) => methods[method]);
  const unusable = unusableSignInMethods(methods, readiness);
  if (enabled.length === 0 || unusable.length < enabled.length) return;
  throw new WorkspaceException(
    'NO_USABLE_SIGN_IN_METHOD',
    `This change would leave nobody able to sign in: ${unusable
      .map((u) => setupOf(u.method).unusable)
      .join(
        '; ',
      )}. Enable what is missing or keep another sign-in method on (the internal API token may force the change with ?force=true).`,
    { unusableMethods: unusable },
  );
}

/** Only the internal API token may force a change past a sign-in safety rule. */
export function assertMayForceOrThrow(actor: AuditActor, force: boolean): void {
  if (force && actor.type !== 'internal') {
    throw new CommonException(
      'FORBIDDEN',
      'Only the internal API token can force a change that leaves no usable sign-in method.',
    );
  }
}

/** Why a method keeps SCIM off, or may not be switched on under SCIM: `PASSWORD_ENABLED`... */
export type ScimConflict = `${Uppercase<SignInMethod>}_ENABLED`;

export function scimConflict(method: SignInMethod): ScimConflict {
  return `${method.toUpperCase()}_ENABLED` as ScimConflict;
}

/**
 * The enabled methods SCIM provisioning does not allow: people it provisions sign in through
 * the SAML IdP that provisions them.
 */
export function methodsRefusedWithScim(methods: SignInMethods): SignInMethod[] {
  return SIGN_IN_METHODS.filter(
    (method) => methods[method] && !SIGN_IN_METHOD_TABLE[method].allowedWithScim,
  );
}

/** Refuses switching on, while SCIM is on, a method SCIM does not allow. */
export function assertAllowedWithScimOrThrow(switchedOn: readonly SignInMethod[]): void {
  const refused = switchedOn.filter((method) => !SIGN_IN_METHOD_TABLE[method].allowedWithScim);
  if (refused.length === 0) return;
  throw new WorkspaceException(
    'SCIM_REQUIRES_SAML_ONLY',
    `SCIM provisioning is on: people sign in through SAML only. Disable SCIM before enabling ${oneOf(
      refused.map(signInMethodLabel),
    )}.`,
    { reasons: refused.map(scimConflict) },
  );
}
