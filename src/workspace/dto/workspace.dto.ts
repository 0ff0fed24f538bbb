import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../common/password-hasher.js';
import { Optional } from '../../common/optional.js';
import type { SettingsWarning } from '../workspace.service.js';
import {
  SIGN_IN_METHOD_TABLE,
  SIGN_IN_METHODS,
  signInMethodLabel,
  type SignInMethods,
} from '../sign-in-methods.js';

export const SLUG_PATTERN = /^(?![0-9a-f]{8}-[0-9a-f]{4}-)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MIN_SESSION_SECONDS = 300;
export const MAX_SESSION_SECONDS = 365 * 24 * 3600;

export class PersonInput {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string;

  @ApiPropertyOptional({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @Optional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password?: string;
}

export class CreateWorkspaceDto {
  @ApiProperty({ example: 'Acme Corp' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({
    example: 'acme',
    description: 'Lower-case letters, digits and dashes; derived from the name when left out.',
  })
  @Optional()
  @IsString()
  @Matches(SLUG_PATTERN, {
    message: 'slug must be 1-63 lower-case letters, digits or dashes and not look like an id',
  })
  slug?: string;

  @ApiPropertyOptional({ type: PersonInput })
  @Optional()
  @ValidateNested()
  @Type(() => PersonInput)
  firstAdmin?: PersonInput;
}

/**
 * One optional boolean per method of SIGN_IN_METHOD_TABLE (validation and OpenAPI), decorated
 * below from the table. Its fields are declared by the interface of the same name, so that a
 * property typed SignInMethodsDto names this class in its metadata (`design:type`): the
 * validation pipe reads it to refuse an array where one object is expected.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- fields come from the table
export interface SignInMethodsDto extends Partial<SignInMethods> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class SignInMethodsDto {}
for (const method of SIGN_IN_METHODS) {
  const decorate = [
    ApiPropertyOptional({
      type: Boolean,
      description: `${signInMethodLabel(method)} sign-in (default ${SIGN_IN_METHOD_TABLE[method].enabledByDefault ? 'on' : 'off'})`,
    }),
    Optional(),
    IsBoolean(),
  ];
  for (const decorator of decorate) decorator(SignInMethodsDto.prototype, method);
}

export class UpdateSettingsDto {
  @ApiPropertyOptional({ type: SignInMethodsDto })
  @Optional()
  @ValidateNested()
  @Type(() => SignInMethodsDto)
  signInMethods?: SignInMethodsDto;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: MIN_SESSION_SECONDS,
    maximum: MAX_SESSION_SECONDS,
  })
  @Optional()
  @IsInt()
  @Min(MIN_SESSION_SECONDS)
  @Max(MAX_SESSION_SECONDS)
  sessionLifetimeSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: MIN_SESSION_SECONDS,
    maximum: MAX_SESSION_SECONDS,
    description: 'null turns the idle timeout off',
  })
  @Optional({ nullable: true })
  @IsInt()
  @Min(MIN_SESSION_SECONDS)
  @Max(MAX_SESSION_SECONDS)
  sessionIdleTimeoutSeconds?: number | null;

  @ApiPropertyOptional({ description: 'Use only SCIM for provisioning' })
  @Optional()
  @IsBoolean()
  scimOnlyProvisioning?: boolean;
}

/** `?force=true`: the literal words only (a bare `?force` or `?force=1` is a validation error). */
function queryBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

export class ForceQuery {
  @ApiPropertyOptional({
    description:
      'Internal API token only: apply a change of sign-in methods or SAML providers that leaves no usable sign-in method (audited as forced).',
  })
  @Optional()
  @Transform(queryBoolean)
  @IsBoolean()
  force?: boolean;
}

export class WorkspaceSettingsDto {
  @ApiProperty({ type: SignInMethodsDto, description: 'Each sign-in method, on or off' })
  signInMethods: SignInMethods;

  @ApiProperty({ type: 'integer' })
  sessionLifetimeSeconds: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no idle timeout' })
  sessionIdleTimeoutSeconds: number | null;

  @ApiProperty()
  scimOnlyProvisioning: boolean;
}

export class SettingsWarningDto {
  @ApiProperty({ example: 'NO_ACTIVE_ADMIN' })
  code: SettingsWarning['code'];

  @ApiProperty()
  message: string;
}

/** A workspace as the admin API shows it; a single workspace also lists its warnings. */
export class WorkspaceDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'acme' })
  slug: string;

  @ApiProperty({ example: 'Acme Corp' })
  name: string;

  @ApiProperty({ type: WorkspaceSettingsDto })
  settings: WorkspaceSettingsDto;

  @ApiPropertyOptional({
    type: [SettingsWarningDto],
    description: 'Settings that lock someone out or do nothing (on a single workspace)',
  })
  warnings?: SettingsWarningDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time' })
  updatedAt: Date;
}
