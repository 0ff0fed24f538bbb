import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import {
  ApiErrors,
  ApiPageResponse,
  ApiRevokedResponse,
  ApiWorkspaceParam,
} from '../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from './actor.js';
import { PageQuery, pageOf } from '../common/paging.js';
import {
  CreateWorkspaceDto,
  ForceQuery,
  UpdateSettingsDto,
  WorkspaceDto,
} from './dto/workspace.dto.js';
import { Workspace } from './entities/workspace.entity.js';
import { MemberService } from './member.service.js';
import { type SettingsWarning, settingsOf, WorkspaceService } from './workspace.service.js';

export function workspaceView(workspace: Workspace, warnings?: SettingsWarning[]): WorkspaceDto {
  return {
    id: workspace.id,
    slug: workspace.slug,
    name: workspace.name,
    settings: settingsOf(workspace),
    ...(warnings && { warnings }),
    createdAt: workspace.createdAt,
    updatedAt: workspace.updatedAt,
  };
}

@ApiTags('workspaces')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiErrors(401, 403, 503)
@Controller('api/workspaces')
export class WorkspacesController {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly members: MemberService,
  ) {}

  @Post()
  @RequireAccess('internal')
  @ApiCreatedResponse({ type: WorkspaceDto })
  @ApiErrors(400, { 409: ['SLUG_TAKEN'] })
  async create(@Body() body: CreateWorkspaceDto, @CurrentAuditActor() actor: AuditActor) {
    return this.detailedView(await this.workspaces.create(body, actor));
  }

  @Get()
  @RequireAccess('internal')
  @ApiPageResponse(WorkspaceDto, 'A page of workspaces')
  @ApiErrors(400)
  async list(@Query() query: PageQuery) {
    const page = await this.workspaces.list(pageOf(query));
    return { ...page, items: page.items.map((w) => workspaceView(w)) };
  }

  @Get(':ws')
  @RequireAccess('admin')
  @ApiWorkspaceParam()
  @ApiOkResponse({ type: WorkspaceDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND'] })
  get(@CurrentWorkspace() workspace: Workspace) {
    return this.detailedView(workspace);
  }

  @Patch(':ws/settings')
  @RequireAccess('admin')
  @ApiWorkspaceParam()
  @ApiOkResponse({ type: WorkspaceDto, description: 'The workspace with its new settings' })
  @ApiErrors(
    400,
    { 404: ['WORKSPACE_NOT_FOUND'] },
    { 409: ['NO_SIGN_IN_METHOD', 'NO_USABLE_SIGN_IN_METHOD', 'SCIM_REQUIRES_SAML_ONLY'] },
  )
  async updateSettings(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: UpdateSettingsDto,
    @Query() query: ForceQuery,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.detailedView(
      await this.workspaces.updateSettings(workspace.id, body, actor, { force: query.force }),
    );
  }

  @Post(':ws/sessions/revoke')
  @HttpCode(200)
  @RequireAccess('admin')
  @ApiWorkspaceParam()
  @ApiRevokedResponse()
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND'] })
  async revokeAllSessions(
    @CurrentWorkspace() workspace: Workspace,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return { revoked: await this.members.revokeAllSessions(workspace.id, actor) };
  }

  private async detailedView(workspace: Workspace) {
    return workspaceView(workspace, await this.workspaces.warnings(workspace));
  }
}
