import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import { AUDIT_ACTION_NAMES, type AuditAction } from '../audit-actions.js';
import { AUDIT_CHANNELS, type AuditChannel } from '../entities/audit-event.entity.js';
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
