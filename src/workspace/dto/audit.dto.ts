import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import { AUDIT_CHANNELS, type AuditChannel } from '../entities/audit-event.entity.js';
import { Optional } from '../../common/optional.js';

export class ListAuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'member.deactivated' })
  @Optional()
  @IsString()
  @MaxLength(100)
  action?: string;

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
