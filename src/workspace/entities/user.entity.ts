import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A person, identified by email (stored lower-cased, unique across Gatehouse). */
@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ name: 'full_name', type: 'text', nullable: true })
  fullName: string | null;

  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false })
  passwordHash: string | null;

  /** The one workspace whose SCIM connection manages this person, if any. */
  @Column({ name: 'scim_workspace_id', type: 'uuid', nullable: true })
  scimWorkspaceId: string | null;

  /** The workspace that created the account (see docs/security.md: who owns an account). */
  @Column({ name: 'created_by_workspace_id', type: 'uuid', nullable: true })
  createdByWorkspaceId: string | null;

  /** Bumped by every write of the row (its repository's one UPDATE): SCIM's ETag. */
  @Column({ type: 'bigint', default: 1, select: false, insert: false, update: false })
  version: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
