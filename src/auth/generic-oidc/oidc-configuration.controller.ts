import { Body, Controller, Delete, Get, HttpCode, Put, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequireAccess } from '../../common/access.decorator.js';
import { ApiErrors, ApiWorkspaceRoutes } from '../../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../../workspace/actor.js';
import { ForceQuery } from '../../workspace/dto/workspace.dto.js';
import { Workspace } from '../../workspace/entities/workspace.entity.js';
import { OidcConfigurationDto, PutOidcConfigurationDto } from './dto/oidc-configuration.dto.js';
import { OidcConfigurationService } from './oidc-configuration.service.js';

/** The workspace's own OpenID provider, for the generic OpenID Connect sign-in method. */
@ApiTags('oidc-provider')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/oidc-provider')
export class OidcConfigurationController {
  constructor(private readonly configurations: OidcConfigurationService) {}

  @Get()
  @RequireAccess('admin')
  @ApiOkResponse({ type: OidcConfigurationDto })
  @ApiErrors(404)
  async get(@CurrentWorkspace() workspace: Workspace) {
    return this.configurations.view(workspace, await this.configurations.get(workspace.id));
  }

  @Put()
  @RequireAccess('admin')
  @ApiOkResponse({ type: OidcConfigurationDto, description: 'Saved' })
  @ApiErrors(400, 409)
  async put(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: PutOidcConfigurationDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.configurations.view(
      workspace,
      await this.configurations.put(workspace.id, body, actor),
    );
  }

  @Delete()
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(400, 404, 409)
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Query() query: ForceQuery,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.configurations.remove(workspace.id, actor, { force: query.force });
  }
}
