import { Inject, Injectable, Logger } from '@nestjs/common';
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
import { AppException } from '../../common/app-exception.js';
import { safeEqual } from '../../common/secret-tokens.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import type { AuditActor } from '../../workspace/actor.js';
import { AuditService } from '../../workspace/audit.service.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import { SessionService } from '../../workspace/sessions/session.service.js';
import { WorkspaceException } from '../../workspace/workspace.errors.js';
import { WorkspaceService } from '../../workspace/workspace.service.js';
import { AuthException } from '../auth.errors.js';
import { LoginThrottleService } from '../login-throttle.service.js';
import { safeRedirect } from '../redirect.js';
import { SessionCookie } from '../session/session-cookie.js';
import { assertSignInMethodEnabledOrThrow } from '../sign-in-policy.js';
import { OIDC_FETCH, type OidcFetch } from './oidc-fetch.js';
import { type FlowState, OidcFlowStates } from './oidc-flow-state.js';
import type { OidcClient, OidcRequestContext, OidcSignInMethod } from './oidc-method.js';
import { guardedFetch, OutboundRefusedError } from './outbound-guard.js';

/** How long a person has between leaving for the provider and coming back. */
export const OIDC_FLOW_TTL_SECONDS = 10 * 60;
const SCOPE = 'openid profile email';
const DISCOVERY_TIMEOUT_SECONDS = 10;
const MAX_REDIRECT_LENGTH = 1500;

export interface OidcSignIn {
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

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 500);
}

function isOutboundRefusal(error: unknown): boolean {
  return (
    error instanceof OutboundRefusedError ||
    (error instanceof Error && error.cause instanceof OutboundRefusedError)
  );
}

/** The `error` of an authorization response, restricted to its RFC 6749 alphabet. */
function sanitizeIdpError(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 64) || 'unknown_error';
}

/**
 * OpenID Connect sign-in for every method over it (OidcSignInMethod): authorization code flow
 * with PKCE, state and nonce through openid-client. The flow's secrets travel in a short-lived
 * cookie sealed with AES-256-GCM (a key per method), so the browser can neither read nor forge
 * them and no server-side storage is needed. The method decides what the verified claims mean.
 */
