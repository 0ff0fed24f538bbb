import {
  applyDecorators,
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
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../../common/access.decorator.js';
import { apiErrorResponses, type ErrorStatus } from '../../common/openapi.js';
import type { AuditActor } from '../../workspace/actor.js';
import { ScimConnectionService } from '../connection/scim-connection.service.js';
import { resourceTypes, schemas, serviceProviderConfig } from '../protocol/discovery.js';
import {
  type Json,
  type ListQuery,
  listResponse,
  parseListQuery,
  parseSearchRequest,
} from '../protocol/list-query.js';
import type { PatchDialect } from '../protocol/patch/patch.js';
import { SCIM_ERROR_SCHEMA, SCIM_TYPE_STATUS, ScimError } from '../protocol/scim-error.js';
import { ScimGroups } from '../store/groups.resource.js';
import type { ScimResourceType } from '../store/scim-resource-type.js';
import { ScimUsers } from '../store/users.resource.js';
import { ScimAuthGuard, type ScimRequest } from './scim-auth.guard.js';
import { ScimExceptionFilter } from './scim-exception.filter.js';
import { type ScimReply, ScimReplyInterceptor } from './scim-reply.interceptor.js';
import { ScimSearch } from './scim-search.service.js';

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

/** Entra without ?aadOptscim062020 speaks a legacy dialect: noted for the admin's hint. */
function noteDialect(request: ScimRequest, dialect: PatchDialect): void {
  const flagged = Object.keys(request.query ?? {}).some(
    (k) => k.toLowerCase() === 'aadoptscim062020',
  );
  if ((dialect.capitalizedOps || dialect.stringBooleans) && !flagged) {
    request.scimEntraLegacy = true;
  }
}

const ok = (body: unknown): ScimReply => ({ status: 200, body });

// ---- OpenAPI: SCIM speaks application/scim+json and answers errors in its own schema -----

/** The SCIM error body (RFC 7644 §3.12), as ScimExceptionFilter writes it. */
export class ScimErrorDto {
  @ApiProperty({ type: [String], example: [SCIM_ERROR_SCHEMA] })
  schemas: string[];

  @ApiProperty({ example: '404', description: 'The HTTP status, as a string' })
  status: string;

  @ApiPropertyOptional({ enum: Object.keys(SCIM_TYPE_STATUS) })
  scimType?: string;

  @ApiProperty()
  detail: string;
}

const SCIM_ERRORS: Partial<Record<ErrorStatus, string>> = {
  400: 'Invalid request: scimType invalidFilter, invalidSyntax, invalidPath, invalidValue, mutability, noTarget, tooMany or invalidVers',
  401: 'No or an invalid SCIM bearer token',
  404: 'No such resource in the workspace',
  409: 'uniqueness (a duplicate), or a conflict with the state of the workspace',
  412: 'If-Match names a version that is not the current one',
  413: 'The request is too large (members of a group, values, body)',
  415: 'Send application/scim+json or application/json',
  503: 'The database does not answer; try again',
};

const ApiScimErrors = (...statuses: ErrorStatus[]) =>
  apiErrorResponses(
    ScimErrorDto,
    'application/scim+json',
    Object.fromEntries(statuses.map((status) => [status, SCIM_ERRORS[status] ?? ''])),
  );

/** A SCIM resource (User, Group, schema, resource type...): its attributes are the schemas'. */
const SCIM_RESOURCE = {
  type: 'object',
  required: ['schemas'],
  properties: { schemas: { type: 'array', items: { type: 'string' } }, id: { type: 'string' } },
  additionalProperties: true,
} as const;

const SCIM_LIST = {
  type: 'object',
  required: ['schemas', 'totalResults', 'Resources'],
  properties: {
    schemas: { type: 'array', items: { type: 'string' } },
    totalResults: { type: 'integer' },
    startIndex: { type: 'integer' },
    itemsPerPage: { type: 'integer' },
    Resources: { type: 'array', items: SCIM_RESOURCE },
  },
} as const;

const scimAnswer = (schema: object, description: string) => ({
  description,
  content: { 'application/scim+json': { schema } },
});
const ApiScimResource = (status: 200 | 201, description: string) =>
  ApiResponse({ status, ...scimAnswer(SCIM_RESOURCE, description) });
const ApiScimList = () => ApiOkResponse(scimAnswer(SCIM_LIST, 'A ListResponse'));
const ApiScimBody = (description: string) =>
  ApiBody({ description, schema: { type: 'object', additionalProperties: true } });

/** `attributes` and `excludedAttributes` (RFC 7644 §3.9). */
const ApiScimProjection = () =>
  applyDecorators(
    ApiQuery({
      name: 'attributes',
      required: false,
      type: String,
      description: 'Comma-separated attributes to return',
    }),
    ApiQuery({
      name: 'excludedAttributes',
      required: false,
      type: String,
      description: 'Comma-separated attributes not to return',
    }),
  );

/** The query of a list (RFC 7644 §3.4.2). */
const ApiScimListQuery = (filterExample: string) =>
  applyDecorators(
    ApiQuery({
      name: 'filter',
      required: false,
      type: String,
      example: filterExample,
    }),
    ApiQuery({ name: 'startIndex', required: false, type: 'integer', minimum: 1 }),
    ApiQuery({ name: 'count', required: false, type: 'integer', minimum: 0 }),
    ApiQuery({ name: 'sortBy', required: false, type: String }),
    ApiQuery({ name: 'sortOrder', required: false, enum: ['ascending', 'descending'] }),
    ApiScimProjection(),
  );

const ApiIfMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'Write only if the resource is at this version (ETag), else 412',
  });

