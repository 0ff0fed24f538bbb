import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../common/password-hasher.js';
import { MEMBER_ROLES, type MemberRole } from '../entities/membership.entity.js';
import { Optional } from '../../common/optional.js';
import type { AcceptedInvite, InvitePreview, InviteStatus, InviteView } from '../invite.service.js';
import { MemberDto } from './member.dto.js';

export class CreateInviteDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ enum: MEMBER_ROLES, default: 'member' })
  @Optional()
  @IsIn(MEMBER_ROLES)
  role?: MemberRole;
}

export class AcceptInviteDto {
  @ApiPropertyOptional({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description: 'Sets the password of a new account; leave out for an existing account.',
  })
  @Optional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string;
}

const INVITE_STATUSES: InviteStatus[] = ['pending', 'accepted', 'expired'];

export class InviteDto implements InviteView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  email: string;

  @ApiProperty({ enum: MEMBER_ROLES })
  role: MemberRole;

  @ApiProperty({ enum: INVITE_STATUSES })
  status: InviteStatus;

  @ApiProperty({ format: 'date-time' })
  expiresAt: Date;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  acceptedAt: Date | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  acceptedByUserId: string | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  createdByUserId: string | null;
}

export class InviteWorkspaceDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  slug: string;

  @ApiProperty()
  name: string;
}

/** What the invitee sees before accepting. */
export class InvitePreviewDto implements InvitePreview {
  @ApiProperty({ type: InviteWorkspaceDto })
  workspace: InviteWorkspaceDto;

  @ApiProperty()
  email: string;

  @ApiProperty({ enum: MEMBER_ROLES })
  role: MemberRole;

  @ApiProperty({ format: 'date-time' })
  expiresAt: Date;

  @ApiProperty({ enum: INVITE_STATUSES })
  status: InviteStatus;
}

export class AcceptedInviteDto implements AcceptedInvite {
  @ApiProperty({ type: InviteWorkspaceDto })
  workspace: InviteWorkspaceDto;

  @ApiProperty({ type: MemberDto })
  member: MemberDto;
}
