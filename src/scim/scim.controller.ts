import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/access.decorator.js';
import type { AuditActor } from '../workspace/actor.js';
import { ScimConnectionService } from './connection/scim-connection.service.js';
import { ScimAuthGuard, type ScimRequest } from './scim-auth.guard.js';
import { resourceTypes, schemas, serviceProviderConfig } from './protocol/discovery.js';
import { ScimError } from './protocol/scim-error.js';
import { ScimExceptionFilter } from './scim-exception.filter.js';
import { type Json, type ListQuery, listResponse, parseListQuery } from './protocol/list-query.js';
import { requireObject } from './protocol/request-body.js';
import { SEARCH_REQUEST_SCHEMA } from './protocol/schemas.js';
import { ScimGroups } from './store/groups.resource.js';
import { ScimUsers } from './store/users.resource.js';
import type { PatchDialect } from './protocol/patch/patch.js';

const SCIM_JSON = 'application/scim+json';

function send(response: Response, status: number, body: unknown, etag?: string, location?: string) {
  if (etag) response.setHeader('ETag', etag);
  if (location) response.setHeader('Location', location);
  response.status(status).type(SCIM_JSON).send(JSON.stringify(body));
}

function actorOf(request: ScimRequest): AuditActor {
  return {
    channel: 'scim',
    type: 'scim',
    label: request.headers['user-agent']?.slice(0, 200) ?? 'SCIM client',
    ipAddress: request.ip,
  };
}

function workspaceOf(request: ScimRequest): string {
  if (!request.scimWorkspaceId)
    throw ScimError.status(401, 'A valid SCIM bearer token is required.');
  return request.scimWorkspaceId;
}

/** Entra without ?aadOptscim062020 speaks a legacy dialect: note it for the admin hint. */
function noteDialect(request: ScimRequest, response: Response, dialect: PatchDialect | undefined) {
  const flagged = Object.keys(request.query ?? {}).some(
    (k) => k.toLowerCase() === 'aadoptscim062020',
  );
  if (dialect && (dialect.capitalizedOps || dialect.stringBooleans) && !flagged) {
    response.locals.entraLegacy = true;
  }
}

function searchBody(body: unknown): Json {
  const request = requireObject(body);
  const listed = Array.isArray(request.schemas) ? (request.schemas as unknown[]) : [];
  if (!listed.includes(SEARCH_REQUEST_SCHEMA)) {
    throw ScimError.of(
      'invalidSyntax',
      `A search request must list the schema ${SEARCH_REQUEST_SCHEMA}.`,
    );
  }
  return request;
}

/** SCIM 2.0 (RFC 7644) at PUBLIC_URL/scim/v2; the bearer token picks the workspace. */
@ApiExcludeController()
@ApiBearerAuth()
@Controller('scim/v2')
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
export class ScimController {
  constructor(
    private readonly users: ScimUsers,
    private readonly groups: ScimGroups,
    private readonly connections: ScimConnectionService,
  ) {}

