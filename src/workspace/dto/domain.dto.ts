import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { Optional } from '../../common/optional.js';

export class AddDomainDto {
  @ApiProperty({
    example: 'acme.com',
    description:
      'A domain name (IDN accepted, stored in punycode); no scheme, path, port or wildcard.',
  })
  @IsString()
  @MaxLength(1024)
  domain: string;
}

export class VerifyDomainDto {
  @ApiPropertyOptional({
    description: 'Mark the domain verified without a DNS check (internal API token only).',
  })
  @Optional()
  @IsBoolean()
  force?: boolean;
}
