import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Profile, type SamlConfig, ValidateInResponseTo } from '@node-saml/node-saml';
import { MultiSamlStrategy } from '@node-saml/passport-saml';
import type { Request, Response } from 'express';
import { Passport, type Strategy } from 'passport';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../../workspace/actor.js';
import { AppException } from '../../common/app-exception.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import { AuditService } from '../../workspace/audit.service.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import { ExternalSignInService, ExternalSignInResult } from '../external-sign-in.service.js';
import { LoginThrottleService } from '../login-throttle.service.js';
import { assertSignInMethodEnabledOrThrow } from '../sign-in-policy.js';
import { identityFromProfile } from './saml-identity.js';
import { SamlInstances, type SamlProviderConfig } from './saml-instances.js';
import type { SamlProvider } from './saml-provider.entity.js';
import { SamlProviderService } from './saml-provider.service.js';
import { SamlReplayCache } from './saml-replay-cache.js';
import { SamlRequestCache } from './saml-request-cache.js';
import {
  checkAssertion,
  checkResponseEnvelope,
  decodeSamlResponse,
} from './saml-response-checks.js';
import { samlUrls } from './saml-urls.js';
import { SamlErrorCode, SamlException } from './saml.errors.js';

const STRATEGY = 'gatehouse-saml';

interface SamlRequest extends Request {
  samlProvider?: SamlProvider;
}

/** node-saml's error messages → our stable codes. Anything else is a malformed response. */
const NODE_SAML_ERRORS: [RegExp, SamlErrorCode][] = [
  [/signature|multiple assertions|Cannot obtain assertion/i, 'SAML_SIGNATURE_INVALID'],
  [/InResponseTo is missing/i, 'SAML_IDP_INITIATED_NOT_ALLOWED'],
  [/InResponseTo|subjectInResponseTo/i, 'SAML_UNKNOWN_REQUEST'],
  [/audience|AudienceRestriction/i, 'SAML_AUDIENCE_MISMATCH'],
  [/expired|not yet valid|too old|subject confirmation/i, 'SAML_ASSERTION_EXPIRED'],
  [/SAML provider returned|status/i, 'SAML_STATUS_NOT_SUCCESS'],
];

function fromNodeSaml(thrown: unknown): SamlException {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const code = NODE_SAML_ERRORS.find(([pattern]) => pattern.test(error.message))?.[1];
  return new SamlException(
    code ?? 'SAML_MALFORMED_RESPONSE',
    `SAML response refused: ${error.message}`,
  );
}

/**
 * SAML sign-in: SP-initiated login through passport-saml's MultiSamlStrategy (one strategy,
 * options per provider); the ACS validates with the provider's cached node-saml instance, then
 * runs the checks node-saml leaves to the SP, the replay cache, and the workspace's sign-in rules.
 */
