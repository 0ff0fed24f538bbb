import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SessionService } from '../auth/session/session.service.js';
import type { AuditActor } from '../common/actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { escapeLike } from '../common/sql.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { normalizeEmail } from './email.js';
import {
  MemberRole,
  MemberSource,
  MemberStatus,
  Membership,
} from './entities/membership.entity.js';
import { User } from './entities/user.entity.js';
import type { Workspace } from './entities/workspace.entity.js';
import { memberRemovals, type MemberRemovalView } from './member-removal.repository.js';
import { AccountOwnershipService } from './ownership/account-ownership.service.js';
import { lockWorkspace } from './workspace-lock.js';
import { scimOnlyProvisioningError, WorkspaceException } from './workspace.errors.js';

/** A membership with its person, as the admin API shows it. */
export interface MemberView {
  userId: string;
  email: string;
  fullName: string | null;
  role: MemberRole;
  status: MemberStatus;
  source: MemberSource;
  scimManaged: boolean;
  createdAt: Date;
  updatedAt: Date;
  deactivatedAt: Date | null;
}

export interface AddMemberInput {
  email: string;
  fullName?: string;
  password?: string;
  role: MemberRole;
  source: MemberSource;
  actor: AuditActor;
}

export interface MemberFilter {
  status?: MemberStatus;
  role?: MemberRole;
  email?: string;
}

export interface UpdateMemberInput {
  role?: MemberRole;
  status?: MemberStatus;
  fullName?: string | null;
}

export function toMemberView(m: Membership): MemberView {
  return {
    userId: m.userId,
    email: m.user.email,
    fullName: m.user.fullName,
    role: m.role,
    status: m.status,
    source: m.source,
    scimManaged: m.scimManaged,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    deactivatedAt: m.deactivatedAt,
  };
}

interface MemberRow {
  user_id: string;
  email: string;
  full_name: string | null;
  role: MemberRole;
  status: MemberStatus;
  source: MemberSource;
  scim_managed: boolean;
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
}

