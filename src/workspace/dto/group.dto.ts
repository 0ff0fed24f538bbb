import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
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

const ADMIN_ROLE_DESCRIPTION =
  'Members of the group that the identity provider manages (SCIM) are admins of the workspace while they are in it; the role of members managed by hand is set by hand.';

export class UpdateGroupDto {
  @ApiPropertyOptional({
    example: 'Engineering',
    minLength: 1,
    maxLength: GROUP_NAME_MAX_LENGTH,
    description:
      'Trimmed; unique in the workspace, case-insensitive. Required unless adminRole is given. Refused on a group managed by SCIM (409 SCIM_MANAGED) and while the workspace uses only SCIM for provisioning (409 SCIM_ONLY_PROVISIONING).',
  })
  @ValidateIf(
    (body: UpdateGroupDto) => body.displayName !== undefined || body.adminRole === undefined,
  )
  @Transform(trimmed)
  @IsString()
  @MinLength(1)
  @MaxLength(GROUP_NAME_MAX_LENGTH)
  displayName?: string;

  @ApiPropertyOptional({
    type: Boolean,
    description: `${ADMIN_ROLE_DESCRIPTION} Allowed on groups managed by SCIM and under SCIM-only provisioning, since identity providers such as Okta cannot send it; a later SCIM write of the group does not clear it. Turning it off is refused with 409 LAST_ADMIN when it would leave the workspace without an active admin, and with 409 SCIM_MANAGED when the identity provider set it (Gatehouse group extension). Members' roles are recomputed at once.`,
  })
  @Optional()
  @IsBoolean()
  adminRole?: boolean;
}

/** A group as the admin API answers it. */
export class GroupDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  displayName: string;

  @ApiProperty({
    description: 'Pushed by the identity provider (SCIM): read-only here but for adminRole.',
  })
  scimManaged: boolean;

  @ApiProperty({ description: ADMIN_ROLE_DESCRIPTION })
  adminRole: boolean;

  @ApiProperty({
    enum: ['admin', 'scim'],
    nullable: true,
    type: String,
    description:
      'Who gave the group the admin role: an admin in Gatehouse (kept whatever the identity provider pushes) or the identity provider (Gatehouse group extension). Null without the role.',
  })
  adminRoleSetBy: 'admin' | 'scim' | null;

  @ApiProperty({ type: 'integer' })
  memberCount: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time' })
  updatedAt: Date;
}

export class GroupPageDto {
  @ApiProperty({ type: [GroupDto] })
  items: GroupDto[];

  @ApiProperty({ type: 'integer' })
  total: number;

  @ApiProperty({ type: 'integer' })
  limit: number;

  @ApiProperty({ type: 'integer' })
  offset: number;
}

export class ListGroupsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of the display name, case-insensitive' })
  @Optional()
  @IsString()
  @MaxLength(GROUP_NAME_MAX_LENGTH)
  displayName?: string;
}
