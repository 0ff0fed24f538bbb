import { Injectable } from '@nestjs/common';
import type { AuditActor } from '../../workspace/actor.js';
import { normalizeEmail } from '../../workspace/email.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import { AuthException } from '../auth.errors.js';
import { type ExternalSignInResult, ExternalSignInService } from '../external-sign-in.service.js';
import type {
  OidcClient,
  OidcRequestContext,
  OidcSignInInput,
  OidcSignInMethod,
} from '../oidc/oidc-method.js';
import { OIDC_ROUTE_PREFIX, OidcConfigurationService } from './oidc-configuration.service.js';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function claimString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Generic OpenID Connect: each workspace names its own provider (OidcConfigurationService). The
 * provider vouches for the person by a verified email (`email_verified: true`, else refused),
 * like a SAML IdP: a member signs in by that email, and someone new gets an account just in
 * time only in a verified claimed domain of the workspace (never under SCIM-only provisioning).
 */
@Injectable()
export class GenericOidcSignIn implements OidcSignInMethod {
  readonly method = 'oidc' as const;
  readonly routePrefix = OIDC_ROUTE_PREFIX;
  readonly flowCookieName = 'gatehouse_oidc_flow';
  readonly flowKeyPurpose = 'gatehouse generic oidc flow cookie v1';
  readonly label = 'OpenID Connect';
  readonly idpName = 'your identity provider';
  readonly providerFromWorkspace = true;
  readonly notConfigured = {
    code: 'OIDC_NOT_CONFIGURED',
    message: 'This workspace has no OpenID provider set up. Please check with your administrator.',
  } as const;
  readonly unavailable = {
    code: 'OIDC_UNAVAILABLE',
    message: 'Your identity provider is unavailable right now. Please try again in a moment.',
  } as const;

  constructor(
    private readonly configurations: OidcConfigurationService,
    private readonly externalSignIn: ExternalSignInService,
  ) {}

  /** Nothing server-wide: each workspace brings its own provider. */
  assertServerConfigured(): void {}

  async client(workspace: Workspace): Promise<OidcClient> {
    const found = await this.configurations.findForSignIn(workspace.id);
    if (!found) throw new AuthException(this.notConfigured.code, this.notConfigured.message);
    return {
      issuer: found.issuer,
      clientId: found.clientId,
      clientSecret: found.clientSecret,
      slot: `oidc:${workspace.id}`,
      version: String(found.version),
    };
  }

  actor(context: OidcRequestContext): AuditActor {
    return { channel: 'auth', type: 'idp', label: this.label, ipAddress: context.ipAddress };
  }

  idpErrorMessage(error: string): string {
    return error === 'access_denied'
      ? 'The sign-in was cancelled or refused at your identity provider. Please try again or check with your administrator.'
      : `Your identity provider could not sign you in (${error}). Please try again or check with your administrator.`;
  }

  idpErrorDetails(): Record<string, unknown> {
    return {};
  }

  async signIn({
    workspace,
    claims,
    actor,
    context,
    auditDetails,
  }: OidcSignInInput): Promise<ExternalSignInResult> {
    const subject = claimString(claims.sub);
    if (subject) auditDetails.subject = subject.slice(0, 255);
    const email = claimString(claims.email);
    if (!email || email.length > 254 || !EMAIL_PATTERN.test(email)) {
      throw new AuthException(
        'OIDC_NO_EMAIL',
        'Your identity provider did not share an email address for your account, so we cannot tell who you are. Please check with your administrator.',
      );
    }
    auditDetails.email = normalizeEmail(email);
    auditDetails.emailVerified = claims.email_verified === true;
    if (claims.email_verified !== true) {
      throw new AuthException(
        'OIDC_EMAIL_UNVERIFIED',
        'Your identity provider did not confirm your email address, so it cannot sign you in here. Please check with your administrator.',
      );
    }
    return this.externalSignIn.complete(
      workspace,
      { email, fullName: claimString(claims.name) ?? null },
      {
        method: this.method,
        actor,
        justInTime: true,
        ipAddress: context.ipAddress,
        userAgent: context.userAgent,
      },
    );
  }
}
