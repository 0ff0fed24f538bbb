import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Header,
  Inject,
  Injectable,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/access.decorator.js';
import { CommonException } from '../common/app-exception.js';
import { ApiErrors } from '../common/openapi.js';
import { safeEqualAny } from '../common/secret-tokens.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { AppMetrics } from './app-metrics.js';

/**
 * METRICS_TOKEN as a Bearer token; without one set, the internal API token (or, during its
 * rotation, a previous one: a scraper keeps working while its secret is changed).
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly tokens: string[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.tokens = config.metrics.token
      ? [config.metrics.token]
      : [config.internalApiToken, ...config.previousInternalApiTokens];
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('Cache-Control', 'no-store');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (match?.[1] && safeEqualAny(match[1], this.tokens)) return true;
    response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    throw new CommonException(
      'UNAUTHENTICATED',
      'Send METRICS_TOKEN (or, when it is not set, the internal API token) as a Bearer token.',
    );
  }
}

@ApiTags('operations')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @Get()
  @Public() // not the AccessGuard's: the MetricsTokenGuard below decides
  @UseGuards(MetricsTokenGuard)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics', schema: { type: 'string' } })
  @ApiErrors(401)
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
