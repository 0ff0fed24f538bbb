import type { AuditActor } from '../workspace/actor.js';
import { CommonException } from '../common/app-exception.js';
import type { MemberStatus } from '../workspace/entities/membership.entity.js';
import type { SignInMethods } from '../workspace/entities/workspace.entity.js';
import { WorkspaceException } from '../workspace/workspace.errors.js';
import { AuthException, SIGN_IN_METHOD_DISABLED_MESSAGE } from './auth.errors.js';
import { SIGN_IN_METHODS, type SignInMethod } from '../workspace/sessions/session.entity.js';

/**
 * The sign-in rules, as small pure functions every method's path calls in this order:
 * the method is enabled for the workspace, then the person's membership is active.
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

/** What the enabled methods need beyond their switch: a SAML provider, the server's Office365 setup. */
export interface SignInReadiness {
  enabledSamlProviders: number;
  office365Configured: boolean;
}

/** Why an enabled method cannot sign anyone in (the same codes as the settings warnings). */
export type UnusableReason = 'SAML_WITHOUT_PROVIDER' | 'OFFICE365_WITHOUT_CONFIGURATION';

export interface UnusableSignInMethod {
  method: SignInMethod;
  reason: UnusableReason;
}

const UNUSABLE_SENTENCES: Record<UnusableReason, string> = {
  SAML_WITHOUT_PROVIDER: 'SAML is on but no SAML provider is enabled',
  OFFICE365_WITHOUT_CONFIGURATION: 'Office365 is on but this server has no Office365 configuration',
};

/** The enabled methods that cannot sign anyone in, and why. */
export function unusableSignInMethods(
  methods: SignInMethods,
  readiness: SignInReadiness,
): UnusableSignInMethod[] {
  const unusable: UnusableSignInMethod[] = [];
  if (methods.saml && readiness.enabledSamlProviders === 0) {
    unusable.push({ method: 'saml', reason: 'SAML_WITHOUT_PROVIDER' });
  }
  if (methods.office365 && !readiness.office365Configured) {
    unusable.push({ method: 'office365', reason: 'OFFICE365_WITHOUT_CONFIGURATION' });
  }
  return unusable;
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
      .map((u) => UNUSABLE_SENTENCES[u.reason])
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
