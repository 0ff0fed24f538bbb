import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { Optional } from '../../common/optional.js';
import { PageQuery } from '../../common/paging.js';
import { WEBHOOK_EVENT_NAMES, type WebhookEventType } from '../../workspace/audit-actions.js';
import type {
  DeliveryStatus,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '../webhook.repository.js';

/** The events an endpoint may subscribe to; `*` is every event. */
export const EVENT_FILTER_VALUES = ['*', ...WEBHOOK_EVENT_NAMES] as const;
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

const URL_EXAMPLE = 'https://hooks.example.com/gatehouse';
const URL_DESCRIPTION = 'https only (http only to loopback where WEBHOOK_ALLOW_LOOPBACK is set)';
const EVENTS_DESCRIPTION = 'The events sent to this endpoint; ["*"] for all of them';

export class CreateWebhookDto {
  @ApiProperty({ example: URL_EXAMPLE, description: URL_DESCRIPTION })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  url: string;

  @ApiProperty({
    type: [String],
    enum: EVENT_FILTER_VALUES,
    example: ['member.created', 'member.deactivated'],
    description: EVENTS_DESCRIPTION,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_FILTER_VALUES.length)
  @IsIn(EVENT_FILTER_VALUES, { each: true })
  events: string[];

  @ApiPropertyOptional({ nullable: true, example: 'HR system' })
  @Optional({ nullable: true })
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ default: true, description: 'A disabled endpoint is sent nothing' })
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: URL_EXAMPLE, description: URL_DESCRIPTION })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: EVENT_FILTER_VALUES,
    description: EVENTS_DESCRIPTION,
  })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_FILTER_VALUES.length)
  @IsIn(EVENT_FILTER_VALUES, { each: true })
  events?: string[];

  @ApiPropertyOptional({ nullable: true, example: 'HR system' })
  @Optional({ nullable: true })
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'A disabled endpoint is sent nothing' })
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @Optional()
  @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
}

const nullable = (type: 'string' | 'integer', extra: object = {}) =>
  ApiProperty({ type, nullable: true, ...extra });

export class WebhookDto implements WebhookEndpointView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: URL_EXAMPLE })
  url: string;

  @nullable('string')
  description: string | null;

  @ApiProperty({ enum: EVENT_FILTER_VALUES, isArray: true, description: EVENTS_DESCRIPTION })
  events: (WebhookEventType | '*')[];

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time' })
  updatedAt: Date;
}

/** An endpoint just created or given a new secret: the only answers that show the secret. */
export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({ description: 'The signing secret; shown in this answer only' })
  secret: string;
}

export class WebhookDeliveryDto implements WebhookDeliveryView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_NAMES })
  eventType: WebhookEventType;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer' })
  attempts: number;

  @nullable('string', { format: 'date-time' })
  nextAttemptAt: Date | null;

  @nullable('string', { format: 'date-time' })
  lastAttemptAt: Date | null;

  @nullable('integer', { description: "The endpoint's HTTP status at the last attempt" })
  lastStatusCode: number | null;

  @nullable('string')
  lastError: string | null;

  @nullable('integer')
  lastDurationMs: number | null;

  @nullable('string', { description: "The start of the endpoint's answer" })
  responseExcerpt: string | null;

  @nullable('string', { format: 'date-time' })
  deliveredAt: Date | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;
}
