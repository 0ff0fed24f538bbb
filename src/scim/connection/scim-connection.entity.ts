import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const SCIM_PROVIDERS = ['okta', 'azure', 'generic'] as const;
export type ScimProvider = (typeof SCIM_PROVIDERS)[number];

/** The one SCIM connection of a workspace: its bearer token (digest) and what we saw of it. */
@Entity({ name: 'scim_connections' })
export class ScimConnection {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ type: 'text' })
  provider: ScimProvider;

  @Column({ name: 'token_hash', type: 'text', select: false })
  tokenHash: string;

  @Column({ name: 'previous_token_hash', type: 'text', nullable: true, select: false })
  previousTokenHash: string | null;

  @Column({ name: 'previous_token_expires_at', type: 'timestamptz', nullable: true })
  previousTokenExpiresAt: Date | null;

  /** Requests that came from Entra without ?aadOptscim062020 (capitalised ops, string booleans). */
  @Column({ name: 'entra_legacy_requests', type: 'integer', default: 0 })
  entraLegacyRequests: number;

  @Column({ name: 'entra_legacy_last_seen_at', type: 'timestamptz', nullable: true })
  entraLegacyLastSeenAt: Date | null;

  @Column({ name: 'last_request_at', type: 'timestamptz', nullable: true })
  lastRequestAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
