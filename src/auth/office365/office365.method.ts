import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import type { AuditActor } from '../../workspace/actor.js';
import { AuditService } from '../../workspace/audit.service.js';
import { DomainService } from '../../workspace/domain.service.js';
import { emailDomain } from '../../workspace/email.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import { SignInSetups } from '../../workspace/ports/sign-in-setups.port.js';
import { AuthException } from '../auth.errors.js';
import {
  type ExternalIdentityKey,
  ExternalIdentityRepository,
} from '../external-identity.repository.js';
import { type ExternalSignInResult, ExternalSignInService } from '../external-sign-in.service.js';
import type {
  OidcClient,
  OidcRequestContext,
  OidcSignInInput,
  OidcSignInMethod,
} from '../oidc/oidc-method.js';
import {
  boundKeyOrThrow,
  candidateEmails,
  linkableEmailOrThrow,
  type Office365Identity,
  office365IdentityFromClaims,
} from './office365-identity.js';

/**
 * Office365 (Microsoft Entra ID) over OpenID Connect: one app registration for the server
 * (OFFICE365_*), multi-tenant issuers (`/common/v2.0`, whose discovery document says
 * `{tenantid}`, validated by openid-client against each ID token's `tid`), the tenants the
 * deployment allows, and nOAuth: an identity is bound by `tid` + `oid`, and an email links it
 * only when Microsoft (or the workspace's verified domain in an allowed tenant) vouches for it.
 */
@Injectable()
export class Office365SignIn implements OidcSignInMethod, OnModuleInit {
  readonly method = 'office365' as const;
  readonly routePrefix = '/auth/office365';
  readonly flowCookieName = 'gatehouse_office365_flow';
  readonly flowKeyPurpose = 'gatehouse office365 oidc flow cookie v1';
  readonly label = 'Office365';
  readonly idpName = 'Microsoft';
  readonly providerFromWorkspace = false;
  readonly notConfigured = {
    code: 'OFFICE365_NOT_CONFIGURED',
    message: 'Sign-in with Office365 is not set up on this server.',
  } as const;
  readonly unavailable = {
    code: 'OFFICE365_UNAVAILABLE',
    message: 'Microsoft sign-in is unavailable right now. Please try again in a moment.',
  } as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly externalSignIn: ExternalSignInService,
    private readonly audit: AuditService,
    private readonly domains: DomainService,
    private readonly identities: ExternalIdentityRepository,
    private readonly signInSetups: SignInSetups,
  ) {}

  /** Office365's setup is the server's: every workspace has it or none does. */
  onModuleInit(): void {
    this.signInSetups.register('office365', { isSetUp: () => Promise.resolve(this.configured) });
  }

  get configured(): boolean {
    return this.config.office365.clientId !== undefined;
  }

  assertServerConfigured(): void {
    if (!this.configured) {
      throw new AuthException(this.notConfigured.code, this.notConfigured.message);
    }
  }

  client(): Promise<OidcClient> {
    this.assertServerConfigured();
    const { issuer, clientId, clientSecret } = this.config.office365;
    return Promise.resolve({
      issuer,
      clientId: clientId!,
      clientSecret,
      slot: 'office365',
      version: '1',
    });
  }

  actor(context: OidcRequestContext): AuditActor {
    return { channel: 'auth', type: 'idp', label: this.label, ipAddress: context.ipAddress };
  }

  idpErrorMessage(error: string): string {
    switch (error) {
      case 'access_denied':
        return 'The sign-in was cancelled or refused at Microsoft. Please try again or check with your administrator.';
      case 'consent_required':
      case 'interaction_required':
      case 'login_required':
        return 'Microsoft needs your consent or a fresh sign-in before you can continue. Please try again or check with your administrator.';
      case 'temporarily_unavailable':
      case 'server_error':
        return 'Microsoft could not sign you in right now. Please try again in a moment.';
      default:
        return `Microsoft could not sign you in (${error}). Please try again or check with your administrator.`;
    }
  }

  /** Entra's own error code (AADSTS50011...), which its documentation explains. */
  idpErrorDetails(description: string | undefined): Record<string, unknown> {
    const aadsts = description ? /\bAADSTS\d{4,6}\b/.exec(description)?.[0] : undefined;
    return aadsts ? { idpErrorCode: aadsts } : {};
  }

  /** Checks tenant and email, then signs in by the bound identity or links one by email. */
  async signIn({
    workspace,
    claims,
    actor,
    context,
    auditDetails,
  }: OidcSignInInput): Promise<ExternalSignInResult> {
    const identity = office365IdentityFromClaims(claims);
    if (identity.tenantId) auditDetails.tenantId = identity.tenantId;
    if (identity.objectId) auditDetails.objectId = identity.objectId;
    const claimedEmail = identity.email ?? identity.preferredUsername;
    if (claimedEmail) auditDetails.email = claimedEmail;
    if (identity.email) auditDetails.emailDomainVerified = identity.emailDomainVerified;
    const allowed = this.config.office365.allowedTenants;
    if (allowed.length > 0 && (!identity.tenantId || !allowed.includes(identity.tenantId))) {
      throw new AuthException(
        'OFFICE365_TENANT_NOT_ALLOWED',
        'Your Microsoft organization is not allowed to sign in here. Please check with your administrator.',
      );
    }
    const { tenantId, objectId } = boundKeyOrThrow(identity);
    const key: ExternalIdentityKey = { provider: 'office365', tenantId, subject: objectId };
    const signInContext = {
      method: this.method,
      actor,
      justInTime: false,
      ipAddress: context.ipAddress,
      userAgent: context.userAgent,
    };
    const fullName = identity.name ?? null;

    const boundUserId = await this.identities.findUserId(key);
    if (boundUserId !== null) {
      // Bound: the immutable ids decide; whatever email the token carries changes nothing.
      auditDetails.boundUserId = boundUserId;
      return this.externalSignIn.complete(
        workspace,
        { email: claimedEmail ?? '', fullName },
        {
          ...signInContext,
          userId: boundUserId,
          beforeSession: (tx) => this.identities.touchInTransaction(tx, key),
        },
      );
    }
    const trusted = await this.trustedDomains(workspace, identity);
    const link = linkableEmailOrThrow(identity, (domain) => trusted.has(domain));
    auditDetails.email = link.email;
    auditDetails.linkedBy = link.via;
    return this.externalSignIn.complete(
      workspace,
      { email: link.email, fullName },
      {
        ...signInContext,
        beforeSession: async (tx, userId) => {
          if (!(await this.identities.bindInTransaction(tx, key, userId))) return;
          await this.audit.record(tx, workspace.id, actor, {
            action: 'auth.identity_linked',
            targetType: 'user',
            targetId: userId,
            details: { method: this.method, tenantId, objectId, email: link.email, via: link.via },
          });
        },
      },
    );
  }

  /**
   * Domains of the token's addresses that the workspace has verified, when the deployment lists
   * the tenants it allows (this tenant passed that check): only then does the workspace's own
   * domain vouch for an address Microsoft did not verify.
   */
  private async trustedDomains(
    workspace: Workspace,
    identity: Office365Identity,
  ): Promise<Set<string>> {
    const trusted = new Set<string>();
    if (this.config.office365.allowedTenants.length === 0) return trusted;
    for (const email of candidateEmails(identity)) {
      const domain = emailDomain(email);
      if (await this.domains.isVerifiedDomainOf(workspace.id, domain)) trusted.add(domain);
    }
    return trusted;
  }
}
