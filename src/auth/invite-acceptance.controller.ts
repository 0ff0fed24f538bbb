import { Body, Controller, Get, HttpCode, Inject, Ip, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/access.decorator.js';
import { ApiErrors } from '../common/openapi.js';
import { assertSameOriginWrite } from '../common/same-origin.js';
import { APP_CONFIG } from '../config/config.module.js';
import { allowedOrigins, type AppConfig } from '../config/configuration.js';
import {
  AcceptedInviteDto,
  AcceptInviteDto,
  InvitePreviewDto,
} from '../workspace/dto/invite.dto.js';
import { InviteService } from '../workspace/invite.service.js';
import { SessionService } from '../workspace/sessions/session.service.js';
import { SessionCookie } from './session/session-cookie.js';

/**
 * The invitee's side: the token in the e-mailed link proves the mailbox; for an email that already
 * has an account, the browser's session proves the account. Here in auth/ because it reads the
 * session cookie; the Workspace module decides everything else.
 */
@ApiTags('invites')
@Controller('api/invites')
export class InviteAcceptanceController {
  constructor(
    private readonly invites: InviteService,
    private readonly sessions: SessionService,
    private readonly cookie: SessionCookie,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.origins = allowedOrigins(config);
  }

  private readonly origins: string[];

  @Get(':token')
  @Public()
  @ApiOkResponse({ type: InvitePreviewDto })
  @ApiErrors(
    { 404: ['INVITE_NOT_FOUND'] },
    { 409: ['INVITE_ALREADY_USED'] },
    { 410: ['INVITE_EXPIRED'] },
    503,
  )
  preview(@Param('token') token: string) {
    return this.invites.preview(token);
  }

  @Post(':token/accept')
  @HttpCode(200)
  @Public()
  @ApiOkResponse({ type: AcceptedInviteDto, description: 'Accepted: the membership' })
  @ApiErrors(400, 403, { 404: ['INVITE_NOT_FOUND'] }, 409, { 410: ['INVITE_EXPIRED'] }, 503)
  async accept(
    @Param('token') token: string,
    @Body() body: AcceptInviteDto,
    @Ip() ip: string,
    @Req() request: Request,
  ) {
    // The session, if any, says which account accepts; it is a cookie, so only our own origins.
    const sessionToken = this.cookie.read(request);
    if (sessionToken) assertSameOriginWrite(request, this.origins);
    const session = sessionToken ? await this.sessions.authenticate(sessionToken) : null;
    return this.invites.accept(token, body, { ipAddress: ip, signedInUserId: session?.userId });
  }
}
