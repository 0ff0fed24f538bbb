import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { Optional } from '../../common/optional.js';

/** `GET <method>/login?workspace=...&redirect=...` of every OpenID Connect method. */
export class OidcLoginQuery {
  @ApiProperty({ description: 'Workspace slug or id', example: 'acme' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  workspace: string;

  @ApiPropertyOptional({
    description:
      'Where to go after signing in: a path or URL on the frontend (anything else goes to its home).',
    example: '/settings',
  })
  @Optional()
  @IsString()
  @MaxLength(2048)
  redirect?: string;
}
