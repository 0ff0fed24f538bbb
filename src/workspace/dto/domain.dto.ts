import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { Optional } from '../../common/optional.js';
import type { DomainView } from '../domain.service.js';
import type { ClaimedDomainStatus } from '../entities/claimed-domain.entity.js';

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

export class DomainVerificationDto {
  @ApiProperty({ enum: ['TXT'] })
  type: 'TXT';

  @ApiProperty({ description: 'The DNS name of the TXT record' })
  name: string;

  @ApiProperty({ description: 'The TXT value to publish' })
  value: string;
}

/** A domain the workspace claimed, and how to verify it. */
export class DomainDto implements DomainView {
  @ApiProperty({ example: 'acme.com' })
  domain: string;

  @ApiProperty({ enum: ['pending', 'verified'] })
  status: ClaimedDomainStatus;

  @ApiProperty({ type: DomainVerificationDto })
  verification: DomainVerificationDto;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  verifiedAt: Date | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastCheckedAt: Date | null;
}
