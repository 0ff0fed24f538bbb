import type { AuditActor } from '../../workspace/actor.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import type { SignInMethod } from '../../workspace/sign-in-methods.js';
import type { AuthErrorCode } from '../auth.errors.js';
import type { ExternalSignInResult } from '../external-sign-in.service.js';

/** Where a method's OpenID provider is and who we are to it. */
export interface OidcClient {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /**
   * Which discovered configuration this is (`slot`: one per workspace, or one for the server)
   * and its version (`version`): a new version is discovered again.
   */
  slot: string;
  version: string;
}

export interface OidcRequestContext {
  ipAddress: string;
  userAgent?: string;
}

/** What a method does once the ID token is verified, with what the flow collected. */
export interface OidcSignInInput {
  workspace: Workspace;
  claims: Record<string, unknown>;
  actor: AuditActor;
  context: OidcRequestContext;
  /** Written to the `auth.sign_in_failed` event if the sign-in is refused. */
  auditDetails: Record<string, unknown>;
}

/**
 * A sign-in method over OpenID Connect (authorization code flow with PKCE, state and nonce, run
 * by OidcSignInFlow): which provider, what its claims mean, its refusals and their words. One
 * such file (and a table entry and a migration) makes a new method like Google.
 */
export interface OidcSignInMethod {
  readonly method: Exclude<SignInMethod, 'password' | 'saml'>;
  /** The method's routes: `<routePrefix>/login` and `<routePrefix>/callback`. */
  readonly routePrefix: string;
  /** The sealed flow cookie: its name and key purpose (its path is the route prefix). */
  readonly flowCookieName: string;
  readonly flowKeyPurpose: string;
  /** "Office365": the method's name in logs and audit events. */
  readonly label: string;
  /** "Microsoft": who answered, in sentences for the person signing in. */
  readonly idpName: string;
  /**
   * Whether its provider is chosen by workspace admins rather than the operator: every request
   * to it then goes through the outbound guard (no private, link-local or reserved addresses).
   */
  readonly providerFromWorkspace: boolean;
  /** 404 when the method cannot be used here at all, 503 when its provider is unreachable. */
  readonly notConfigured: { code: AuthErrorCode; message: string };
  readonly unavailable: { code: AuthErrorCode; message: string };

  /** Refuses (notConfigured) when the server lacks what every use of the method needs. */
  assertServerConfigured(): void;
  /** The provider for this workspace; refuses (notConfigured) when it has none. */
  client(workspace: Workspace): Promise<OidcClient>;
  actor(context: OidcRequestContext): AuditActor;
  /** The sentence for an `error` the provider sent back instead of a code. */
  idpErrorMessage(error: string): string;
  /** What else the refusal carries for an `error` from the provider (e.g. an AADSTS code). */
  idpErrorDetails(description: string | undefined): Record<string, unknown>;
  /** Signs in the person the verified claims name, or refuses. */
  signIn(input: OidcSignInInput): Promise<ExternalSignInResult>;
}
