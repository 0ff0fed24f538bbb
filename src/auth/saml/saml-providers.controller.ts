import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { RequireAccess } from '../../common/access.decorator.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../../workspace/actor.js';
import { ForceQuery } from '../../workspace/dto/workspace.dto.js';
import { Workspace } from '../../workspace/entities/workspace.entity.js';
import { CreateSamlProviderDto, UpdateSamlProviderDto } from './dto/saml-provider.dto.js';
import { SamlProviderService } from './saml-provider.service.js';

@ApiTags('saml-providers')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/workspaces/:ws/saml-providers')
export class SamlProvidersController {
  constructor(private readonly providers: SamlProviderService) {}

  @Get()
  @RequireAccess('admin')
  async list(@CurrentWorkspace() workspace: Workspace) {
    const providers = await this.providers.list(workspace.id);
    return { items: providers.map((p) => this.providers.view(p)), total: providers.length };
  }

  @Post()
  @RequireAccess('admin')
  async create(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: CreateSamlProviderDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.providers.view(await this.providers.create(workspace.id, body, actor));
  }

  @Get(':id')
  @RequireAccess('admin')
  async get(@CurrentWorkspace() workspace: Workspace, @Param('id') id: string) {
    return this.providers.view(await this.providers.get(workspace.id, id));
  }

  @Patch(':id')
  @RequireAccess('admin')
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
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Query() query: ForceQuery,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.providers.remove(workspace.id, id, actor, { force: query.force });
  }
}
