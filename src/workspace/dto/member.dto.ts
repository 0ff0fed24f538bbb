import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../../common/paging.js';
import {
  MEMBER_ROLES,
  MEMBER_SOURCES,
  MEMBER_STATUSES,
  type MemberRole,
  type MemberSource,
  type MemberStatus,
} from '../entities/membership.entity.js';
import type { MemberView } from '../repositories/membership.repository.js';
import { PersonInput } from './workspace.dto.js';
import { Optional } from '../../common/optional.js';

export class AddMemberDto extends PersonInput {
  @ApiPropertyOptional({ enum: MEMBER_ROLES, default: 'member' })
  @Optional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;
}

export class UpdateMemberDto {
  @ApiPropertyOptional({ enum: MEMBER_ROLES })
  @Optional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;

  @ApiPropertyOptional({ enum: MEMBER_STATUSES })
  @Optional()
  @IsIn(MEMBER_STATUSES)
  status?: MemberStatus;

  @ApiPropertyOptional({ nullable: true })
  @Optional({ nullable: true })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string | null;
}

export class ListMembersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: MEMBER_STATUSES })
  @Optional()
  @IsIn(MEMBER_STATUSES)
  status?: MemberStatus;

  @ApiPropertyOptional({ enum: MEMBER_ROLES })
  @Optional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;

  @ApiPropertyOptional({ description: 'Part of the email, case-insensitive' })
  @Optional()
  @IsString()
  @MaxLength(254)
  email?: string;
}

export class ListMemberRemovalsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of the email, case-insensitive' })
  @Optional()
  @IsString()
  @MaxLength(254)
  email?: string;
}

export class MemberRemovalActorDto {
  @ApiProperty({ enum: ['admin', 'internal'], description: 'The channel of the removal.' })
  channel: string;

  @ApiProperty({ enum: ['user', 'internal'] })
  type: string;

  @ApiProperty({ nullable: true, type: String, description: "The admin's user id." })
  id: string | null;

  @ApiProperty({ nullable: true, type: String, description: "The admin's email, or the token." })
  label: string | null;
}

export class MemberRemovalDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty({ description: "The person's current email." })
  email: string;

  @ApiProperty({ nullable: true, type: String })
  fullName: string | null;

  @ApiProperty({ format: 'date-time' })
  removedAt: Date;

  @ApiProperty({ type: MemberRemovalActorDto })
  removedBy: MemberRemovalActorDto;
}

export class MemberRemovalPageDto {
  @ApiProperty({ type: [MemberRemovalDto] })
  items: MemberRemovalDto[];

  @ApiProperty({ type: 'integer' })
  total: number;

  @ApiProperty({ type: 'integer' })
  limit: number;

  @ApiProperty({ type: 'integer' })
  offset: number;
}

/** A member as the admin API shows it. */
export class MemberDto implements MemberView {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty()
  email: string;

  @ApiProperty({ nullable: true, type: String })
  fullName: string | null;

  @ApiProperty({ enum: MEMBER_ROLES })
  role: MemberRole;

  @ApiProperty({ enum: MEMBER_STATUSES })
  status: MemberStatus;

  @ApiProperty({ enum: MEMBER_SOURCES, description: 'How the member came in' })
  source: MemberSource;

  @ApiProperty({ description: 'Provisioned by SCIM: its identity provider owns the profile' })
  scimManaged: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time' })
  updatedAt: Date;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  deactivatedAt: Date | null;
}
