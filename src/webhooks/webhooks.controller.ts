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
import { ApiErrors, ApiPageResponse, ApiWorkspaceRoutes } from '../common/openapi.js';
import { PageQuery, pageOf } from '../common/paging.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../workspace/actor.js';
import { Workspace } from '../workspace/entities/workspace.entity.js';
import {
  CreateWebhookDto,
  ListDeliveriesQuery,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDto,
  WebhookWithSecretDto,
} from './dto/webhook.dto.js';
import { WebhookService } from './webhook.service.js';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post()
  @RequireAccess('admin')
  @ApiOperation({ summary: 'Add an endpoint; the answer carries its signing secret, once' })
  @ApiCreatedResponse({ type: WebhookWithSecretDto })
  @ApiErrors(
    { 400: ['VALIDATION_FAILED', 'WEBHOOK_URL_NOT_ALLOWED'] },
    { 409: ['WEBHOOK_LIMIT_REACHED'] },
  )
  create(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: CreateWebhookDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.webhooks.create(workspace.id, body, actor);
  }

  @Get()
  @RequireAccess('admin')
  @ApiPageResponse(WebhookDto, 'A page of endpoints')
  @ApiErrors(400)
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: PageQuery) {
    return this.webhooks.list(workspace.id, pageOf(query));
  }

  @Get(':id')
  @RequireAccess('admin')
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'WEBHOOK_NOT_FOUND'] })
  get(@CurrentWorkspace() workspace: Workspace, @Param('id') id: string) {
    return this.webhooks.get(workspace.id, id);
  }

  @Patch(':id')
  @RequireAccess('admin')
  @ApiOperation({ summary: 'Change the URL, events or description; enable or disable' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors(
    { 400: ['VALIDATION_FAILED', 'WEBHOOK_URL_NOT_ALLOWED'] },
    { 404: ['WORKSPACE_NOT_FOUND', 'WEBHOOK_NOT_FOUND'] },
  )
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
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'WEBHOOK_NOT_FOUND'] })
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
  @ApiCreatedResponse({ type: WebhookWithSecretDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'WEBHOOK_NOT_FOUND'] })
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
  @ApiPageResponse(WebhookDeliveryDto, 'A page of deliveries, newest first')
  @ApiErrors(400, { 404: ['WORKSPACE_NOT_FOUND', 'WEBHOOK_NOT_FOUND'] })
  deliveries(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ) {
    return this.webhooks.deliveries(workspace.id, id, { status: query.status }, pageOf(query));
  }
}
