import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../common/actor.js';
import { pageOf } from '../common/paging.js';
import { AddMemberDto, ListMembersQuery, UpdateMemberDto } from './dto/member.dto.js';
import { Workspace } from './entities/workspace.entity.js';
import { MemberService } from './member.service.js';

@ApiTags('members')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/workspaces/:ws/members')
export class MembersController {
  constructor(private readonly members: MemberService) {}

  @Get()
  @RequireAccess('admin')
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: ListMembersQuery) {
    const { status, role, email } = query;
    return this.members.list(workspace.id, { status, role, email }, pageOf(query));
  }

  @Post()
  @RequireAccess('internal')
  add(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: AddMemberDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.members.add(workspace.id, {
      ...body,
      role: body.role ?? 'member',
      source: 'manual',
      actor,
    });
  }

  @Get(':userId')
  @RequireAccess('self')
  get(@CurrentWorkspace() workspace: Workspace, @Param('userId') userId: string) {
    return this.members.get(workspace.id, userId);
  }

  @Patch(':userId')
  @RequireAccess('admin')
  update(
    @CurrentWorkspace() workspace: Workspace,
    @Param('userId') userId: string,
    @Body() body: UpdateMemberDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.members.update(workspace.id, userId, body, actor);
  }

  @Delete(':userId')
  @HttpCode(204)
  @RequireAccess('admin')
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.members.remove(workspace.id, userId, actor);
  }

  @Delete(':userId/sessions')
  @RequireAccess('admin')
  async revokeSessions(
    @CurrentWorkspace() workspace: Workspace,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return { revoked: await this.members.revokeSessions(workspace.id, userId, actor) };
  }
}
