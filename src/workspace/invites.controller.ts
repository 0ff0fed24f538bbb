import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Ip,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { SessionCookie } from '../auth/session/session-cookie.js';
import { SessionService } from './sessions/session.service.js';
import { Public, RequireAccess } from '../common/access.decorator.js';
import { assertSameOriginWrite } from '../common/same-origin.js';
import { APP_CONFIG } from '../config/config.module.js';
import { allowedOrigins, type AppConfig } from '../config/configuration.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from './actor.js';
import { PageQuery, pageOf } from '../common/paging.js';
import { AcceptInviteDto, CreateInviteDto } from './dto/invite.dto.js';
import { Workspace } from './entities/workspace.entity.js';
import { InviteService } from './invite.service.js';

@ApiTags('invites')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/workspaces/:ws/invites')
export class InvitesController {
  constructor(private readonly invites: InviteService) {}

  @Post()
  @RequireAccess('admin')
  create(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: CreateInviteDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.invites.create(
      workspace.id,
      { email: body.email, role: body.role ?? 'member' },
      actor,
    );
  }

  @Get()
  @RequireAccess('admin')
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: PageQuery) {
    return this.invites.list(workspace.id, pageOf(query));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireAccess('admin')
  async revoke(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.invites.revoke(workspace.id, id, actor);
  }
}

/**
 * The invitee's side: the token in the e-mailed link proves the mailbox; for an email that already
 * has an account, the browser's session proves the account.
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
  preview(@Param('token') token: string) {
    return this.invites.preview(token);
  }

  @Post(':token/accept')
  @HttpCode(200)
  @Public()
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
