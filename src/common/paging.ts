import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { Optional } from './optional.js';

export const MAX_PAGE_SIZE = 200;
/** Deeper than any list Gatehouse keeps; an offset beyond it is a mistake or an attack. */
export const MAX_OFFSET = 10_000_000;

/** Decimal digits only: Number() would also take "0x10", "1e3" or " 7 ". NaN fails @IsInt. */
function queryInteger({ value }: { value: unknown }): number | undefined {
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
}

export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })
  @Optional()
  @Transform(queryInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @Optional()
  @Transform(queryInteger)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function pageOf(query: PageQuery): { limit: number; offset: number } {
  return { limit: query.limit ?? 50, offset: query.offset ?? 0 };
}
