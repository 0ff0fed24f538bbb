import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/paging.js';
import { Optional } from '../common/optional.js';

export class ListOutboxQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only mails to this address', example: 'ada@example.com' })
  @Optional()
  @IsString()
  @MaxLength(254)
  to?: string;
}
