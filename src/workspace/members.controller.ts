import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import {
  ApiErrors,
  ApiPageResponse,
  ApiRevokedResponse,
  ApiWorkspaceRoutes,
} from '../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from './actor.js';
import { pageOf } from '../common/paging.js';
import {
  AddMemberDto,
  ListMemberRemovalsQuery,
  ListMembersQuery,
  MemberDto,
  MemberRemovalPageDto,
  UpdateMemberDto,
} from './dto/member.dto.js';
import { Workspace } from './entities/workspace.entity.js';
import { MemberService } from './member.service.js';

@ApiTags('members')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/members')
export class MembersController {
  constructor(private readonly members: MemberService) {}

  @Get()
  @RequireAccess('admin')
  @ApiPageResponse(MemberDto, 'A page of members, by email')
  @ApiErrors(400)
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: ListMembersQuery) {
    const { status, role, email } = query;
    return this.members.list(workspace.id, { status, role, email }, pageOf(query));
  }

  @Post()
  @RequireAccess('internal')
  @ApiCreatedResponse({ type: MemberDto })
  @ApiErrors(400, 409)
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

  // Declared before ':userId' so that "removals" is not taken for a user id.
  @Get('removals')
  @RequireAccess('admin')
  @ApiOperation({
    summary: 'People an admin removed by hand',
    description:
      'Removed members are not re-created by just-in-time sign-in (SAML) until an admin adds or invites them again, deletes the removal, or the identity provider provisions them by SCIM. Newest first.',
  })
  @ApiOkResponse({ type: MemberRemovalPageDto })
  @ApiErrors(400)
  listRemovals(@CurrentWorkspace() workspace: Workspace, @Query() query: ListMemberRemovalsQuery) {
    return this.members.listRemovals(workspace.id, { email: query.email }, pageOf(query));
  }

  @Delete('removals/:userId')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiOperation({
    summary: 'Forget a removal',
    description:
      'The person may be created just in time again at their next sign-in (404 MEMBER_REMOVAL_NOT_FOUND when no removal is recorded).',
  })
  @ApiNoContentResponse()
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'MEMBER_REMOVAL_NOT_FOUND'] })
  async deleteRemoval(
    @CurrentWorkspace() workspace: Workspace,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.members.deleteRemoval(workspace.id, userId, actor);
  }

  @Get(':userId')
  @RequireAccess('self')
  @ApiOkResponse({ type: MemberDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'MEMBER_NOT_FOUND'] })
  get(@CurrentWorkspace() workspace: Workspace, @Param('userId') userId: string) {
    return this.members.get(workspace.id, userId);
  }

  @Patch(':userId')
  @RequireAccess('admin')
  @ApiOkResponse({ type: MemberDto })
  @ApiErrors(400, { 404: ['WORKSPACE_NOT_FOUND', 'MEMBER_NOT_FOUND'] }, 409)
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
  @ApiOperation({
    summary: 'Remove a member',
    description:
      'The removal is recorded (GET .../members/removals): just-in-time sign-in does not re-create the person until an admin adds or invites them again, or deletes the removal; a SCIM assignment from the identity provider still provisions them.',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'MEMBER_NOT_FOUND'] }, 409)
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.members.remove(workspace.id, userId, actor);
  }

  @Delete(':userId/sessions')
  @RequireAccess('admin')
  @ApiRevokedResponse()
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'MEMBER_NOT_FOUND'] })
  async revokeSessions(
    @CurrentWorkspace() workspace: Workspace,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return { revoked: await this.members.revokeSessions(workspace.id, userId, actor) };
  }
}
