import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditAction } from '../audit-actions.js';

export const AUDIT_CHANNELS = ['admin', 'scim', 'saml', 'internal', 'auth'] as const;
export type AuditChannel = (typeof AUDIT_CHANNELS)[number];

@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Insertion order, for newest-first listing that is stable within one timestamp. */
  @Column({ type: 'bigint', insert: false, update: false, select: false })
  seq: string;

  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ type: 'text' })
  channel: AuditChannel;

  @Column({ name: 'actor_type', type: 'text' })
  actorType: 'user' | 'internal' | 'system' | 'scim' | 'idp';

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId: string | null;

  @Column({ name: 'actor_label', type: 'text', nullable: true })
  actorLabel: string | null;

  @Column({ type: 'text' })
  action: AuditAction;

  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  before: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
