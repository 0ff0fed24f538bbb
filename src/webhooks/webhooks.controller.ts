import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import { PageQuery, pageOf } from '../common/paging.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../workspace/actor.js';
import { Workspace } from '../workspace/entities/workspace.entity.js';
import { CreateWebhookDto, ListDeliveriesQuery, UpdateWebhookDto } from './dto/webhook.dto.js';
import { WebhookService } from './webhook.service.js';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/workspaces/:ws/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post()
  @RequireAccess('admin')
  @ApiOperation({ summary: 'Add an endpoint; the answer carries its signing secret, once' })
  create(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: CreateWebhookDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.webhooks.create(workspace.id, body, actor);
  }

  @Get()
  @RequireAccess('admin')
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: PageQuery) {
    return this.webhooks.list(workspace.id, pageOf(query));
  }

  @Get(':id')
  @RequireAccess('admin')
  get(@CurrentWorkspace() workspace: Workspace, @Param('id') id: string) {
    return this.webhooks.get(workspace.id, id);
  }

  @Patch(':id')
  @RequireAccess('admin')
  @ApiOperation({ summary: 'Change the URL, events or description; enable or disable' })
  update(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Body() body: UpdateWebhookDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.webhooks.update(workspace.id, id, body, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireAccess('admin')
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.webhooks.remove(workspace.id, id, actor);
  }

  @Post(':id/secret')
  @RequireAccess('admin')
  @ApiOperation({ summary: 'Replace the signing secret; the answer carries the new one, once' })
  rotateSecret(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.webhooks.rotateSecret(workspace.id, id, actor);
  }

  @Get(':id/deliveries')
  @RequireAccess('admin')
  @ApiOperation({ summary: "The endpoint's delivery log, newest first" })
  deliveries(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ) {
    return this.webhooks.deliveries(workspace.id, id, { status: query.status }, pageOf(query));
  }
}
