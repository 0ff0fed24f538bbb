import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
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
import { ApiErrors, ApiPageResponse, ApiWorkspaceRoutes } from '../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from './actor.js';
import { PageQuery, pageOf } from '../common/paging.js';
import {
  CreateGroupDto,
  GroupDto,
  GroupPageDto,
  ListGroupsQuery,
  UpdateGroupDto,
} from './dto/group.dto.js';
import { MemberDto } from './dto/member.dto.js';
import { Workspace } from './entities/workspace.entity.js';
import { GroupService } from './group.service.js';

@ApiTags('groups')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/groups')
export class GroupsController {
  constructor(private readonly groups: GroupService) {}

  @Get()
  @RequireAccess('admin')
  @ApiOkResponse({ type: GroupPageDto })
  @ApiErrors(400)
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: ListGroupsQuery) {
    return this.groups.list(workspace.id, { displayName: query.displayName }, pageOf(query));
  }

  @Post()
  @RequireAccess('admin')
  @ApiCreatedResponse({ type: GroupDto })
  @ApiErrors(400, { 409: ['GROUP_NAME_TAKEN', 'SCIM_ONLY_PROVISIONING'] })
  create(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: CreateGroupDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.groups.create(workspace.id, body, actor);
  }

  @Get(':id')
  @RequireAccess('admin')
  @ApiOkResponse({ type: GroupDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'GROUP_NOT_FOUND'] })
  get(@CurrentWorkspace() workspace: Workspace, @Param('id') id: string) {
    return this.groups.get(workspace.id, id);
  }

  @Get(':id/members')
  @RequireAccess('admin')
  @ApiPageResponse(MemberDto, 'A page of the members of the group')
  @ApiErrors(400, { 404: ['WORKSPACE_NOT_FOUND', 'GROUP_NOT_FOUND'] })
  listMembers(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Query() query: PageQuery,
  ) {
    return this.groups.listMembers(workspace.id, id, pageOf(query));
  }

  @Patch(':id')
  @RequireAccess('admin')
  @ApiOperation({
    summary: 'Rename a group, or set whether its members are admins',
    description:
      'adminRole may be set on groups pushed by SCIM and under SCIM-only provisioning (identity providers such as Okta cannot push it); renaming them is refused (409 SCIM_MANAGED, 409 SCIM_ONLY_PROVISIONING).',
  })
  @ApiOkResponse({ type: GroupDto })
  @ApiErrors(
    400,
    { 404: ['WORKSPACE_NOT_FOUND', 'GROUP_NOT_FOUND'] },
    { 409: ['GROUP_NAME_TAKEN', 'SCIM_MANAGED', 'SCIM_ONLY_PROVISIONING'] },
  )
  update(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Body() body: UpdateGroupDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.groups.update(workspace.id, id, body, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'GROUP_NOT_FOUND'] }, 409)
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.groups.remove(workspace.id, id, actor);
  }

  @Put(':id/members/:userId')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'The member is in the group' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'GROUP_NOT_FOUND', 'MEMBER_NOT_FOUND'] }, 409)
  async addMember(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.groups.addMember(workspace.id, id, userId, actor);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'The member is not in the group' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'GROUP_NOT_FOUND', 'MEMBER_NOT_FOUND'] }, 409)
  async removeMember(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Param('userId') userId: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.groups.removeMember(workspace.id, id, userId, actor);
  }
}
