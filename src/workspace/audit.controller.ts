import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import { ApiErrors, ApiPageResponse, ApiWorkspaceRoutes } from '../common/openapi.js';
import { CurrentWorkspace } from './actor.js';
import { pageOf } from '../common/paging.js';
import { AuditService } from './audit.service.js';
import { AuditEventDto, ListAuditEventsQuery } from './dto/audit.dto.js';
import { Workspace } from './entities/workspace.entity.js';

@ApiTags('audit')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Who did what, newest first. */
  @Get()
  @RequireAccess('admin')
  @ApiPageResponse(AuditEventDto, 'A page of audit events, newest first')
  @ApiErrors(400)
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: ListAuditEventsQuery) {
    const { action, channel, targetId } = query;
    return this.audit.list(workspace.id, pageOf(query), { action, channel, targetId });
  }
}
