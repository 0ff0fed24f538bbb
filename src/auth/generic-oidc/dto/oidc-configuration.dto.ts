import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { OidcConfigurationView } from '../oidc-configuration.service.js';

export class PutOidcConfigurationDto {
  @ApiProperty({
    example: 'https://idp.example.com',
    description:
      'The issuer identifier: https, no query or fragment; its /.well-known/openid-configuration is read when saved and at sign-in.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  issuer: string;

  @ApiProperty({ example: 'gatehouse' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  clientId: string;

  @ApiProperty({ description: 'Kept sealed; never shown again.', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  clientSecret: string;
}

/** The workspace's OpenID provider; the client secret is write-only. */
export class OidcConfigurationDto implements OidcConfigurationView {
  @ApiProperty({ example: 'https://idp.example.com' })
  issuer: string;

  @ApiProperty()
  clientId: string;

  @ApiProperty({ enum: [true], description: 'A secret is kept; it is never shown' })
  clientSecretSet: true;

  @ApiProperty({ description: 'What to register at the provider as the redirect URI' })
  redirectUri: string;

  @ApiProperty({ description: 'Where a member starts signing in' })
  loginUrl: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time' })
  updatedAt: Date;
}
