import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../common/password-hasher.js';
import { MEMBER_ROLES, type MemberRole } from '../entities/membership.entity.js';
import { Optional } from '../../common/optional.js';

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
