import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/access.decorator.js';
import { ApiErrors, ApiOAuthCallbackQuery } from '../../common/openapi.js';
import { OidcLoginQuery } from '../oidc/oidc-login.query.js';
import { OidcSignInFlow } from '../oidc/oidc-sign-in.flow.js';
import { Office365SignIn } from './office365.method.js';

@ApiTags('auth')
@Controller('auth/office365')
export class Office365Controller {
  constructor(
    private readonly flow: OidcSignInFlow,
    private readonly office365: Office365SignIn,
  ) {}

  @Get('login')
  @Public()
  @ApiOperation({ summary: 'Start signing in with Office365 (Microsoft OpenID Connect)' })
  @ApiFoundResponse({ description: 'Redirect to the Microsoft authorization endpoint' })
  @ApiErrors(
    400,
    { 403: ['SIGN_IN_METHOD_DISABLED'] },
    { 404: ['WORKSPACE_NOT_FOUND', 'OFFICE365_NOT_CONFIGURED'] },
    { 503: ['OFFICE365_UNAVAILABLE', 'DATABASE_UNAVAILABLE'] },
  )
  login(@Query() query: OidcLoginQuery, @Res() response: Response): Promise<void> {
    return this.flow.login(this.office365, query, response);
  }

  @Get('callback')
  @Public()
  @ApiOperation({ summary: 'Where Microsoft sends the browser back (code and state, or error)' })
  @ApiFoundResponse({ description: 'Signed in: session cookie, redirect to the frontend' })
  @ApiErrors(
    { 400: ['OIDC_FLOW_INVALID', 'OIDC_STATE_MISMATCH', 'OIDC_IDP_ERROR', 'OIDC_CALLBACK_FAILED'] },
    403,
    { 404: ['OFFICE365_NOT_CONFIGURED'] },
    { 503: ['OFFICE365_UNAVAILABLE', 'DATABASE_UNAVAILABLE'] },
  )
  @ApiOAuthCallbackQuery()
  callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.flow.callback(this.office365, request, response);
  }
}
