import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { RequireAccess } from '../../common/access.decorator.js';
import { ApiErrors, ApiPageResponse, ApiWorkspaceRoutes } from '../../common/openapi.js';
import { type AuditActor, CurrentAuditActor, CurrentWorkspace } from '../../workspace/actor.js';
import { PageQuery, pageOf } from '../../common/paging.js';
import { Workspace } from '../../workspace/entities/workspace.entity.js';
import { ScimRequestLog } from '../log/scim-request-log.service.js';
import { SCIM_PROVIDERS, type ScimProvider } from './scim-connection.entity.js';
import { type ScimConnectionStatus, ScimConnectionService } from './scim-connection.service.js';

export class EnableScimDto {
  @ApiProperty({ enum: SCIM_PROVIDERS })
  @IsIn(SCIM_PROVIDERS)
  provider: ScimProvider;
}

export class ScimEntraHintDto {
  @ApiProperty({ type: 'integer' })
  legacyRequests: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSeenAt: Date | null;

  @ApiProperty()
  message: string;
}

export class ScimConnectionStatusDto implements ScimConnectionStatus {
  @ApiProperty()
  enabled: boolean;

  @ApiPropertyOptional({ enum: SCIM_PROVIDERS })
  provider?: ScimProvider;

  @ApiProperty({ description: 'The SCIM base URL to give the identity provider' })
  baseUrl: string;

  @ApiPropertyOptional({ format: 'date-time' })
  createdAt?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the token before the last rotation still works',
  })
  previousTokenValidUntil?: Date | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  lastRequestAt?: Date | null;

  @ApiPropertyOptional({
    type: ScimEntraHintDto,
    nullable: true,
    description: 'Entra sends requests without ?aadOptscim062020: add it to the tenant URL',
  })
  entraHint?: ScimEntraHintDto | null;
}

export class ScimTokenDto {
  @ApiProperty({ description: 'The SCIM base URL to give the identity provider' })
  baseUrl: string;

  @ApiProperty({ description: 'The bearer token; shown in this answer only' })
  token: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'After a rotation: until when the previous token still works',
  })
  previousTokenValidUntil?: Date;
}

/** A SCIM request of the workspace, as the request log keeps it (secrets blanked). */
export class ScimRequestDto {
  @ApiProperty({ description: 'Increasing: newest first' })
  id: string;

  @ApiProperty({ example: 'PATCH' })
  method: string;

  @ApiProperty({ example: '/scim/v2/Users/2819c223' })
  path: string;

  @ApiProperty({ type: 'integer', description: 'The HTTP status answered' })
  status: number;

  @ApiProperty({ type: 'integer' })
  durationMs: number;

  @ApiProperty({ type: String, nullable: true })
  userAgent: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorDetail: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The request body, secrets blanked',
  })
  requestBody: unknown;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;
}

@ApiTags('scim-connection')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiWorkspaceRoutes()
@Controller('api/workspaces/:ws/scim')
export class ScimConnectionController {
  constructor(
    private readonly connections: ScimConnectionService,
    private readonly requestLog: ScimRequestLog,
  ) {}

  @Get()
  @RequireAccess('admin')
  @ApiOkResponse({ type: ScimConnectionStatusDto })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND'] })
  status(@CurrentWorkspace() workspace: Workspace) {
    return this.connections.status(workspace.id);
  }

  /** Enables SCIM; the token is shown in this response only. */
  @Post()
  @RequireAccess('admin')
  @ApiCreatedResponse({ type: ScimTokenDto, description: 'Enabled' })
  @ApiErrors(400, { 409: ['SCIM_ALREADY_ENABLED', 'SCIM_REQUIRES_SAML_ONLY'] })
  enable(
    @CurrentWorkspace() workspace: Workspace,
    @Body() body: EnableScimDto,
    @CurrentAuditActor() actor: AuditActor,
  ) {
    return this.connections.enable(workspace.id, body.provider, actor);
  }

  /** A new token; the previous one keeps working for SCIM_TOKEN_GRACE_SECONDS. */
  @Post('token')
  @RequireAccess('admin')
  @ApiCreatedResponse({ type: ScimTokenDto, description: 'A new token' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'SCIM_NOT_ENABLED'] })
  rotate(@CurrentWorkspace() workspace: Workspace, @CurrentAuditActor() actor: AuditActor) {
    return this.connections.rotateToken(workspace.id, actor);
  }

  @Delete()
  @HttpCode(204)
  @RequireAccess('admin')
  @ApiNoContentResponse({ description: 'Disabled' })
  @ApiErrors({ 404: ['WORKSPACE_NOT_FOUND', 'SCIM_NOT_ENABLED'] })
  async disable(@CurrentWorkspace() workspace: Workspace, @CurrentAuditActor() actor: AuditActor) {
    await this.connections.disable(workspace.id, actor);
  }

  /** The workspace's recent SCIM requests, newest first. */
  @Get('requests')
  @RequireAccess('admin')
  @ApiPageResponse(ScimRequestDto, 'A page of the recent SCIM requests, newest first')
  @ApiErrors(400)
  requests(@CurrentWorkspace() workspace: Workspace, @Query() query: PageQuery) {
    return this.requestLog.list(workspace.id, pageOf(query));
  }
}
