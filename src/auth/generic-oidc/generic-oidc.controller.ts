import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/access.decorator.js';
import { ApiErrors, ApiOAuthCallbackQuery } from '../../common/openapi.js';
import { OidcLoginQuery } from '../oidc/oidc-login.query.js';
import { OidcSignInFlow } from '../oidc/oidc-sign-in.flow.js';
import { GenericOidcSignIn } from './generic-oidc.method.js';

@ApiTags('auth')
@Controller('auth/oidc')
export class GenericOidcController {
  constructor(
    private readonly flow: OidcSignInFlow,
    private readonly oidc: GenericOidcSignIn,
  ) {}

  @Get('login')
  @Public()
  @ApiOperation({ summary: "Start signing in with the workspace's OpenID provider" })
  @ApiFoundResponse({ description: "Redirect to the provider's authorization endpoint" })
  @ApiErrors(
    400,
    { 403: ['SIGN_IN_METHOD_DISABLED'] },
    { 404: ['WORKSPACE_NOT_FOUND', 'OIDC_NOT_CONFIGURED'] },
    { 503: ['OIDC_UNAVAILABLE', 'DATABASE_UNAVAILABLE'] },
  )
  login(@Query() query: OidcLoginQuery, @Res() response: Response): Promise<void> {
    return this.flow.login(this.oidc, query, response);
  }

  @Get('callback')
  @Public()
  @ApiOperation({ summary: 'Where the OpenID provider sends the browser back' })
  @ApiFoundResponse({ description: 'Signed in: session cookie, redirect to the frontend' })
  @ApiErrors(
    { 400: ['OIDC_FLOW_INVALID', 'OIDC_STATE_MISMATCH', 'OIDC_IDP_ERROR', 'OIDC_CALLBACK_FAILED'] },
    403,
    { 404: ['OIDC_NOT_CONFIGURED'] },
    { 503: ['OIDC_UNAVAILABLE', 'DATABASE_UNAVAILABLE'] },
  )
  @ApiOAuthCallbackQuery()
  callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.flow.callback(this.oidc, request, response);
  }
}
