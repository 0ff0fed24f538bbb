import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import { AUDIT_CHANNELS, type AuditChannel } from '../entities/audit-event.entity.js';

export class ListAuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'member.deactivated' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ enum: AUDIT_CHANNELS })
  @IsOptional()
  @IsIn(AUDIT_CHANNELS)
  channel?: AuditChannel;

  @ApiPropertyOptional({ description: 'Only events about this target id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  targetId?: string;
}
