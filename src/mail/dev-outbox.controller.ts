import { Controller, Get, Inject, NotFoundException, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireAccess } from '../common/access.decorator.js';
import { ApiErrors, ApiPageResponse } from '../common/openapi.js';
import { pageOf } from '../common/paging.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { MailOutboxRepository } from './mail-outbox.repository.js';
import { ListOutboxQuery, OutboxMailDto } from './outbox.dto.js';

@ApiTags('dev')
@ApiBearerAuth()
@Controller('api/dev/outbox')
export class DevOutboxController {
  constructor(
    private readonly outbox: MailOutboxRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireAccess('internal')
  @ApiOperation({
    summary: 'Mails of the outbox, newest first (development: only when SMTP_URL is not set)',
    description: 'Answers 404 when SMTP_URL is set, so mail bodies are never exposed there.',
  })
  @ApiPageResponse(OutboxMailDto, 'A page of mails, newest first')
  @ApiErrors(400, 401, 403, 404, 503)
  list(@Query() query: ListOutboxQuery) {
    if (this.config.mail.smtpUrl)
      throw new NotFoundException('The outbox is shown only when SMTP_URL is not set.');
    return this.outbox.list(pageOf(query), query.to);
  }
}