/** The `POST .../.search` body (RFC 7644 §3.4.3). */
const ApiScimSearch = () =>
  applyDecorators(
    ApiScimBody('A SearchRequest: filter, startIndex, count, sortBy, sortOrder, attributes'),
    ApiScimList(),
    ApiScimErrors(400, 413, 415),
  );

/** Whether a request names attributes to return (RFC 7644 §3.9). */
const asksProjection = (query: Json) => Boolean(query.attributes || query.excludedAttributes);

/** The answer of a PATCH that needs no body: the write's resource is read as its id only. */
const ID_ONLY = { attributes: ['id'] };

/**
 * The six operations of a resource type (RFC 7644 §3.3 to §3.6), alike for Users and Groups.
 * Each handler of ScimController is one call of these.
 */
class ResourceEndpoints {
  constructor(private readonly type: ScimResourceType) {}

  async list(request: ScimRequest, query: ListQuery): Promise<ScimReply> {
    return ok(await this.type.list(workspaceOf(request), query));
  }

  async get(request: ScimRequest, id: string, query: Json): Promise<ScimReply> {
    const { resource, etag } = await this.type.get(workspaceOf(request), id, parseListQuery(query));
    return { status: 200, body: resource, etag };
  }

  async create(request: ScimRequest, body: unknown, query: Json): Promise<ScimReply> {
    const { resource, etag, location } = await this.type.create(
      workspaceOf(request),
      body,
      actorOf(request),
      parseListQuery(query),
    );
    return { status: 201, body: resource, etag, location };
  }

  async replace(request: ScimRequest, id: string, body: unknown, query: Json, ifMatch?: string) {
    const { resource, etag } = await this.type.replace(
      workspaceOf(request),
      id,
      body,
      ifMatch,
      actorOf(request),
      parseListQuery(query),
    );
    return { status: 200, body: resource, etag };
  }

  /** 200 with the resource; 204 for a type that answers so when no projection is asked. */
  async patch(request: ScimRequest, id: string, body: unknown, query: Json, ifMatch?: string) {
    const noContent = this.type.patchAnswersNoContent && !asksProjection(query);
    const { resource, etag, dialect } = await this.type.patch(
      workspaceOf(request),
      id,
      body,
      ifMatch,
      actorOf(request),
      noContent ? ID_ONLY : parseListQuery(query),
    );
    noteDialect(request, dialect);
    return noContent ? { status: 204 } : { status: 200, body: resource, etag };
  }