@Injectable()
export class SamlSignInService {
  private readonly logger = new Logger(SamlSignInService.name);
  private readonly passport = new Passport();
  private readonly instances = new SamlInstances((provider) => this.samlOptions(provider));

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: SamlProviderService,
    private readonly externalSignIn: ExternalSignInService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottleService,
    private readonly replays: SamlReplayCache,
  ) {
    // Registered by name: passport then derives a fresh strategy object per request, so
    // concurrent requests never share one (an instance passed directly would be mutated).
    this.passport.use(
      STRATEGY,
      // passport-saml is typed against Express 4's Request; ours is Express 5's.
      new MultiSamlStrategy(
        {
          passReqToCallback: true,
          getSamlOptions: (req, done) => {
            const provider = (req as unknown as SamlRequest).samlProvider;
            if (!provider) return done(new Error('No SAML provider on the request'));
            try {
              done(null, this.samlOptions(provider));
            } catch (error) {
              done(error as Error);
            }
          },
        },
        (_req, profile, done) => done(null, { profile: profile ?? undefined }),
        (_req, _profile, done) => done(null, {}),
      ) as unknown as Strategy,
    );
  }

  /** The provider a token names, enabled, and its workspace with SAML sign-in allowed. */
  async providerForSignIn(
    token: string,
  ): Promise<{ provider: SamlProvider; workspace: Workspace }> {
    const { provider, workspace } = await this.findProvider(token);
    this.assertUsable(provider, workspace);
    return { provider, workspace };
  }

  private async findProvider(token: string) {
    const found = await this.providers.findForSignIn(token);
    if (!found) {
      throw new SamlException(
        'SAML_PROVIDER_NOT_FOUND',
        'There is no SAML provider at this address.',
      );
    }
    return found;
  }

  private assertUsable(provider: SamlProvider, workspace: Workspace): void {
    if (!provider.enabled) {
      throw new SamlException(
        'SAML_PROVIDER_DISABLED',
        'This SAML provider is disabled. Please check with your administrator.',
      );
    }
    assertSignInMethodEnabledOrThrow(workspace.signInMethods, 'saml');
  }

  samlOptions(provider: SamlProviderConfig): SamlConfig {
    const urls = samlUrls(this.config.http.publicUrl, provider.providerToken);
    // Opened only when used, so a provider that neither signs nor decrypts never needs it.
    const needsKey = provider.signAuthnRequests || provider.wantEncryptedAssertions;
    const privateKey = needsKey ? this.providers.spPrivateKey(provider) : undefined;
    return {
      callbackUrl: urls.acsUrl,
      issuer: urls.spEntityId,
      audience: urls.spEntityId,
      entryPoint: provider.idpSsoUrl,
      authnRequestBinding: provider.idpSsoBinding,
      idpIssuer: provider.idpEntityId,
      idpCert: provider.idpCertificates,
      // A signed Response or a signed Assertion is required (node-saml refuses neither).
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: false,
      validateInResponseTo: provider.allowIdpInitiated
        ? ValidateInResponseTo.ifPresent
        : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: this.config.saml.requestTtlSeconds * 1000,
      cacheProvider: new SamlRequestCache(
        this.dataSource,
        provider.id,
        this.config.saml.requestTtlSeconds,
      ),
      acceptedClockSkewMs: this.config.saml.clockSkewSeconds * 1000,
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      privateKey: provider.signAuthnRequests ? privateKey : undefined,
      publicCert: provider.signAuthnRequests ? provider.spCertificate : undefined,
      decryptionPvk: provider.wantEncryptedAssertions ? privateKey : undefined,
    };
  }

  /** SP-initiated: answers with the redirect (or auto-post form) carrying our AuthnRequest. */
  async startLogin(request: Request, response: Response, provider: SamlProvider): Promise<void> {
    (request as SamlRequest).samlProvider = provider;
    await new Promise<void>((resolve, reject) => {
      response.once('finish', () => resolve());
      this.runStrategy(
        request,
        response,
        (error) => reject(error ?? new Error('passport-saml did not redirect to the IdP')),
        (error) =>
          error
            ? reject(error instanceof Error ? error : new Error('SAML login failed'))
            : resolve(),
      );
    });
  }

  /** The Assertion Consumer Service: a verified response becomes a session, or a 4xx. */
  async consume(
    request: Request,
    token: string,
  ): Promise<ExternalSignInResult & { redirectTo: string | undefined }> {
    const ip = request.ip ?? 'unknown';
    // Taken before anything is checked; a sign-in gives it back (a refusal keeps it).
    await this.throttle.consumeIp(ip);
    const { provider, workspace } = await this.findProvider(token);
    const actor: AuditActor = {
      channel: 'saml',
      type: 'idp',
      id: provider.id,
      label: provider.name,
      ipAddress: request.ip,
    };
    let email: string | undefined;
    try {
      this.assertUsable(provider, workspace);
      const body = (request.body ?? {}) as Record<string, unknown>;
      decodeSamlResponse(body.SAMLResponse);
      const profile = await this.validate(provider, body.SAMLResponse as string);
      const urls = samlUrls(this.config.http.publicUrl, provider.providerToken);
      const expected = {
        idpEntityId: provider.idpEntityId,
        acsUrl: urls.acsUrl,
        now: Date.now(),
        clockSkewMs: this.config.saml.clockSkewSeconds * 1000,
      };
      if (!profile.getSamlResponseXml || !profile.getAssertionXml) {
        throw new SamlException('SAML_MALFORMED_RESPONSE', 'The SAML response has no assertion.');
      }
      checkResponseEnvelope(profile.getSamlResponseXml(), expected);
      const assertion = checkAssertion(profile.getAssertionXml(), expected);
      if (!(await this.replays.remember(provider.id, assertion.assertionId, assertion.expiresAt))) {
        throw new SamlException('SAML_REPLAYED', 'This SAML assertion has already been used.');
      }
      const identity = identityFromProfile(profile);
      email = identity.email;
      const result = await this.externalSignIn.complete(workspace, identity, {
        method: 'saml',
        actor,
        justInTime: true,
        ipAddress: request.ip,
        userAgent: request.headers['user-agent'],
      });
      await this.throttle.refundIp(ip);
      const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
      return { ...result, redirectTo: relayState };
    } catch (error) {
      await this.recordFailure(workspace, actor, error, email);
      throw error;
    }
  }

  /** node-saml's validation (signature, audience, timestamps, InResponseTo) of a POSTed response. */
  private async validate(provider: SamlProvider, samlResponse: string): Promise<Profile> {
    let profile: Profile | null;
    try {
      ({ profile } = await this.instances
        .for(provider)
        .validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (error) {
      throw error instanceof AppException ? error : fromNodeSaml(error);
    }
    if (!profile) {
      throw new SamlException('SAML_MALFORMED_RESPONSE', 'The SAML response has no assertion.');
    }
    return profile;
  }

  /** Runs the named strategy for one request with a custom callback (no passport session). */
  private runStrategy(
    request: Request,
    response: Response,
    done: (error: Error | null, user?: { profile?: Profile } | false) => void,
    next: (error?: unknown) => void,
  ): void {
    const middleware = this.passport.authenticate(STRATEGY, { session: false }, done) as (
      req: Request,
      res: Response,
      next: (error?: unknown) => void,
    ) => void;
    middleware(request, response, next);
  }

  private async recordFailure(
    workspace: Workspace,
    actor: AuditActor,
    error: unknown,
    email: string | undefined,
  ) {
    const reason = error instanceof AppException ? error.code : 'INTERNAL_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn(`SAML sign-in refused (${reason}): ${message}`);
    try {
      await this.audit.record(this.dataSource.manager, workspace.id, actor, {
        action: 'auth.sign_in_failed',
        targetType: 'saml_provider',
        targetId: actor.id ?? undefined,
        details: {
          method: 'saml',
          reason,
          message: message.slice(0, 500),
          ...(email && { email: email.toLowerCase() }),
        },
      });
    } catch (auditError) {
      this.logger.error(auditError);
    }
  }

  /** Our SP metadata for this provider (signing and encryption certificates as configured). */
  metadata(provider: SamlProvider): Promise<string> {
    const request = { samlProvider: provider } as SamlRequest;
    const strategy = new MultiSamlStrategy(
      { getSamlOptions: (_req, done) => done(null, this.samlOptions(provider)) },
      (_profile: unknown, done: (e: null) => void) => done(null),
      (_profile: unknown, done: (e: null) => void) => done(null),
    );
    return new Promise((resolve, reject) =>
      strategy.generateServiceProviderMetadata(
        request as unknown as Parameters<typeof strategy.generateServiceProviderMetadata>[0],
        provider.wantEncryptedAssertions ? provider.spCertificate : null,
        provider.signAuthnRequests ? provider.spCertificate : null,
        (error, xml) => (error || !xml ? reject(error ?? new Error('no metadata')) : resolve(xml)),
      ),
    );
  }
}
