import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { CookieOptions, Request, Response } from 'express';
import {
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  ClientError,
  Configuration,
  customFetch,
  discovery,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from 'openid-client';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../../workspace/actor.js';
import { AppException } from '../../common/app-exception.js';
import { safeEqual } from '../../common/secret-tokens.js';
import { SecretBox } from '../../common/secret-box.js';
import { LoginThrottleService } from '../login-throttle.service.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import { AuditService } from '../../workspace/audit.service.js';
import { DomainService } from '../../workspace/domain.service.js';
import { emailDomain } from '../../workspace/email.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import { SignInSetups } from '../../workspace/ports/sign-in-setups.port.js';
import { WorkspaceException } from '../../workspace/workspace.errors.js';
import { WorkspaceService } from '../../workspace/workspace.service.js';
import { AuthException } from '../auth.errors.js';
import {
  ExternalIdentityKey,
  ExternalIdentityRepository,
} from '../external-identity.repository.js';
import { ExternalSignInService } from '../external-sign-in.service.js';
import { safeRedirect } from '../redirect.js';
import { SessionService } from '../../workspace/sessions/session.service.js';
import { assertSignInMethodEnabledOrThrow } from '../sign-in-policy.js';
import { OIDC_FETCH, type OidcFetch } from './oidc-fetch.js';
import {
  boundKeyOrThrow,
  candidateEmails,
  linkableEmailOrThrow,
  type Office365Identity,
  office365IdentityFromClaims,
} from './office365-identity.js';

export const OFFICE365_FLOW_COOKIE = 'gatehouse_office365_flow';
export const OFFICE365_FLOW_COOKIE_PATH = '/auth/office365';
/** How long a person has between leaving for Microsoft and coming back. */
export const OFFICE365_FLOW_TTL_SECONDS = 10 * 60;
const SCOPE = 'openid profile email';
const DISCOVERY_TIMEOUT_SECONDS = 10;
const FLOW_COOKIE_KEY_PURPOSE = 'gatehouse office365 oidc flow cookie v1';
const MAX_REDIRECT_LENGTH = 1500;

/** What the browser carries (sealed) between the login redirect and the callback. */
interface FlowState {
  v: 1;
  workspaceId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirect: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface Office365RequestContext {
  ipAddress: string;
  userAgent?: string;
}

export interface Office365SignIn {
  token: string;
  lifetimeEndsAt: Date;
  redirect: string;
}

/** True for failures to reach the provider at all (network, DNS, timeout), not its answers. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof ClientError) return error.code === 'OAUTH_TIMEOUT';
  // fetch() rejects with a plain TypeError ("fetch failed"); openid-client's argument errors
  // are TypeErrors too, but carry an ERR_* code.
  return error instanceof TypeError && !('code' in error);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 500);
}

/** The `error` of an authorization response, restricted to its RFC 6749 alphabet. */
function sanitizeIdpError(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 64) || 'unknown_error';
}

function idpErrorMessage(error: string): string {
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

/**
 * Office365 (Microsoft Entra ID) sign-in: OpenID Connect authorization code flow with PKCE,
 * state and nonce through openid-client. The flow's secrets travel in a short-lived cookie
 * sealed with AES-256-GCM, so the browser can neither read nor forge them and no server-side
 * storage is needed. Multi-tenant issuers (`/common/v2.0`, whose discovery document says
 * `{tenantid}`) are validated by openid-client against each ID token's `tid`.
 */
@Injectable()
export class Office365Service implements OnModuleInit {
  private readonly logger = new Logger(Office365Service.name);
  private readonly flowBox: SecretBox;
  private configuration: Promise<Configuration> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OIDC_FETCH) private readonly fetchImpl: OidcFetch,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly workspaces: WorkspaceService,
    private readonly externalSignIn: ExternalSignInService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottleService,
    private readonly domains: DomainService,
    private readonly identities: ExternalIdentityRepository,
    private readonly signInSetups: SignInSetups,
  ) {
    this.flowBox = new SecretBox(config.secretKey, FLOW_COOKIE_KEY_PURPOSE);
  }

  /** Office365's setup is the server's: every workspace has it or none does. */
  onModuleInit(): void {
    this.signInSetups.register('office365', { isSetUp: () => Promise.resolve(this.configured) });
  }

  get configured(): boolean {
    return this.config.office365.clientId !== undefined;
  }

  get redirectUri(): string {
    return `${this.config.http.publicUrl}/auth/office365/callback`;
  }

  /** Step 1: where to send the browser, and the sealed flow state to keep in its cookie. */
  async startLogin(input: {
    workspace: string;
    redirect?: string;
  }): Promise<{ authorizationUrl: string; flowCookie: string }> {
    // The workspace's rule first: its members get the contract's sentence whatever the server has.
    const workspace = await this.workspaces.findByIdOrSlug(input.workspace);
    if (!workspace) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');
    assertSignInMethodEnabledOrThrow(workspace.signInMethods, 'office365');
    this.assertConfigured();
    const configuration = await this.discover();

    const flow: FlowState = {
      v: 1,
      workspaceId: workspace.id,
      state: randomState(),
      nonce: randomNonce(),
      codeVerifier: randomPKCECodeVerifier(),
      redirect: this.redirectTarget(input.redirect),
      expiresAt: Date.now() + OFFICE365_FLOW_TTL_SECONDS * 1000,
    };
    const authorizationUrl = buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: SCOPE,
      response_type: 'code',
      code_challenge: await calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { authorizationUrl: authorizationUrl.href, flowCookie: this.seal(flow) };
  }

  /**
   * Step 2: the browser is back from Microsoft with `code` and `state` (or `error`). Verifies the
   * answer against the flow cookie, exchanges the code, checks tenant and email, then signs in.
   * Every refusal once the workspace is known is audited as `auth.sign_in_failed`.
   */
  async completeLogin(
    query: URLSearchParams,
    flowCookie: string | undefined,
    context: Office365RequestContext,
  ): Promise<Office365SignIn> {
    this.assertConfigured();
    // Taken before anything is checked; a sign-in gives it back (a refusal keeps it).
    await this.throttle.consumeIp(context.ipAddress);
    const flow = flowCookie ? this.open(flowCookie) : null;
    if (!flow) {
      throw new AuthException(
        'OIDC_FLOW_INVALID',
        'This sign-in attempt has expired or was started in another browser. Please start again.',
      );
    }
    const workspace = await this.workspaces.findByIdOrSlug(flow.workspaceId);
    if (!workspace) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');

    const auditDetails: Record<string, unknown> = {};
    const actor = this.actor(context);
    try {
      this.assertStateAndNoIdpError(query, flow, auditDetails);
      assertSignInMethodEnabledOrThrow(workspace.signInMethods, 'office365');

      const claims = await this.exchangeCode(query, flow, auditDetails);
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

      // The code exchange took a round trip: decide on the workspace as it is now.
      const current = await this.workspaces.findByIdOrSlug(workspace.id);
      if (!current) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');
      const signInContext = {
        method: 'office365' as const,
        actor,
        justInTime: false,
        ipAddress: context.ipAddress,
        userAgent: context.userAgent,
      };
      const fullName = identity.name ?? null;
      const boundUserId = await this.identities.findUserId(key);
      let result;
      if (boundUserId !== null) {
        // Bound: the immutable ids decide; whatever email the token carries changes nothing.
        auditDetails.boundUserId = boundUserId;
        result = await this.externalSignIn.complete(
          current,
          { email: claimedEmail ?? '', fullName },
          {
            ...signInContext,
            userId: boundUserId,
            beforeSession: (tx) => this.identities.touchInTransaction(tx, key),
          },
        );
      } else {
        const trusted = await this.trustedDomains(current, identity);
        const link = linkableEmailOrThrow(identity, (domain) => trusted.has(domain));
        auditDetails.email = link.email;
        auditDetails.linkedBy = link.via;
        result = await this.externalSignIn.complete(
          current,
          { email: link.email, fullName },
          {
            ...signInContext,
            beforeSession: async (tx, userId) => {
              if (!(await this.identities.bindInTransaction(tx, key, userId))) return;
              await this.audit.record(tx, current.id, actor, {
                action: 'auth.identity_linked',
                targetType: 'user',
                targetId: userId,
                details: {
                  method: 'office365',
                  tenantId,
                  objectId,
                  email: link.email,
                  via: link.via,
                },
              });
            },
          },
        );
      }
      await this.throttle.refundIp(context.ipAddress);
      const session = await this.sessions.authenticate(result.token);
      if (!session) throw new Error('A session just created did not authenticate');
      return {
        token: result.token,
        lifetimeEndsAt: session.lifetimeEndsAt,
        redirect: safeRedirect(flow.redirect, this.config.http.frontendUrl),
      };
    } catch (error) {
      await this.recordFailure(workspace, actor, error, auditDetails);
      throw error;
    }
  }

  setFlowCookie(response: Response, sealed: string): void {
    response.cookie(OFFICE365_FLOW_COOKIE, sealed, {
      ...this.flowCookieOptions(),
      maxAge: OFFICE365_FLOW_TTL_SECONDS * 1000,
    });
  }

  readFlowCookie(request: Request): string | undefined {
    const cookies = request.cookies as Record<string, string> | undefined;
    return cookies?.[OFFICE365_FLOW_COOKIE];
  }

  clearFlowCookie(response: Response): void {
    response.clearCookie(OFFICE365_FLOW_COOKIE, this.flowCookieOptions());
  }

  private flowCookieOptions(): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.session.secureCookie,
      path: OFFICE365_FLOW_COOKIE_PATH,
    };
  }

  /** Where to land after signing in; kept short enough for the cookie (browsers cap at 4 KB). */
  private redirectTarget(requested: string | undefined): string {
    const target = safeRedirect(requested, this.config.http.frontendUrl);
    return target.length <= MAX_REDIRECT_LENGTH
      ? target
      : safeRedirect(null, this.config.http.frontendUrl);
  }

  private assertConfigured(): void {
    if (!this.configured) {
      throw new AuthException(
        'OFFICE365_NOT_CONFIGURED',
        'Sign-in with Office365 is not set up on this server.',
      );
    }
  }

  /** The provider's metadata, discovered on first use and kept; a failed attempt is retried. */
  private discover(): Promise<Configuration> {
    if (!this.configuration) {
      const attempt = this.runDiscovery();
      this.configuration = attempt;
      attempt.catch(() => {
        if (this.configuration === attempt) this.configuration = null;
      });
    }
    return this.configuration;
  }

  private async runDiscovery(): Promise<Configuration> {
    const { issuer, clientId, clientSecret } = this.config.office365;
    const server = new URL(issuer);
    const insecure = server.protocol === 'http:';
    try {
      return await discovery(server, clientId!, clientSecret, undefined, {
        [customFetch]: this.fetchImpl,
        timeout: DISCOVERY_TIMEOUT_SECONDS,
        // Plain HTTP only for a local provider outside production (refused above otherwise).
        execute: insecure ? [allowInsecureRequests] : [],
      });
    } catch (error) {
      this.logger.warn(`OpenID discovery of ${issuer} failed: ${describe(error)}`);
      throw new AuthException(
        'OFFICE365_UNAVAILABLE',
        'Microsoft sign-in is unavailable right now. Please try again in a moment.',
      );
    }
  }

  private assertStateAndNoIdpError(
    query: URLSearchParams,
    flow: FlowState,
    auditDetails: Record<string, unknown>,
  ): void {
    const state = query.get('state');
    const error = query.get('error');
    // An IdP error without state is still shown (nothing is signed in either way).
    if (state !== null ? !safeEqual(state, flow.state) : error === null) {
      throw new AuthException(
        'OIDC_STATE_MISMATCH',
        'This answer from Microsoft does not belong to the sign-in started in this browser. Please start again.',
      );
    }
    if (error !== null) {
      const idpError = sanitizeIdpError(error);
      const description = query.get('error_description')?.slice(0, 500);
      auditDetails.idpError = idpError;
      if (description) auditDetails.idpErrorDescription = description;
      const aadsts = description ? /\bAADSTS\d{4,6}\b/.exec(description)?.[0] : undefined;
      throw new AuthException('OIDC_IDP_ERROR', idpErrorMessage(idpError), {
        idpError,
        ...(aadsts ? { idpErrorCode: aadsts } : {}),
      });
    }
  }

  private async exchangeCode(
    query: URLSearchParams,
    flow: FlowState,
    auditDetails: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const configuration = await this.discover();
    // The URL Microsoft redirected to, as registered: PUBLIC_URL, not whatever Host came in.
    const currentUrl = new URL(this.redirectUri);
    currentUrl.search = query.toString();
    try {
      const tokens = await authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token claims');
      return claims;
    } catch (error) {
      auditDetails.error = describe(error);
      if (isUnreachable(error)) {
        this.logger.warn(`Office365 token endpoint unreachable: ${describe(error)}`);
        throw new AuthException(
          'OFFICE365_UNAVAILABLE',
          'Microsoft sign-in is unavailable right now. Please try again in a moment.',
        );
      }
      this.logger.warn(`Office365 callback refused: ${describe(error)}`);
      throw new AuthException(
        'OIDC_CALLBACK_FAILED',
        'The answer from Microsoft could not be verified. Please try signing in again.',
      );
    }
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

  private actor(context: Office365RequestContext): AuditActor {
    return { channel: 'auth', type: 'idp', label: 'Office365', ipAddress: context.ipAddress };
  }

  /** Outside any transaction; never hides the refusal itself if the write fails. */
  private async recordFailure(
    workspace: Workspace,
    actor: AuditActor,
    error: unknown,
    auditDetails: Record<string, unknown>,
  ): Promise<void> {
    const reason = error instanceof AppException ? error.code : 'INTERNAL_ERROR';
    try {
      await this.audit.record(this.dataSource.manager, workspace.id, actor, {
        action: 'auth.sign_in_failed',
        details: { method: 'office365', reason, ...auditDetails },
      });
    } catch (auditError) {
      this.logger.error(`Could not record a failed Office365 sign-in: ${describe(auditError)}`);
    }
  }

  /** Sealed with SecretBox (AES-256-GCM, key derived from SECRET_KEY for this purpose only). */
  private seal(flow: FlowState): string {
    return this.flowBox.seal(JSON.stringify(flow));
  }

  /** The flow state, or null when the cookie was not sealed here, is malformed or expired. */
  private open(sealed: string): FlowState | null {
    const json = this.flowBox.open(sealed);
    if (json === null) return null;
    let flow: Partial<FlowState>;
    try {
      flow = JSON.parse(json) as Partial<FlowState>;
    } catch {
      return null;
    }
    const valid =
      flow.v === 1 &&
      typeof flow.workspaceId === 'string' &&
      typeof flow.state === 'string' &&
      typeof flow.nonce === 'string' &&
      typeof flow.codeVerifier === 'string' &&
      typeof flow.redirect === 'string' &&
      typeof flow.expiresAt === 'number' &&
      flow.expiresAt > Date.now();
    return valid ? (flow as FlowState) : null;
  }
}
