import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A workspace's own OpenID provider, for the generic OpenID Connect sign-in method: at most one
 * per workspace. The client secret is kept sealed (SecretBox) and never shown again.
 */
@Entity({ name: 'oidc_configurations' })
export class OidcConfiguration {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ type: 'text' })
  issuer: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId: string;

  @Column({ name: 'client_secret_sealed', type: 'text', select: false })
  clientSecretSealed: string;

  /** Bumped by every change: instances discover the provider again when it moves. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
