import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

/**
 * OpenAPI decorators shared by the controllers, so that every operation documents its path
 * parameters and its error answers the same way, and a client generated from the document
 * knows the error shape.
 */

/** The body of every error answer outside SCIM (see ApiExceptionFilter). */
export class ApiErrorDto {
  @ApiProperty({ type: 'integer', example: 404, description: 'The HTTP status, repeated' })
  statusCode: number;

  @ApiProperty({
    example: 'NOT_FOUND',
    description: 'Stable UPPER_SNAKE code for programs; see the operation for the likely ones',
  })
  code: string;

  @ApiProperty({ description: 'A sentence for humans; may change between versions' })
  message: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'On 429: seconds to wait before trying again (also the Retry-After header)',
  })
  retryAfterSeconds?: number;
}

/** The statuses an operation may document as error answers. */
export type ErrorStatus =
  400 | 401 | 403 | 404 | 405 | 409 | 410 | 412 | 413 | 415 | 422 | 429 | 503;

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Invalid input: VALIDATION_FAILED, INVALID_CHARACTERS, NESTED_TOO_DEEP, VALUE_TOO_LONG, TOO_MANY_ATTRIBUTES or a code of the operation',
  401: 'No or an invalid credential: UNAUTHENTICATED',
  403: 'The credential may not do this: FORBIDDEN',
  404: 'Not found: WORKSPACE_NOT_FOUND or a code of the operation',
  405: 'Method not allowed: METHOD_NOT_ALLOWED',
  409: "In conflict with the resource's state: a code of the operation",
  410: 'Gone: a code of the operation',
  412: 'If-Match names a version that is not the current one',
  413: 'The request body is too large',
  415: 'Unsupported content type',
  422: 'Well-formed but cannot be done: a code of the operation',
  429: 'Too many attempts: wait retryAfterSeconds (Retry-After)',
  503: 'The database does not answer; try again: DATABASE_UNAVAILABLE',
};

/**
 * Error answers carrying a given schema, each status with its description; for the default error
 * body use ApiErrors(). Other modules (SCIM) bring their own schema and media type.
 */
export function apiErrorResponses(
  model: Type<unknown>,
  contentType: string,
  answers: Partial<Record<ErrorStatus, string>>,
) {
  return applyDecorators(
    ApiExtraModels(model),
    ...(Object.entries(answers) as [`${ErrorStatus}`, string][]).map(([status, description]) =>
      ApiResponse({
        status: Number(status),
        description,
        content: { [contentType]: { schema: { $ref: getSchemaPath(model) } } },
      }),
    ),
  );
}

/**
 * The error answers of an operation (or of all a controller's operations), with the error body.
 * `ApiErrors(400, 404, { 409: ['LAST_ADMIN'] })`: a status with codes lists those codes.
 */
export function ApiErrors(...answers: (ErrorStatus | Partial<Record<ErrorStatus, string[]>>)[]) {
  const descriptions: Partial<Record<ErrorStatus, string>> = {};
  for (const answer of answers) {
    if (typeof answer === 'number') {
      descriptions[answer] = ERROR_DESCRIPTIONS[answer];
      continue;
    }
    for (const [key, codes] of Object.entries(answer) as [`${ErrorStatus}`, string[]][]) {
      const status = Number(key) as ErrorStatus;
      descriptions[status] =
        `${ERROR_DESCRIPTIONS[status].replace(/:.*$/, '')}: ${codes.join(', ')}`;
    }
  }
  return apiErrorResponses(ApiErrorDto, 'application/json', descriptions);
}

/**
 * The `{ws}` path parameter and the errors every workspace route can answer: for a controller
 * under `api/workspaces/:ws`.
 */
export function ApiWorkspaceRoutes() {
  return applyDecorators(
    ApiWorkspaceParam(),
    ApiErrors(401, 403, { 404: ['WORKSPACE_NOT_FOUND'] }, 503),
  );
}

export function ApiWorkspaceParam() {
  return ApiParam({
    name: 'ws',
    description: 'Workspace id or slug',
    schema: { type: 'string' },
    example: 'acme',
  });
}

/** A `{items, total, limit, offset}` page of a model (see Page in paging.ts). */
export function ApiPageResponse(
  model: Type<unknown>,
  description = 'A page, newest or alphabetical',
) {
  return applyDecorators(
    ApiExtraModels(model),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'total', 'limit', 'offset'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(model) } },
          total: { type: 'integer' },
          limit: { type: 'integer' },
          offset: { type: 'integer' },
        },
      },
    }),
  );
}

/** `{ revoked: n }`: how many sessions an operation ended. */
export function ApiRevokedResponse() {
  return ApiOkResponse({
    description: 'How many sessions were revoked',
    schema: {
      type: 'object',
      required: ['revoked'],
      properties: { revoked: { type: 'integer' } },
    },
  });
}

/** The query an OAuth 2.0 / OpenID Connect provider sends back (RFC 6749 §4.1.2). */
export function ApiOAuthCallbackQuery() {
  const optional = (name: string, description: string) =>
    ApiQuery({ name, required: false, type: String, description });
  return applyDecorators(
    optional('code', 'The authorization code, on success'),
    optional('state', 'The state sent with the authorization request'),
    optional('error', 'The error code, on failure (e.g. access_denied)'),
    optional('error_description', 'The provider’s words about the error'),
  );
}
