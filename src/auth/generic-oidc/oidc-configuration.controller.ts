import { Body, Controller, Delete, Get, HttpCode, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { RequireAccess } from '../../common/access.decorator.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../../workspace/actor.js';
import { ForceQuery } from '../../workspace/dto/workspace.dto.js';
import { Workspace } from '../../workspace/entities/workspace.entity.js';
import { PutOidcConfigurationDto } from './dto/oidc-configuration.dto.js';
import { OidcConfigurationService } from './oidc-configuration.service.js';

/** The workspace's own OpenID provider, for the generic OpenID Connect sign-in method. */
@ApiTags('oidc-provider')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/workspaces/:ws/oidc-provider')
export class OidcConfigurationController {
  constructor(private readonly configurations: OidcConfigurationService) {}

  @Get()
  @RequireAccess('admin')
  async get(@CurrentWorkspace() workspace: Workspace) {
    return this.configurations.view(workspace, await this.configurations.get(workspace.id));
  }

  @Put()
  @RequireAccess('admin')
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
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Query() query: ForceQuery,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.configurations.remove(workspace.id, actor, { force: query.force });
  }
}