  async remove(request: ScimRequest, id: string, ifMatch?: string): Promise<ScimReply> {
    await this.type.remove(workspaceOf(request), id, ifMatch, actorOf(request));
    return { status: 204 };
  }
}

/**
 * SCIM 2.0 (RFC 7644) at PUBLIC_URL/scim/v2; the bearer token picks the workspace. Handlers
 * return a ScimReply; ScimReplyInterceptor writes it as application/scim+json, and
 * ScimExceptionFilter any error in the SCIM error schema.
 */
@ApiTags('scim')
@ApiBearerAuth()
@ApiConsumes('application/scim+json', 'application/json')
@ApiProduces('application/scim+json')
@ApiScimErrors(401, 503)
@Controller('scim/v2')
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimReplyInterceptor)
export class ScimController {
  private readonly users: ResourceEndpoints;
  private readonly groups: ResourceEndpoints;

  constructor(
    users: ScimUsers,
    groups: ScimGroups,
    private readonly search: ScimSearch,
    private readonly connections: ScimConnectionService,
  ) {
    this.users = new ResourceEndpoints(users);
    this.groups = new ResourceEndpoints(groups);
  }

  private get baseUrl(): string {
    return this.connections.baseUrl;
  }

  // ---- discovery (RFC 7644 §4) ----------------------------------------------------------

  @Get('ServiceProviderConfig')
  @ApiScimResource(200, 'The ServiceProviderConfig')
  serviceProviderConfig(): ScimReply {
    return ok(serviceProviderConfig(this.baseUrl));
  }

  @Get('ResourceTypes')
  @ApiScimList()
  resourceTypes(): ScimReply {
    const types = resourceTypes(this.baseUrl);
    return ok(
      listResponse(types, types.length, {
        startIndex: 1,
        count: types.length,
        sortOrder: 'ascending',
      }),
    );
  }

  @Get('ResourceTypes/:name')
  @ApiScimResource(200, 'The resource type')
  @ApiScimErrors(404)
  resourceType(@Param('name') name: string): ScimReply {
    const type = resourceTypes(this.baseUrl).find((t) => t.id.toLowerCase() === name.toLowerCase());
    if (!type) throw ScimError.status(404, `No resource type ${name}.`);
    return ok(type);
  }

  @Get('Schemas')
  @ApiScimList()
  schemas(): ScimReply {
    const all = schemas(this.baseUrl);
    return ok(
      listResponse(all, all.length, { startIndex: 1, count: all.length, sortOrder: 'ascending' }),
    );
  }

