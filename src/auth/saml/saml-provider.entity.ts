import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export type SamlBinding = 'HTTP-Redirect' | 'HTTP-POST';

/** A SAML identity provider of a workspace, and our SP key pair for it. */
@Entity({ name: 'saml_providers' })
export class SamlProvider {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ type: 'text' })
  name: string;

  /** Random, URL-safe; names the provider in its ACS, login and metadata URLs. */
  @Column({ name: 'provider_token', type: 'text' })
  providerToken: string;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'idp_entity_id', type: 'text' })
  idpEntityId: string;

  @Column({ name: 'idp_sso_url', type: 'text' })
  idpSsoUrl: string;

  @Column({ name: 'idp_sso_binding', type: 'text', default: 'HTTP-Redirect' })
  idpSsoBinding: SamlBinding;

  /** PEM certificates whose keys may sign responses (several during a rollover). */
  @Column({ name: 'idp_certificates', type: 'jsonb' })
  idpCertificates: string[];

  @Column({ name: 'allow_idp_initiated', type: 'boolean', default: true })
  allowIdpInitiated: boolean;

  @Column({ name: 'sign_authn_requests', type: 'boolean', default: false })
  signAuthnRequests: boolean;

  @Column({ name: 'want_encrypted_assertions', type: 'boolean', default: false })
  wantEncryptedAssertions: boolean;

  /** Our private key for this provider, sealed with SECRET_KEY. */
  @Column({ name: 'sp_private_key_sealed', type: 'text', select: false })
  spPrivateKeySealed: string;

  @Column({ name: 'sp_certificate', type: 'text' })
  spCertificate: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
