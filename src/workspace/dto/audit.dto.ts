import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import { AUDIT_ACTION_NAMES, type AuditAction } from '../audit-actions.js';
import {
  AUDIT_CHANNELS,
  type AuditChannel,
  type AuditEvent,
} from '../entities/audit-event.entity.js';
import { Optional } from '../../common/optional.js';

export class ListAuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: AUDIT_ACTION_NAMES, example: 'member.deactivated' })
  @Optional()
  @IsIn(AUDIT_ACTION_NAMES)
  action?: AuditAction;

  @ApiPropertyOptional({ enum: AUDIT_CHANNELS })
  @Optional()
  @IsIn(AUDIT_CHANNELS)
  channel?: AuditChannel;

  @ApiPropertyOptional({ description: 'Only events about this target id' })
  @Optional()
  @IsString()
  @MaxLength(200)
  targetId?: string;
}

const jsonObject = (description: string) =>
  ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description });

/** An audit event (seq, the insertion order, is not shown). */
export class AuditEventDto implements Omit<AuditEvent, 'seq'> {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  workspaceId: string;

  @ApiProperty({ enum: AUDIT_CHANNELS })
  channel: AuditChannel;

  @ApiProperty({ enum: ['user', 'internal', 'system', 'scim', 'idp'] })
  actorType: AuditEvent['actorType'];

  @ApiProperty({ type: String, nullable: true })
  actorId: string | null;

  @ApiProperty({ type: String, nullable: true })
  actorLabel: string | null;

  @ApiProperty({ enum: AUDIT_ACTION_NAMES })
  action: AuditAction;

  @ApiProperty({ type: String, nullable: true })
  targetType: string | null;

  @ApiProperty({ type: String, nullable: true })
  targetId: string | null;

  @jsonObject('The target before the change')
  before: Record<string, unknown> | null;

  @jsonObject('The target after the change')
  after: Record<string, unknown> | null;

  @jsonObject('More about the event')
  details: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true })
  ipAddress: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;
}
