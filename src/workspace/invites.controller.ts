import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import { ApiErrors, ApiPageResponse, ApiWorkspaceRoutes } from '../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from './actor.js';
import { PageQuery, pageOf } from '../common/paging.js';
import { CreateInviteDto, InviteDto } from './dto/invite.dto.js';
import { Workspace } from './entities/workspace.entity.js';
import { InviteService } from './invite.service.js';

@ApiTags('invites')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/invites')
export class InvitesController {
  constructor(private readonly invites: InviteService) {}

  @Post()
  @RequireAccess('admin')
  @ApiCreatedResponse({ type: InviteDto, description: 'Invited; the link goes by e-mail' })
  @ApiErrors(400, 409)
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
  @ApiPageResponse(InviteDto, 'A page of invites, newest first')
  @ApiErrors(400)
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: PageQuery) {
    return this.invites.list(workspace.id, pageOf(query));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'INVITE_NOT_FOUND'] })
  async revoke(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.invites.revoke(workspace.id, id, actor);
  }
}
