import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequireAccess } from '../../common/access.decorator.js';
import { ApiErrors, ApiWorkspaceRoutes } from '../../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../../workspace/actor.js';
import { ForceQuery } from '../../workspace/dto/workspace.dto.js';
import { Workspace } from '../../workspace/entities/workspace.entity.js';
import {
  CreateSamlProviderDto,
  SamlProviderDto,
  SamlProviderListDto,
  UpdateSamlProviderDto,
} from './dto/saml-provider.dto.js';
import { SamlProviderService } from './saml-provider.service.js';

@ApiTags('saml-providers')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/saml-providers')
export class SamlProvidersController {
  constructor(private readonly providers: SamlProviderService) {}

  @Get()
  @RequireAccess('admin')
  @ApiOkResponse({ type: SamlProviderListDto })
  @ApiErrors(400)
  async list(@CurrentWorkspace() workspace: Workspace) {
    const providers = await this.providers.list(workspace.id);
    return { items: providers.map((p) => this.providers.view(p)), total: providers.length };
  }

  @Post()
  @RequireAccess('admin')
  @ApiCreatedResponse({ type: SamlProviderDto })
  @ApiErrors(
    {
      400: [
        'VALIDATION_FAILED',
        'SAML_INVALID_CERTIFICATE',
        'SAML_INVALID_METADATA',
        'SAML_INVALID_PROVIDER_INPUT',
      ],
    },
    { 409: ['SAML_PROVIDER_NAME_TAKEN'] },
  )
  async create(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: CreateSamlProviderDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.providers.view(await this.providers.create(workspace.id, body, actor));
  }

  @Get(':id')
  @RequireAccess('admin')
  @ApiOkResponse({ type: SamlProviderDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'SAML_PROVIDER_NOT_FOUND'] })
  async get(@CurrentWorkspace() workspace: Workspace, @Param('id') id: string) {
    return this.providers.view(await this.providers.get(workspace.id, id));
  }

  @Patch(':id')
  @RequireAccess('admin')
  @ApiOkResponse({ type: SamlProviderDto })
  @ApiErrors(400, { 404: ['WORKSPACE_NOT_FOUND', 'SAML_PROVIDER_NOT_FOUND'] }, 409)
  async update(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Body() body: UpdateSamlProviderDto,
    @Query() query: ForceQuery,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.providers.view(
      await this.providers.update(workspace.id, id, body, actor, { force: query.force }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(400, { 404: ['WORKSPACE_NOT_FOUND', 'SAML_PROVIDER_NOT_FOUND'] }, 409)
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Query() query: ForceQuery,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.providers.remove(workspace.id, id, actor, { force: query.force });
  }
}
