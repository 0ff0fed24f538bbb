import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/paging.js';
import { Optional } from '../common/optional.js';
import type { OutboxMailView, OutboxStatus } from './mail-outbox.repository.js';

export class ListOutboxQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only mails to this address', example: 'ada@example.com' })
  @Optional()
  @IsString()
  @MaxLength(254)
  to?: string;
}

/** A mail of the outbox, as the development outbox shows it. */
export class OutboxMailDto implements OutboxMailView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'invite' })
  kind: string;

  @ApiProperty({ example: 'ada@example.com' })
  to: string;

  @ApiProperty()
  subject: string;

  @ApiProperty({ description: 'The plain-text body' })
  text: string;

  @ApiProperty({ type: String, nullable: true })
  html: string | null;

  @ApiProperty({ enum: ['pending', 'sent', 'failed'] })
  status: OutboxStatus;

  @ApiProperty({ type: 'integer' })
  attempts: number;

  @ApiProperty({ type: String, nullable: true })
  lastError: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt: Date | null;
}
