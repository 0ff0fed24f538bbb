import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../common/access.decorator.js';
import { ApiErrors } from '../common/openapi.js';
import { DATABASE_UNAVAILABLE_MESSAGE, DatabaseException } from '../database/database.errors.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  /** The process is up. */
  @Get('live')
  @Public()
  @ApiOkResponse({
    description: 'Up',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  })
  live() {
    return { status: 'ok' };
  }

  /** The process can serve: the database answers. */
  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOkResponse({
    description: 'The database answers',
    schema: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ok'] },
        info: { type: 'object', additionalProperties: true },
        error: { type: 'object', additionalProperties: true },
        details: { type: 'object', additionalProperties: true },
      },
    },
  })
  @ApiErrors(503)
  async ready(@Res({ passthrough: true }) response: Response) {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 3000 }),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Answered here rather than thrown: Terminus has logged the cause once already, and a
      // probe every few seconds during an outage needs no stack trace each time.
      const unavailable = new DatabaseException(
        'DATABASE_UNAVAILABLE',
        DATABASE_UNAVAILABLE_MESSAGE,
      );
      response.status(unavailable.status);
      return {
        statusCode: unavailable.status,
        code: unavailable.code,
        message: unavailable.message,
      };
    }
  }
}
