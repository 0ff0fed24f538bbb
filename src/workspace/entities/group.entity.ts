import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@Entity({ name: 'groups' })
export class Group {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName: string;

  @Column({ name: 'scim_managed', type: 'boolean', default: false })
  scimManaged: boolean;

  @Column({ name: 'scim_external_id', type: 'text', nullable: true })
  scimExternalId: string | null;

  /** Members of this group are admins while they are in it (Gatehouse group extension role). */
  @Column({ name: 'admin_role', type: 'boolean', default: false })
  adminRole: boolean;

  /** The admin role was set in Gatehouse by an admin: an IdP write never clears it. */
  @Column({ name: 'admin_role_by_admin', type: 'boolean', default: false })
  adminRoleByAdmin: boolean;

  /** Bumped by every write of the row (its repository's one UPDATE): SCIM's ETag. */
  @Column({ type: 'bigint', default: 1, select: false, insert: false, update: false })
  version: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Membership of a user in a group; only active members of the group's workspace. */
@Entity({ name: 'group_members' })
export class GroupMember {
  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ name: 'group_id', type: 'uuid', primary: true })
  groupId: string;

  @Column({ name: 'user_id', type: 'uuid', primary: true })
  userId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