/** The SQL of a member list page and of its total (exported for the query-plan tests). */
export function memberPageQuery(
  workspaceId: string,
  filter: MemberFilter,
  page: { limit: number; offset: number },
) {
  const conditions = ['m.workspace_id = $1'];
  const values: unknown[] = [workspaceId];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    conditions.push(sql.replace('?', `$${values.length}`));
  };
  if (filter.status) add('m.status = ?', filter.status);
  if (filter.role) add('m.role = ?', filter.role);
  if (filter.email) {
    add(`m.email LIKE ? ESCAPE '\\'`, `%${escapeLike(normalizeEmail(filter.email))}%`);
  }
  const where = conditions.join(' AND ');
  return {
    pageSql: `SELECT m.user_id, m.email, u.full_name, m.role, m.status, m.source, m.scim_managed,
                     m.created_at, m.updated_at, m.deactivated_at
                FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE ${where}
               ORDER BY m.email, m.user_id
               LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
    pageValues: [...values, page.limit, page.offset],
    countSql: `SELECT count(*)::int AS total FROM memberships m WHERE ${where}`,
    values,
  };
}

function memberViewOfRow(row: MemberRow): MemberView {
  return {
    userId: row.user_id,
    email: row.email,
    fullName: row.full_name,
    role: row.role,
    status: row.status,
    source: row.source,
    scimManaged: row.scim_managed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deactivatedAt: row.deactivated_at,
  };
}

/** Why a removal record went away (member.removal_cleared). */
export type RemovalClearedReason = 'added' | 'invite_accepted' | 'scim_provisioned' | 'deleted';

const REASON_BY_SOURCE: Record<MemberSource, RemovalClearedReason> = {
  manual: 'added',
  invite: 'invite_accepted',
  saml: 'added',
  scim: 'scim_provisioned',
};

/** The unique index of a membership's userName (its email unless the IdP named it). */
export const USER_NAME_KEY = 'memberships_user_name_key';

export const userNameTaken = (email: string) =>
  new WorkspaceException(
    'SCIM_USER_NAME_TAKEN',
    `${email} is already the userName the identity provider gave another member of this workspace.`,
  );

function snapshot(m: Pick<Membership, 'role' | 'status'>) {
  return { role: m.role, status: m.status };
}

@Injectable()
export class MemberService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly ownership: AccountOwnershipService,
  ) {}

  /**
   * A page of members ordered by email, and their total. The order and the filters read
   * memberships alone (each carries its person's email, kept by a trigger), so an index serves
   * the page and the count; only the page's rows join their person.
   */
  async list(
    workspaceId: string,
    filter: MemberFilter,
    page: { limit: number; offset: number },
  ): Promise<Page<MemberView>> {
    const query = memberPageQuery(workspaceId, filter, page);
    const [rows, [count]] = await Promise.all([
      this.dataSource.query<MemberRow[]>(query.pageSql, query.pageValues),
      this.dataSource.query<{ total: number }[]>(query.countSql, query.values),
    ]);
    return { items: rows.map(memberViewOfRow), total: count?.total ?? 0, ...page };
  }

  async get(workspaceId: string, userId: string, tx?: EntityManager): Promise<MemberView> {
    return toMemberView(
      await this.findMembership(tx ?? this.dataSource.manager, workspaceId, userId),
    );
  }

  /** Adds a person to a workspace by hand (internal token); refused under SCIM-only. */
  async add(workspaceId: string, input: AddMemberInput): Promise<MemberView> {
    return this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      if (workspace.scimOnlyProvisioning && input.source !== 'scim') {
        throw scimOnlyProvisioningError();
      }
      return this.addInTransaction(tx, workspace, input);
    });
  }

  /**
   * Creates the person if the email is new (else links the existing one) and the membership.
   * A password is set only on a person who has none: joining a workspace never changes it.
   */
  async addInTransaction(
    tx: EntityManager,
    workspace: Workspace,
    input: AddMemberInput,
  ): Promise<MemberView> {
    const user = await this.findOrCreateUser(tx, workspace.id, input);
    const existing = await tx.findOneBy(Membership, {
      workspaceId: workspace.id,
      userId: user.id,
    });
    if (existing) {
      throw new WorkspaceException(
        existing.status === 'active' ? 'ALREADY_A_MEMBER' : 'MEMBER_DEACTIVATED',
        existing.status === 'active'
          ? `${user.email} is already a member of this workspace.`
          : `${user.email} is a deactivated member of this workspace; reactivate them instead.`,
        { userId: user.id },
      );
    }
    try {
      await tx.insert(Membership, {
        workspaceId: workspace.id,
        userId: user.id,
        role: input.role,
        status: 'active',
        source: input.source,
        scimManaged: input.source === 'scim',
      });
    } catch (error) {
      // A member's userName is their email unless the IdP named them: one the IdP gave someone.
      if (isUniqueViolation(error, USER_NAME_KEY)) throw userNameTaken(user.email);
      throw error;
    }
    await this.audit.record(tx, workspace.id, input.actor, {
      action: 'member.added',
      targetType: 'user',
      targetId: user.id,
      after: { email: user.email, role: input.role, status: 'active', source: input.source },
    });
    // Just-in-time sign-in never gets here for a removed person (it refuses them first).
    await this.clearRemoval(tx, workspace.id, user.id, input.actor, REASON_BY_SOURCE[input.source]);
    return this.get(workspace.id, user.id, tx);
  }

  /**
   * Who may call this with an existing account is the caller's rule (the internal token, a
   * verified domain's just-in-time sign-in, the person accepting an invite): it never changes
   * what signs the account in, and names it only when it has no name.
   */
  private async findOrCreateUser(
    tx: EntityManager,
    workspaceId: string,
    input: { email: string; fullName?: string; password?: string },
  ): Promise<User> {
    const email = normalizeEmail(input.email);
    const existing = await tx
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .setLock('pessimistic_write')
      .getOne();
    if (existing) {
      if (input.password !== undefined && existing.passwordHash) {
        throw new WorkspaceException(
          'PASSWORD_ALREADY_SET',
          `${email} already has a Gatehouse account with a password; leave "password" out to add them.`,
        );
      }
      const changes: Partial<User> = {};
      if (input.password !== undefined)
        changes.passwordHash = await this.passwords.hash(input.password);
      if (input.fullName && !existing.fullName) changes.fullName = input.fullName;
      if (Object.keys(changes).length > 0) await tx.update(User, { id: existing.id }, changes);
      return existing;
    }
    const passwordHash =
      input.password !== undefined ? await this.passwords.hash(input.password) : null;
    try {
      return await tx.save(
        tx.create(User, {
          email,
          fullName: input.fullName ?? null,
          passwordHash,
          createdByWorkspaceId: workspaceId,
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) {
        throw new WorkspaceException('EMAIL_TAKEN', `${email} was just added by another request.`);
      }
      throw error;
    }
  }

  async update(
    workspaceId: string,
    userId: string,
    input: UpdateMemberInput,
    actor: AuditActor,
  ): Promise<MemberView> {
    return this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      const membership = await this.findMembership(tx, workspaceId, userId);
      const before = { ...snapshot(membership), fullName: membership.user.fullName };
      if (input.role !== undefined && input.role !== membership.role && membership.scimManaged) {
        throw new WorkspaceException(
          'SCIM_MANAGED',
          'This member is provisioned by SCIM: their role comes from the identity provider (roles or role = "admin", or an admin group).',
        );
      }
      const role = input.role ?? membership.role;
      const status = input.status ?? membership.status;
      const losesAdmin =
        membership.role === 'admin' &&
        membership.status === 'active' &&
        (role !== 'admin' || status !== 'active');
      if (losesAdmin) await this.assertAnotherActiveAdmin(tx, workspaceId, userId);

      if (input.fullName !== undefined && input.fullName !== membership.user.fullName) {
        // The name is the account's, seen by every workspace the person belongs to.
        if (actor.type !== 'internal') {
          this.ownership.assertMayEdit(workspaceId, await this.ownership.facts(tx, userId));
        }
        await tx.update(User, { id: userId }, { fullName: input.fullName });
        await this.ownership.recordAccountChange(
          tx,
          userId,
          { workspaceId, actor },
          { before: { fullName: membership.user.fullName }, after: { fullName: input.fullName } },
        );
      }
      if (status !== membership.status) {
        await this.setStatus(tx, workspaceId, userId, status, actor);
      }
      if (role !== membership.role) {
        await tx.update(Membership, { workspaceId, userId }, { role });
      }
      const after = await this.get(workspaceId, userId, tx);
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.updated',
        targetType: 'user',
        targetId: userId,
        before,
        after: { ...snapshot(after), fullName: after.fullName },
      });
      return after;
    });
  }

  /**
   * Deactivation removes the member from every group of the workspace and ends their sessions
   * there; reactivation restores neither.
   */
  async setStatus(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    status: MemberStatus,
    actor: AuditActor,
  ): Promise<void> {
    if (status === 'deactivated') {
      await tx.update(
        Membership,
        { workspaceId, userId },
        { status, deactivatedAt: () => 'now()' },
      );
      // The groups they leave change too (their SCIM version and lastModified with them).
      await tx.query(
        `WITH left_groups AS (
           DELETE FROM group_members WHERE workspace_id = $1 AND user_id = $2 RETURNING group_id)
         UPDATE groups SET updated_at = now()
          WHERE workspace_id = $1 AND id IN (SELECT group_id FROM left_groups)`,
        [workspaceId, userId],
      );
      // Out of every group, a SCIM-managed member keeps only the admin role the IdP grants them.
      await tx.query(
        `UPDATE memberships SET role = CASE WHEN scim_admin THEN 'admin' ELSE 'member' END
          WHERE workspace_id = $1 AND user_id = $2 AND scim_managed`,
        [workspaceId, userId],
      );
      const revoked = await this.sessions.revokeForMember(tx, workspaceId, userId, 'deactivated');
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.deactivated',
        targetType: 'user',
        targetId: userId,
        details: { sessionsRevoked: revoked },
      });
    } else {
      await tx.update(Membership, { workspaceId, userId }, { status, deactivatedAt: null });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.reactivated',
        targetType: 'user',
        targetId: userId,
      });
    }
  }

  /** Removes the membership entirely: its group memberships and sessions go with it. */
  async remove(workspaceId: string, userId: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      const membership = await this.findMembership(tx, workspaceId, userId);
      if (membership.role === 'admin' && membership.status === 'active') {
        await this.assertAnotherActiveAdmin(tx, workspaceId, userId);
      }
      await tx.delete(Membership, { workspaceId, userId });
      // Removed by hand: just-in-time sign-in must not bring them back (see wasRemoved).
      await memberRemovals.record(tx, workspaceId, userId, actor);
      // No longer here, no longer provisioned from here: another workspace's SCIM may take them.
      await tx.query(
        `UPDATE users SET scim_workspace_id = NULL WHERE id = $1 AND scim_workspace_id = $2`,
        [userId, workspaceId],
      );
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.removed',
        targetType: 'user',
        targetId: userId,
        before: { email: membership.user.email, ...snapshot(membership) },
      });
    });
  }

  /**
   * Whether an admin removed this person from the workspace by hand and nobody has let them back
   * in since: just-in-time sign-in then refuses to re-create them.
   */
  async wasRemoved(workspaceId: string, userId: string): Promise<boolean> {
    return memberRemovals.exists(this.dataSource.manager, workspaceId, userId);
  }

  /** The people admins removed by hand, newest first. */
  async listRemovals(
    workspaceId: string,
    filter: { email?: string },
    page: { limit: number; offset: number },
  ): Promise<Page<MemberRemovalView>> {
    const email = filter.email ? normalizeEmail(filter.email) : undefined;
    return memberRemovals.list(this.dataSource.manager, workspaceId, { email }, page);
  }

  /** An admin lets a removed person back in through just-in-time sign-in. */
  async deleteRemoval(workspaceId: string, userId: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const cleared =
        isUuid(userId) &&
        (await this.clearRemoval(tx, workspaceId, userId.toLowerCase(), actor, 'deleted'));
      if (!cleared) {
        throw new WorkspaceException(
          'MEMBER_REMOVAL_NOT_FOUND',
          'No removal of this person is recorded in this workspace.',
        );
      }
    });
  }

  /** Forgets a removal (the person is a member again, or an admin deleted it), audited. */
  async clearRemoval(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    actor: AuditActor,
    reason: RemovalClearedReason,
  ): Promise<boolean> {
    if (!(await memberRemovals.clear(tx, workspaceId, userId))) return false;
    await this.audit.record(tx, workspaceId, actor, {
      action: 'member.removal_cleared',
      targetType: 'user',
      targetId: userId,
      details: { reason },
    });
    return true;
  }

  async revokeSessions(workspaceId: string, userId: string, actor: AuditActor): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      await this.findMembership(tx, workspaceId, userId);
      const revoked = await this.sessions.revokeForMember(tx, workspaceId, userId, 'admin');
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.sessions_revoked',
        targetType: 'user',
        targetId: userId,
        details: { sessionsRevoked: revoked },
      });
      return revoked;
    });
  }

  async revokeAllSessions(workspaceId: string, actor: AuditActor): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const revoked = await this.sessions.revokeForWorkspace(tx, workspaceId, 'admin');
      await this.audit.record(tx, workspaceId, actor, {
        action: 'workspace.sessions_revoked',
        targetType: 'workspace',
        targetId: workspaceId,
        details: { sessionsRevoked: revoked },
      });
      return revoked;
    });
  }

  /** The membership with its person; 404 for ids of other workspaces or malformed ids. */
  async findMembership(tx: EntityManager, workspaceId: string, userId: string) {
    const membership = isUuid(userId)
      ? await tx.findOne(Membership, { where: { workspaceId, userId }, relations: { user: true } })
      : null;
    if (!membership) {
      throw new WorkspaceException('MEMBER_NOT_FOUND', 'No such member in this workspace.');
    }
    return membership;
  }

  private async assertAnotherActiveAdmin(tx: EntityManager, workspaceId: string, userId: string) {
    const others = await tx
      .getRepository(Membership)
      .createQueryBuilder('m')
      .where('m.workspace_id = :workspaceId', { workspaceId })
      .andWhere(`m.role = 'admin' AND m.status = 'active' AND m.user_id <> :userId`, { userId })
      .getCount();
    if (others === 0) {
      throw new WorkspaceException(
        'LAST_ADMIN',
        'A workspace must keep at least one active admin: promote another member first.',
      );
    }
  }
}
