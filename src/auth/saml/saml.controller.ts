import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiQuery,
  ApiFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/access.decorator.js';
import { ApiErrors } from '../../common/openapi.js';
import { Inject } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import { safeRedirect } from '../redirect.js';
import { SessionCookie } from '../session/session-cookie.js';
import { SamlSignInService } from './saml-sign-in.service.js';
import { SamlException } from './saml.errors.js';
import { SamlProviderService } from './saml-provider.service.js';

@ApiTags('saml')
@Controller('auth/saml/:providerToken')
export class SamlController {
  constructor(
    private readonly signIn: SamlSignInService,
    private readonly providers: SamlProviderService,
    private readonly cookie: SessionCookie,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** SP-initiated sign-in: redirect to the IdP; `RelayState` says where to go afterwards. */
  @Get('login')
  @Public()
  @ApiFoundResponse({ description: 'Redirect to the identity provider (HTTP-Redirect binding)' })
  @ApiOkResponse({
    description: 'A page posting the request to the identity provider (HTTP-POST binding)',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiErrors(
    { 403: ['SAML_PROVIDER_DISABLED', 'SIGN_IN_METHOD_DISABLED'] },
    { 404: ['SAML_PROVIDER_NOT_FOUND'] },
    503,
  )
  @ApiQuery({
    name: 'RelayState',
    required: false,
    type: String,
    description: 'Where to go after signing in: a path or URL on the frontend',
  })
  async login(
    @Param('providerToken') token: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    const { provider } = await this.signIn.providerForSignIn(token);
    if (provider.idpSsoBinding === 'HTTP-POST') {
      // The HTTP-POST binding answers with a page whose inline script posts a form to the IdP.
      response.removeHeader('Content-Security-Policy');
    }
    await this.signIn.startLogin(request, response, provider);
  }

  /** Assertion Consumer Service (HTTP-POST binding). */
  @Post('acs')
  @HttpCode(302)
  @Public()
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    description: 'The form the identity provider posts (HTTP-POST binding)',
    schema: {
      type: 'object',
      required: ['SAMLResponse'],
      properties: {
        SAMLResponse: { type: 'string', description: 'The base64-encoded SAML response' },
        RelayState: { type: 'string', description: 'Where to go after signing in' },
      },
    },
  })
  @ApiFoundResponse({
    description: 'Signed in: session cookie, redirect to RelayState or the frontend',
  })
  @ApiErrors(
    {
      400: [
        'SAML_MALFORMED_RESPONSE',
        'SAML_SIGNATURE_INVALID',
        'SAML_ASSERTION_EXPIRED',
        'SAML_REPLAYED',
      ],
    },
    {
      403: [
        'SAML_PROVIDER_DISABLED',
        'SIGN_IN_METHOD_DISABLED',
        'NOT_A_MEMBER',
        'MEMBERSHIP_DEACTIVATED',
      ],
    },
    { 404: ['SAML_PROVIDER_NOT_FOUND'] },
    503,
  )
  async acs(
    @Param('providerToken') token: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const result = await this.signIn.consume(request, token);
    this.cookie.set(response, result.token, result.lifetimeEndsAt);
    response.redirect(302, safeRedirect(result.redirectTo, this.config.http.frontendUrl));
  }

  /** SP metadata for the IdP admin to import; its URL is our entity ID. */
  @Get('metadata')
  @Public()
  @ApiProduces('application/samlmetadata+xml')
  @ApiOkResponse({ description: 'SAML 2.0 service provider metadata', schema: { type: 'string' } })
  @ApiErrors({ 404: ['SAML_PROVIDER_NOT_FOUND'] }, 503)
  async metadata(@Param('providerToken') token: string, @Res() response: Response) {
    const provider = await this.providers.findByToken(token);
    if (!provider) {
      throw new SamlException(
        'SAML_PROVIDER_NOT_FOUND',
        'There is no SAML provider at this address.',
      );
    }
    response.type('application/samlmetadata+xml').send(await this.signIn.metadata(provider));
  }
}