@Injectable()
export class OidcSignInFlow {
  private readonly logger = new Logger(OidcSignInFlow.name);
  /** Discovered provider metadata per slot (a workspace, or the server), with its version. */
  private readonly configurations = new Map<
    string,
    { version: string; configuration: Promise<Configuration> }
  >();
  private readonly flowStates: OidcFlowStates;
  /** For providers workspace admins choose: loopback only outside production. */
  private readonly guardedFetchImpl: OidcFetch;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OIDC_FETCH) private readonly fetchImpl: OidcFetch,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly workspaces: WorkspaceService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottleService,
    private readonly sessionCookie: SessionCookie,
  ) {
    this.flowStates = new OidcFlowStates(config.secretKey, config.previousSecretKeys);
    this.guardedFetchImpl = guardedFetch(fetchImpl, {
      allowLoopback: config.nodeEnv !== 'production',
      allowPrivateNetworks: false,
    });
  }

  redirectUri(method: OidcSignInMethod): string {
    return `${this.config.http.publicUrl}${method.routePrefix}/callback`;
  }

  /** GET <prefix>/login: the flow cookie, and a redirect to the provider. */
  async login(
    method: OidcSignInMethod,
    input: { workspace: string; redirect?: string },
    response: Response,
  ): Promise<void> {
    const { authorizationUrl, flowCookie } = await this.startLogin(method, input);
    response.cookie(method.flowCookieName, flowCookie, {
      ...this.flowCookieOptions(method),
      maxAge: OIDC_FLOW_TTL_SECONDS * 1000,
    });
    response.setHeader('Cache-Control', 'no-store');
    response.redirect(302, authorizationUrl);
  }

  /** GET <prefix>/callback: the session cookie and a redirect to the frontend, or a refusal. */
  async callback(method: OidcSignInMethod, request: Request, response: Response): Promise<void> {
    const cookies = request.cookies as Record<string, string> | undefined;
    const flowCookie = cookies?.[method.flowCookieName];
    // One attempt per cookie, whatever the outcome (the error page keeps this header).
    response.clearCookie(method.flowCookieName, this.flowCookieOptions(method));
    response.setHeader('Cache-Control', 'no-store');
    const queryStart = request.originalUrl.indexOf('?');
    const query = new URLSearchParams(
      queryStart === -1 ? '' : request.originalUrl.slice(queryStart + 1),
    );
    const result = await this.completeLogin(method, query, flowCookie, {
      ipAddress: request.ip ?? 'unknown',
      userAgent: request.headers['user-agent'],
    });
    this.sessionCookie.set(response, result.token, result.lifetimeEndsAt);
    response.redirect(302, result.redirect);
  }

  /** Step 1: where to send the browser, and the sealed flow state to keep in its cookie. */
  async startLogin(
    method: OidcSignInMethod,
    input: { workspace: string; redirect?: string },
  ): Promise<{ authorizationUrl: string; flowCookie: string }> {
    // The workspace's rule first: its members get the contract's sentence whatever the server has.
    const workspace = await this.workspaces.findByIdOrSlug(input.workspace);
    if (!workspace) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');
    assertSignInMethodEnabledOrThrow(workspace.signInMethods, method.method);
    method.assertServerConfigured();
    const configuration = await this.discover(method, await method.client(workspace));

    const flow: FlowState = {
      v: 1,
      workspaceId: workspace.id,
      state: randomState(),
      nonce: randomNonce(),
      codeVerifier: randomPKCECodeVerifier(),
      redirect: this.redirectTarget(input.redirect),
      expiresAt: Date.now() + OIDC_FLOW_TTL_SECONDS * 1000,
    };
    const authorizationUrl = buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(method),
      scope: SCOPE,
      response_type: 'code',
      code_challenge: await calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return {
      authorizationUrl: authorizationUrl.href,
      flowCookie: this.flowStates.seal(method.flowKeyPurpose, flow),
    };
  }

  /**
   * Step 2: the browser is back from the provider with `code` and `state` (or `error`).
   * Verifies the answer against the flow cookie, exchanges the code, then lets the method sign
   * the person in. Every refusal once the workspace is known is audited as
   * `auth.sign_in_failed`.
   */
  async completeLogin(
    method: OidcSignInMethod,
    query: URLSearchParams,
    flowCookie: string | undefined,
    context: OidcRequestContext,
  ): Promise<OidcSignIn> {
    method.assertServerConfigured();
    // Taken before anything is checked; a sign-in gives it back (a refusal keeps it).
    await this.throttle.consumeIp(context.ipAddress);
    const flow = flowCookie ? this.flowStates.open(method.flowKeyPurpose, flowCookie) : null;
    if (!flow) {
      throw new AuthException(
        'OIDC_FLOW_INVALID',
        'This sign-in attempt has expired or was started in another browser. Please start again.',
      );
    }
    const workspace = await this.workspaces.findByIdOrSlug(flow.workspaceId);
    if (!workspace) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');

    const auditDetails: Record<string, unknown> = {};
    const actor = method.actor(context);
    try {
      this.assertStateAndNoIdpError(method, query, flow, auditDetails);
      assertSignInMethodEnabledOrThrow(workspace.signInMethods, method.method);
      const client = await method.client(workspace);
      const claims = await this.exchangeCode(method, client, query, flow, auditDetails);

      // The code exchange took a round trip: decide on the workspace as it is now.
      const current = await this.workspaces.findByIdOrSlug(workspace.id);
      if (!current) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');
      const result = await method.signIn({
        workspace: current,
        claims,
        actor,
        context,
        auditDetails,
      });
      await this.throttle.refundIp(context.ipAddress);
      const session = await this.sessions.authenticate(result.token);
      if (!session) throw new Error('A session just created did not authenticate');
      return {
        token: result.token,
        lifetimeEndsAt: session.lifetimeEndsAt,
        redirect: safeRedirect(flow.redirect, this.config.http.frontendUrl),
      };
    } catch (error) {
      await this.recordFailure(method, workspace, actor, error, auditDetails);
      throw error;
    }
  }

  private flowCookieOptions(method: OidcSignInMethod): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.session.secureCookie,
      path: method.routePrefix,
    };
  }

  /** Where to land after signing in; kept short enough for the cookie (browsers cap at 4 KB). */
  private redirectTarget(requested: string | undefined): string {
    const target = safeRedirect(requested, this.config.http.frontendUrl);
    return target.length <= MAX_REDIRECT_LENGTH
      ? target
      : safeRedirect(null, this.config.http.frontendUrl);
  }

  /**
   * The provider's metadata, discovered on first use and kept per slot until the client's
   * version changes; a failed attempt is retried.
   */
  private discover(method: OidcSignInMethod, client: OidcClient): Promise<Configuration> {
    const kept = this.configurations.get(client.slot);
    if (kept && kept.version === client.version) return kept.configuration;
    const configuration = this.runDiscovery(method, client);
    const entry = { version: client.version, configuration };
    this.configurations.set(client.slot, entry);
    configuration.catch(() => {
      if (this.configurations.get(client.slot) === entry) this.configurations.delete(client.slot);
    });
    return configuration;
  }

  private async runDiscovery(method: OidcSignInMethod, client: OidcClient): Promise<Configuration> {
    try {
      return await this.discoverNow(client, method.providerFromWorkspace);
    } catch (error) {
      this.logger.warn(`OpenID discovery of ${client.issuer} failed: ${describeError(error)}`);
      throw new AuthException(method.unavailable.code, method.unavailable.message);
    }
  }

  /**
   * Reads the issuer's discovery document now (nothing kept), through the outbound guard:
   * refuses an issuer at an address the server must not call, or whose document cannot be read
   * or names another issuer. For a workspace admin setting up a provider.
   */
  async checkIssuer(client: Pick<OidcClient, 'issuer' | 'clientId' | 'clientSecret'>) {
    try {
      await this.discoverNow(client, true);
    } catch (error) {
      this.logger.warn(`OpenID discovery of ${client.issuer} failed: ${describeError(error)}`);
      if (isOutboundRefusal(error)) {
        throw new AuthException(
          'OIDC_INVALID_ISSUER',
          "The server may not call this issuer: it is not a public https address (loopback, private, link-local and reserved addresses are refused). Use the provider's public address.",
        );
      }
      throw new AuthException(
        'OIDC_DISCOVERY_FAILED',
        `No OpenID provider answered for this issuer at ${client.issuer.replace(/\/$/, '')}/.well-known/openid-configuration. Check the issuer URL: it must be exactly the "issuer" of that document.`,
      );
    }
  }

  /** Discovery; the Configuration keeps the fetch for the token endpoint and signing keys too. */
  private discoverNow(
    { issuer, clientId, clientSecret }: Pick<OidcClient, 'issuer' | 'clientId' | 'clientSecret'>,
    guarded: boolean,
  ): Promise<Configuration> {
    const server = new URL(issuer);
    return discovery(server, clientId, clientSecret, undefined, {
      [customFetch]: guarded ? this.guardedFetchImpl : this.fetchImpl,
      timeout: DISCOVERY_TIMEOUT_SECONDS,
      // Plain HTTP only for a local provider outside production (refused before this).
      execute: server.protocol === 'http:' ? [allowInsecureRequests] : [],
    });
  }

  private assertStateAndNoIdpError(
    method: OidcSignInMethod,
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
        `This answer from ${method.idpName} does not belong to the sign-in started in this browser. Please start again.`,
      );
    }
    if (error !== null) {
      const idpError = sanitizeIdpError(error);
      const description = query.get('error_description')?.slice(0, 500);
      auditDetails.idpError = idpError;
      if (description) auditDetails.idpErrorDescription = description;
      throw new AuthException('OIDC_IDP_ERROR', method.idpErrorMessage(idpError), {
        idpError,
        ...method.idpErrorDetails(description),
      });
    }
  }

  private async exchangeCode(
    method: OidcSignInMethod,
    client: OidcClient,
    query: URLSearchParams,
    flow: FlowState,
    auditDetails: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const configuration = await this.discover(method, client);
    // The URL the provider redirected to, as registered: PUBLIC_URL, not whatever Host came in.
    const currentUrl = new URL(this.redirectUri(method));
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
      auditDetails.error = describeError(error);
      if (isUnreachable(error)) {
        this.logger.warn(`${method.label} token endpoint unreachable: ${describeError(error)}`);
        throw new AuthException(method.unavailable.code, method.unavailable.message);
      }
      this.logger.warn(`${method.label} callback refused: ${describeError(error)}`);
      throw new AuthException(
        'OIDC_CALLBACK_FAILED',
        `The answer from ${method.idpName} could not be verified. Please try signing in again.`,
      );
    }
  }

  /** Outside any transaction; never hides the refusal itself if the write fails. */
  private async recordFailure(
    method: OidcSignInMethod,
    workspace: Workspace,
    actor: AuditActor,
    error: unknown,
    auditDetails: Record<string, unknown>,
  ): Promise<void> {
    const reason = error instanceof AppException ? error.code : 'INTERNAL_ERROR';
    try {
      await this.audit.record(this.dataSource.manager, workspace.id, actor, {
        action: 'auth.sign_in_failed',
        details: { method: method.method, reason, ...auditDetails },
      });
    } catch (auditError) {
      this.logger.error(
        `Could not record a failed ${method.label} sign-in: ${describeError(auditError)}`,
      );
    }
  }
}