  private get baseUrl(): string {
    return this.connections.baseUrl;
  }

  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Res() response: Response) {
    send(response, 200, serviceProviderConfig(this.baseUrl));
  }

  @Get('ResourceTypes')
  resourceTypes(@Res() response: Response) {
    const types = resourceTypes(this.baseUrl);
    send(
      response,
      200,
      listResponse(types, types.length, {
        startIndex: 1,
        count: types.length,
        sortOrder: 'ascending',
      }),
    );
  }

  @Get('ResourceTypes/:name')
  resourceType(@Param('name') name: string, @Res() response: Response) {
    const type = resourceTypes(this.baseUrl).find((t) => t.id.toLowerCase() === name.toLowerCase());
    if (!type) throw ScimError.status(404, `No resource type ${name}.`);
    send(response, 200, type);
  }

  @Get('Schemas')
  schemas(@Res() response: Response) {
    const all = schemas(this.baseUrl);
    send(
      response,
      200,
      listResponse(all, all.length, { startIndex: 1, count: all.length, sortOrder: 'ascending' }),
    );
  }

  @Get('Schemas/:id')
  schema(@Param('id') id: string, @Res() response: Response) {
    const found = schemas(this.baseUrl).find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!found) throw ScimError.status(404, `No schema ${id}.`);
    send(response, 200, found);
  }

  /**
   * Root search (RFC 7644 §3.4.3): Users then Groups, paged over both. A filter naming an
   * attribute one type lacks matches nothing of that type; it is invalid only when it fits neither.
   */
  @Post('.search')
  @HttpCode(200)
  async searchAll(@Req() request: ScimRequest, @Body() body: unknown, @Res() response: Response) {
    const workspaceId = workspaceOf(request);
    const query = parseListQuery(searchBody(body));
    const attempt = async (list: (q: ListQuery) => Promise<Json>, q: ListQuery) => {
      try {
        return await list(q);
      } catch (error) {
        if (error instanceof ScimError && error.scimType === 'invalidFilter') return error;
        throw error;
      }
    };
    const listUsers = (q: ListQuery) => this.users.list(workspaceId, q);
    const listGroups = (q: ListQuery) => this.groups.list(workspaceId, q);
    const usersTotal = await attempt(listUsers, { ...query, count: 0, startIndex: 1 });
    const groupsTotal = await attempt(listGroups, { ...query, count: 0, startIndex: 1 });
    if (usersTotal instanceof ScimError && groupsTotal instanceof ScimError) throw usersTotal;
    const totalOf = (r: Json | ScimError) =>
      r instanceof ScimError ? 0 : (r.totalResults as number);
    const users = totalOf(usersTotal);
    const resources: Json[] = [];
    if (query.startIndex <= users && query.count > 0) {
      const page = (await listUsers(query)).Resources as Json[];
      resources.push(...page);
    }
    const remaining = query.count - resources.length;
    if (remaining > 0 && !(groupsTotal instanceof ScimError)) {
      const startIndex = Math.max(1, query.startIndex - users);
      const page = (await listGroups({ ...query, startIndex, count: remaining }))
        .Resources as Json[];
      resources.push(...page);
    }
    send(response, 200, listResponse(resources, users + totalOf(groupsTotal), query));
  }

  // ---- Users ----------------------------------------------------------------------------

  @Get('Users')
  async listUsers(@Req() request: ScimRequest, @Query() query: Json, @Res() response: Response) {
    send(response, 200, await this.users.list(workspaceOf(request), parseListQuery(query)));
  }

  @Post('Users/.search')
  @HttpCode(200)
  async searchUsers(@Req() request: ScimRequest, @Body() body: unknown, @Res() response: Response) {
    send(
      response,
      200,
      await this.users.list(workspaceOf(request), parseListQuery(searchBody(body))),
    );
  }

  @Get('Users/:id')
  async getUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Query() query: Json,
    @Res() response: Response,
  ) {
    const { resource, etag } = await this.users.get(
      workspaceOf(request),
      id,
      parseListQuery(query),
    );
    send(response, 200, resource, etag);
  }

  @Post('Users')
  async createUser(
    @Req() request: ScimRequest,
    @Body() body: unknown,
    @Query() query: Json,
    @Res() response: Response,
  ) {
    const { resource, etag, location } = await this.users.create(
      workspaceOf(request),
      body,
      actorOf(request),
      parseListQuery(query),
    );
    send(response, 201, resource, etag, location);
  }

  @Put('Users/:id')
  async replaceUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
    @Res() response: Response,
  ) {
    const { resource, etag } = await this.users.replace(
      workspaceOf(request),
      id,
      body,
      ifMatch,
      actorOf(request),
      parseListQuery(query),
    );
    send(response, 200, resource, etag);
  }

  @Patch('Users/:id')
  async patchUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
    @Res() response: Response,
  ) {
    const { resource, etag, dialect } = await this.users.patch(
      workspaceOf(request),
      id,
      body,
      ifMatch,
      actorOf(request),
      parseListQuery(query),
    );
    noteDialect(request, response, dialect);
    send(response, 200, resource, etag);
  }

  @Delete('Users/:id')
  async deleteUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res() response: Response,
  ) {
    await this.users.remove(workspaceOf(request), id, ifMatch, actorOf(request));
    response.status(204).end();
  }

  // ---- Groups ---------------------------------------------------------------------------

  @Get('Groups')
  async listGroups(@Req() request: ScimRequest, @Query() query: Json, @Res() response: Response) {
    send(response, 200, await this.groups.list(workspaceOf(request), parseListQuery(query)));
  }

  @Post('Groups/.search')
  @HttpCode(200)
  async searchGroups(
    @Req() request: ScimRequest,
    @Body() body: unknown,
    @Res() response: Response,
  ) {
    send(
      response,
      200,
      await this.groups.list(workspaceOf(request), parseListQuery(searchBody(body))),
    );
  }

  @Get('Groups/:id')
  async getGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Query() query: Json,
    @Res() response: Response,
  ) {
    const { resource, etag } = await this.groups.get(
      workspaceOf(request),
      id,
      parseListQuery(query),
    );
    send(response, 200, resource, etag);
  }

  @Post('Groups')
  async createGroup(@Req() request: ScimRequest, @Body() body: unknown, @Res() response: Response) {
    const { resource, etag } = await this.groups.create(
      workspaceOf(request),
      body,
      actorOf(request),
    );
    send(response, 201, resource, etag, (resource.meta as Json).location as string);
  }

  @Put('Groups/:id')
  async replaceGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res() response: Response,
  ) {
    const { resource, etag } = await this.groups.replace(
      workspaceOf(request),
      id,
      body,
      ifMatch,
      actorOf(request),
    );
    send(response, 200, resource, etag);
  }

  /** 204 as Entra and Okta expect; 200 with the group when `attributes` asks for it. */
  @Patch('Groups/:id')
  async patchGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
    @Res() response: Response,
  ) {
    const { dialect } = await this.groups.patch(
      workspaceOf(request),
      id,
      body,
      ifMatch,
      actorOf(request),
      { attributes: ['id'] },
    );
    noteDialect(request, response, dialect);
    if (query.attributes || query.excludedAttributes) {
      const { resource, etag } = await this.groups.get(
        workspaceOf(request),
        id,
        parseListQuery(query),
      );
      send(response, 200, resource, etag);
    } else {
      response.status(204).end();
    }
  }

  @Delete('Groups/:id')
  async deleteGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res() response: Response,
  ) {
    await this.groups.remove(workspaceOf(request), id, ifMatch, actorOf(request));
    response.status(204).end();
  }
}
