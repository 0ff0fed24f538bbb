import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

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
