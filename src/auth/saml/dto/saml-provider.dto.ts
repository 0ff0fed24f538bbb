import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsString,
  IsUrl,
  MaxLength,
  MinLength,
} from 'class-validator';
import { Optional } from '../../../common/optional.js';
import type { SamlBinding } from '../saml-provider.entity.js';
import type { SamlProviderView } from '../saml-provider.service.js';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class SamlProviderFieldsDto {
  @ApiPropertyOptional({ example: 'https://idp.example.com/entity' })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  idpEntityId?: string;

  @ApiPropertyOptional({ example: 'https://idp.example.com/sso/saml' })
  @Optional()
  @IsUrl(URL_OPTIONS, { message: 'idpSsoUrl must be an http(s) URL' })
  @MaxLength(2048)
  idpSsoUrl?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'PEM certificates of the IdP signing keys (several during a rollover)',
  })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @IsString({ each: true })
  @MaxLength(16_384, { each: true })
  idpCertificates?: string[];

  @ApiPropertyOptional({ description: 'IdP metadata XML, instead of the three fields above' })
  @Optional()
  @IsString()
  @MaxLength(1_000_000)
  metadataXml?: string;

  @ApiPropertyOptional({ default: true })
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    default: true,
    description: 'Accept unsolicited (IdP-initiated) responses',
  })
  @Optional()
  @IsBoolean()
  allowIdpInitiated?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Sign our AuthnRequests' })
  @Optional()
  @IsBoolean()
  signAuthnRequests?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Ask the IdP to encrypt assertions' })
  @Optional()
  @IsBoolean()
  wantEncryptedAssertions?: boolean;
}

export class CreateSamlProviderDto extends SamlProviderFieldsDto {
  @ApiProperty({ example: 'Okta' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export class UpdateSamlProviderDto extends SamlProviderFieldsDto {
  @ApiPropertyOptional({ example: 'Okta (production)' })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;
}

export class SamlCertificateDto {
  @ApiProperty()
  subject: string;

  @ApiProperty({ format: 'date-time' })
  notBefore: string;

  @ApiProperty({ format: 'date-time' })
  notAfter: string;

  @ApiProperty()
  expired: boolean;

  @ApiProperty()
  fingerprintSha256: string;

  @ApiProperty({ description: 'The certificate, PEM' })
  pem: string;
}

/** A SAML provider of the workspace, with what to give its identity provider. */
export class SamlProviderDto implements SamlProviderView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty()
  idpEntityId: string;

  @ApiProperty()
  idpSsoUrl: string;

  @ApiProperty({ enum: ['HTTP-Redirect', 'HTTP-POST'] })
  idpSsoBinding: SamlBinding;

  @ApiProperty({ type: [SamlCertificateDto] })
  idpCertificates: SamlCertificateDto[];

  @ApiProperty()
  allowIdpInitiated: boolean;

  @ApiProperty()
  signAuthnRequests: boolean;

  @ApiProperty()
  wantEncryptedAssertions: boolean;

  @ApiProperty({ description: "The path segment of this provider's sign-in URLs" })
  providerToken: string;

  @ApiProperty({ description: 'Assertion Consumer Service URL, for the identity provider' })
  acsUrl: string;

  @ApiProperty({ description: 'Our entity ID, for the identity provider' })
  spEntityId: string;

  @ApiProperty()
  spMetadataUrl: string;

  @ApiProperty({ description: 'Where a member starts signing in' })
  loginUrl: string;

  @ApiProperty({ description: 'Our signing and decryption certificate, PEM' })
  spCertificate: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ format: 'date-time' })
  updatedAt: Date;
}

export class SamlProviderListDto {
  @ApiProperty({ type: [SamlProviderDto] })
  items: SamlProviderDto[];

  @ApiProperty({ type: 'integer' })
  total: number;
}
