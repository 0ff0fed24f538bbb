import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import { ApiErrors, ApiPageResponse, ApiWorkspaceRoutes } from '../common/openapi.js';
import {
  type Actor,
  type AuditActor,
  CurrentActor,
  CurrentAuditActor,
  CurrentWorkspace,
} from './actor.js';
import { CommonException } from '../common/app-exception.js';
import { PageQuery, pageOf } from '../common/paging.js';
import { DomainService } from './domain.service.js';
import { AddDomainDto, DomainDto, VerifyDomainDto } from './dto/domain.dto.js';
import { Workspace } from './entities/workspace.entity.js';

@ApiTags('domains')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/domains')
export class DomainsController {
  constructor(private readonly domains: DomainService) {}

  @Get()
  @RequireAccess('admin')
  @ApiPageResponse(DomainDto, 'A page of the claimed domains')
  @ApiErrors(400)
  list(@CurrentWorkspace() workspace: Workspace, @Query() query: PageQuery) {
    return this.domains.list(workspace.id, pageOf(query));
  }

  @Post()
  @RequireAccess('admin')
  @ApiCreatedResponse({
    type: DomainDto,
    description: 'Claimed; publish the TXT record, then verify',
  })
  @ApiErrors(
    { 400: ['VALIDATION_FAILED', 'DOMAIN_INVALID', 'CONSUMER_DOMAIN'] },
    { 409: ['DOMAIN_ALREADY_ADDED', 'DOMAIN_ALREADY_CLAIMED'] },
  )
  add(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: AddDomainDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.domains.add(workspace.id, body.domain, actor);
  }

  @Get(':domain')
  @RequireAccess('admin')
  @ApiOkResponse({ type: DomainDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'DOMAIN_NOT_FOUND'] })
  get(@CurrentWorkspace() workspace: Workspace, @Param('domain') domain: string) {
    return this.domains.get(workspace.id, domain);
  }

  @Post(':domain/verify')
  @HttpCode(200)
  @RequireAccess('admin')
  @ApiOkResponse({ type: DomainDto, description: 'Verified' })
  @ApiErrors(
    400,
    { 403: ['FORBIDDEN'] },
    { 404: ['WORKSPACE_NOT_FOUND', 'DOMAIN_NOT_FOUND'] },
    { 409: ['DOMAIN_ALREADY_CLAIMED'] },
    { 422: ['DOMAIN_VERIFICATION_FAILED'] },
  )
  verify(
    @CurrentWorkspace() workspace: Workspace,
    @Param('domain') domain: string,
    @Body() body: VerifyDomainDto,
    @CurrentActor() caller: Actor,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    const force = body.force === true;
    if (force && caller.kind !== 'internal') {
      throw new CommonException(
        'FORBIDDEN',
        'Only the internal API token can verify a domain without the DNS check.',
      );
    }
    return this.domains.verify(workspace.id, domain, { force }, actor);
  }

  @Delete(':domain')
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'Released' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'DOMAIN_NOT_FOUND'] })
  async remove(
    @CurrentWorkspace() workspace: Workspace,
    @Param('domain') domain: string,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    await this.domains.remove(workspace.id, domain, actor);
  }
}
