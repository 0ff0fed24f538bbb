import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import { Optional } from '../../common/optional.js';

export const GROUP_NAME_MAX_LENGTH = 200;
export const GROUP_MEMBER_IDS_MAX = 1000;

const trimmed = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

export class CreateGroupDto {
  @ApiProperty({
    example: 'Engineering',
    minLength: 1,
    maxLength: GROUP_NAME_MAX_LENGTH,
    description: 'Trimmed; unique in the workspace, case-insensitive.',
  })
  @Transform(trimmed)
  @IsString()
  @MinLength(1)
  @MaxLength(GROUP_NAME_MAX_LENGTH)
  displayName: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: GROUP_MEMBER_IDS_MAX,
    description:
      'User ids of active members of this workspace to put in the group. If any is unknown or deactivated, nothing is created.',
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(GROUP_MEMBER_IDS_MAX)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  memberIds?: string[];
}

export class UpdateGroupDto {
  @ApiProperty({
    example: 'Engineering',
    minLength: 1,
    maxLength: GROUP_NAME_MAX_LENGTH,
    description: 'Trimmed; unique in the workspace, case-insensitive.',
  })
  @Transform(trimmed)
  @IsString()
  @MinLength(1)
  @MaxLength(GROUP_NAME_MAX_LENGTH)
  displayName: string;
}

export class ListGroupsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of the display name, case-insensitive' })
  @Optional()
  @IsString()
  @MaxLength(GROUP_NAME_MAX_LENGTH)
  displayName?: string;
}
