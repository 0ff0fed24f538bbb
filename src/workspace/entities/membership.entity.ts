import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Relation } from 'typeorm';
import { SIGN_IN_METHODS, type SignInMethod } from '../sign-in-methods.js';
import { User } from './user.entity.js';

export const MEMBER_ROLES = ['admin', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
export const MEMBER_STATUSES = ['active', 'deactivated'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
/** The sign-in methods that create a member just in time: every one but the password. */
export type JustInTimeMethod = Exclude<SignInMethod, 'password'>;
export const JUST_IN_TIME_METHODS = SIGN_IN_METHODS.filter(
  (method): method is JustInTimeMethod => method !== 'password',
);
/** How a member came in: by hand, an invite, SCIM, or just in time by a sign-in method. */
export const MEMBER_SOURCES = ['manual', 'invite', 'scim', ...JUST_IN_TIME_METHODS] as const;
export type MemberSource = 'manual' | 'invite' | 'scim' | JustInTimeMethod;

/** Joins a user to a workspace with a role and a status. */
@Entity({ name: 'memberships' })
export class Membership {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { eager: false })
  @JoinColumn({ name: 'user_id' })
  user: Relation<User>;

  @Column({ type: 'text' })
  role: MemberRole;

  @Column({ type: 'text' })
  status: MemberStatus;

  @Column({ type: 'text' })
  source: MemberSource;

  @Column({ name: 'scim_managed', type: 'boolean', default: false })
  scimManaged: boolean;

  /** SCIM userName (may differ from the email, e.g. an Entra UPN); null until SCIM sets it. */
  @Column({ name: 'scim_user_name', type: 'text', nullable: true })
  scimUserName: string | null;

  @Column({ name: 'scim_external_id', type: 'text', nullable: true })
  scimExternalId: string | null;

  /** The SCIM attributes Gatehouse keeps as the IdP sent them (name, emails, enterprise...). */
  @Column({ name: 'scim_data', type: 'jsonb', nullable: true })
  scimData: object | null;

  /** The IdP's own admin grant (roles/role = "admin"); admin groups add to it. */
  @Column({ name: 'scim_admin', type: 'boolean', default: false })
  scimAdmin: boolean;

  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null;

  /** Bumped by every write of the row (its repository's one UPDATE): SCIM's ETag. */
  @Column({ type: 'bigint', default: 1, select: false, insert: false, update: false })
  version: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
