import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import {
  MEMBER_ROLES,
  MEMBER_STATUSES,
  type MemberRole,
  type MemberStatus,
} from '../entities/membership.entity.js';
import { PersonInput } from './workspace.dto.js';

export class AddMemberDto extends PersonInput {
  @ApiPropertyOptional({ enum: MEMBER_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;
}

export class UpdateMemberDto {
  @ApiPropertyOptional({ enum: MEMBER_ROLES })
  @IsOptional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;

  @ApiPropertyOptional({ enum: MEMBER_STATUSES })
  @IsOptional()
  @IsIn(MEMBER_STATUSES)
  status?: MemberStatus;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string | null;
}

export class ListMembersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: MEMBER_STATUSES })
  @IsOptional()
  @IsIn(MEMBER_STATUSES)
  status?: MemberStatus;

  @ApiPropertyOptional({ enum: MEMBER_ROLES })
  @IsOptional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;

  @ApiPropertyOptional({ description: 'Part of the email, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
}