  @Get('Schemas/:id')
  @ApiScimResource(200, 'The schema')
  @ApiScimErrors(404)
  schema(@Param('id') id: string): ScimReply {
    const found = schemas(this.baseUrl).find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!found) throw ScimError.status(404, `No schema ${id}.`);
    return ok(found);
  }

  /** Root search (RFC 7644 §3.4.3) over Users and Groups. */
  @Post('.search')
  @HttpCode(200)
  @ApiScimSearch()
  async searchAll(@Req() request: ScimRequest, @Body() body: unknown): Promise<ScimReply> {
    return ok(await this.search.search(workspaceOf(request), parseSearchRequest(body)));
  }

  // ---- Users ----------------------------------------------------------------------------

  @Get('Users')
  @ApiScimListQuery('userName eq "ada@example.com"')
  @ApiScimList()
  @ApiScimErrors(400)
  listUsers(@Req() request: ScimRequest, @Query() query: Json) {
    return this.users.list(request, parseListQuery(query));
  }

  @Post('Users/.search')
  @HttpCode(200)
  @ApiScimSearch()
  searchUsers(@Req() request: ScimRequest, @Body() body: unknown) {
    return this.users.list(request, parseSearchRequest(body));
  }

  @Get('Users/:id')
  @ApiScimProjection()
  @ApiScimResource(200, 'The User')
  @ApiScimErrors(400, 404)
  getUser(@Req() request: ScimRequest, @Param('id') id: string, @Query() query: Json) {
    return this.users.get(request, id, query);
  }

  @Post('Users')
  @ApiScimProjection()
  @ApiScimBody('The User')
  @ApiScimResource(201, 'Created; Location and ETag headers')
  @ApiScimErrors(400, 409, 413, 415)
  createUser(@Req() request: ScimRequest, @Body() body: unknown, @Query() query: Json) {
    return this.users.create(request, body, query);
  }

  @Put('Users/:id')
  @ApiScimProjection()
  @ApiIfMatch()
  @ApiScimBody('The User, whole')
  @ApiScimResource(200, 'The User replaced')
  @ApiScimErrors(400, 404, 409, 412, 413, 415)
  replaceUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    return this.users.replace(request, id, body, query, ifMatch);
  }

  @Patch('Users/:id')
  @ApiScimProjection()
  @ApiIfMatch()
  @ApiScimBody('A PatchOp: Operations of op, path and value')
  @ApiScimResource(200, 'The User patched')
  @ApiScimErrors(400, 404, 409, 412, 413, 415)
  patchUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    return this.users.patch(request, id, body, query, ifMatch);
  }

  @Delete('Users/:id')
  @HttpCode(204)
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiScimErrors(404, 409, 412)
  deleteUser(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    return this.users.remove(request, id, ifMatch);
  }

  // ---- Groups ---------------------------------------------------------------------------

  @Get('Groups')
  @ApiScimListQuery('displayName eq "Engineering"')
  @ApiScimList()
  @ApiScimErrors(400)
  listGroups(@Req() request: ScimRequest, @Query() query: Json) {
    return this.groups.list(request, parseListQuery(query));
  }

  @Post('Groups/.search')
  @HttpCode(200)
  @ApiScimSearch()
  searchGroups(@Req() request: ScimRequest, @Body() body: unknown) {
    return this.groups.list(request, parseSearchRequest(body));
  }

  @Get('Groups/:id')
  @ApiScimProjection()
  @ApiScimResource(200, 'The Group')
  @ApiScimErrors(400, 404)
  getGroup(@Req() request: ScimRequest, @Param('id') id: string, @Query() query: Json) {
    return this.groups.get(request, id, query);
  }

  @Post('Groups')
  @ApiScimProjection()
  @ApiScimBody('The Group')
  @ApiScimResource(201, 'Created; Location and ETag headers')
  @ApiScimErrors(400, 409, 413, 415)
  createGroup(@Req() request: ScimRequest, @Body() body: unknown, @Query() query: Json) {
    return this.groups.create(request, body, query);
  }

  @Put('Groups/:id')
  @ApiScimProjection()
  @ApiIfMatch()
  @ApiScimBody('The Group, whole')
  @ApiScimResource(200, 'The Group replaced')
  @ApiScimErrors(400, 404, 409, 412, 413, 415)
  replaceGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    return this.groups.replace(request, id, body, query, ifMatch);
  }

  /** 204 as Entra and Okta expect; 200 with the group when `attributes` asks for it. */
  @Patch('Groups/:id')
  @ApiScimProjection()
  @ApiIfMatch()
  @ApiScimBody('A PatchOp: Operations of op, path and value')
  @ApiScimResource(200, 'The Group patched, when attributes or excludedAttributes ask for it')
  @ApiNoContentResponse({ description: 'Patched' })
  @ApiScimErrors(400, 404, 409, 412, 413, 415)
  patchGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Json,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    return this.groups.patch(request, id, body, query, ifMatch);
  }

  @Delete('Groups/:id')
  @HttpCode(204)
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiScimErrors(404, 409, 412)
  deleteGroup(
    @Req() request: ScimRequest,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    return this.groups.remove(request, id, ifMatch);
  }
}
