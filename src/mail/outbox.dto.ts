import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/paging.js';

export class ListOutboxQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only mails to this address', example: 'ada@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  to?: string;
}
