import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SessionService } from './sessions/session.service.js';
import type { AuditActor } from './actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { normalizeEmail } from './email.js';
import type { MemberRole, MemberSource, MemberStatus } from './entities/membership.entity.js';
import type { Workspace } from './entities/workspace.entity.js';
import { memberRemovals, type MemberRemovalView } from './member-removal.repository.js';
import { AccountOwnershipService } from './ownership/account-ownership.service.js';
import { GroupMemberRepository } from './repositories/group-member.repository.js';
import { GroupRepository } from './repositories/group.repository.js';
import {
  type MemberFilter,
  type MembershipRecord,
  MembershipRepository,
  type MemberView,
  ROLE_GRANTED_BY_IDP,
} from './repositories/membership.repository.js';
import { type AccountChanges, UserRepository } from './repositories/user.repository.js';
import { lockWorkspace } from './workspace-lock.js';
import { scimOnlyProvisioningError, WorkspaceException } from './workspace.errors.js';

export type { MemberFilter, MemberView };

export interface AddMemberInput {
  email: string;
  fullName?: string;
  password?: string;
  role: MemberRole;
  source: MemberSource;
  actor: AuditActor;
}

export interface UpdateMemberInput {
  role?: MemberRole;
  status?: MemberStatus;
  fullName?: string | null;
}

/** What the admin API shows of a membership (a record carries SCIM's part too). */
export function toMemberView(m: MemberView): MemberView {
  return {
    userId: m.userId,
    email: m.email,
    fullName: m.fullName,
    role: m.role,
    status: m.status,
    source: m.source,
    scimManaged: m.scimManaged,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    deactivatedAt: m.deactivatedAt,
  };
}

/** Why a removal record went away (member.removal_cleared). */
export type RemovalClearedReason = 'added' | 'invite_accepted' | 'scim_provisioned' | 'deleted';

const reasonBySource = (source: MemberSource): RemovalClearedReason =>
  source === 'invite' ? 'invite_accepted' : source === 'scim' ? 'scim_provisioned' : 'added';

/** The unique index of a membership's userName (its email unless the IdP named it). */
export const USER_NAME_KEY = 'memberships_user_name_key';

export const userNameTaken = (email: string) =>
  new WorkspaceException(
    'SCIM_USER_NAME_TAKEN',
    `${email} is already the userName the identity provider gave another member of this workspace.`,
  );

function snapshot(m: Pick<MemberView, 'role' | 'status'>) {
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
    private readonly memberships: MembershipRepository,
    private readonly users: UserRepository,
    private readonly groups: GroupRepository,
    private readonly groupMembers: GroupMemberRepository,
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
    return this.memberships.page(this.dataSource.manager, workspaceId, filter, page);
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
    const existing = await this.memberships.find(tx, workspace.id, user.id);
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
      await this.memberships.insert(tx, workspace.id, {
        userId: user.id,
        role: input.role,
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
    await this.clearRemoval(tx, workspace.id, user.id, input.actor, reasonBySource(input.source));
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
  ): Promise<{ id: string; email: string }> {
    const email = normalizeEmail(input.email);
    const existing = await this.users.lockByEmail(tx, workspaceId, email, {
      withPasswordHash: true,
    });
    if (existing) {
      if (input.password !== undefined && existing.passwordHash) {
        throw new WorkspaceException(
          'PASSWORD_ALREADY_SET',
          `${email} already has a Gatehouse account with a password; leave "password" out to add them.`,
        );
      }
      const changes: AccountChanges = {};
      if (input.password !== undefined) {
        changes.passwordHash = await this.passwords.hash(input.password);
      }
      if (input.fullName && !existing.fullName) changes.fullName = input.fullName;
      if (Object.keys(changes).length > 0) {
        await this.users.update(tx, workspaceId, { userIds: [existing.id] }, changes);
      }
      return existing;
    }
    const passwordHash =
      input.password !== undefined ? await this.passwords.hash(input.password) : null;
    const created = await this.users.insert(tx, workspaceId, {
      email,
      fullName: input.fullName ?? null,
      passwordHash,
      scimLinked: false,
    });
    if (created === null) {
      throw new WorkspaceException('EMAIL_TAKEN', `${email} was just added by another request.`);
    }
    return { id: created.id, email };
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
      const before = { ...snapshot(membership), fullName: membership.fullName };
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

      if (input.fullName !== undefined && input.fullName !== membership.fullName) {
        // The name is the account's, seen by every workspace the person belongs to.
        if (actor.type !== 'internal') {
          this.ownership.assertMayEdit(
            workspaceId,
            await this.ownership.facts(tx, workspaceId, userId),
          );
        }
        await this.users.update(
          tx,
          workspaceId,
          { userIds: [userId] },
          { fullName: input.fullName },
        );
        await this.ownership.recordAccountChange(
          tx,
          userId,
          { workspaceId, actor },
          { before: { fullName: membership.fullName }, after: { fullName: input.fullName } },
        );
      }
      if (status !== membership.status) {
        await this.setStatus(tx, workspaceId, userId, status, actor);
      }
      if (role !== membership.role) {
        await this.memberships.update(tx, workspaceId, { userIds: [userId] }, { role });
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
      await this.leaveAllGroups(tx, workspaceId, userId);
      // Out of every group, a SCIM-managed member keeps only the admin role the IdP grants them.
      await this.memberships.update(
        tx,
        workspaceId,
        { userIds: [userId] },
        { status, role: ROLE_GRANTED_BY_IDP },
      );
      const revoked = await this.sessions.revokeForMember(tx, workspaceId, userId, 'deactivated');
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.deactivated',
        targetType: 'user',
        targetId: userId,
        details: { sessionsRevoked: revoked },
      });
    } else {
      await this.memberships.update(tx, workspaceId, { userIds: [userId] }, { status });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.reactivated',
        targetType: 'user',
        targetId: userId,
      });
    }
  }

  /** Takes the member out of every group; each group they left changes (its version moves). */
  private async leaveAllGroups(tx: EntityManager, workspaceId: string, userId: string) {
    const left = await this.groupMembers.removeFromAllGroups(tx, workspaceId, userId);
    await this.groups.update(tx, workspaceId, { groupIds: left }, {});
  }

  /** Removes the membership entirely: its group memberships and sessions go with it. */
  async remove(workspaceId: string, userId: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      const membership = await this.findMembership(tx, workspaceId, userId);
      if (membership.role === 'admin' && membership.status === 'active') {
        await this.assertAnotherActiveAdmin(tx, workspaceId, userId);
      }
      // Removed by hand: just-in-time sign-in must not bring them back (see wasRemoved).
      await this.removeInTransaction(tx, workspaceId, membership, actor, { recordRemoval: true });
    });
  }

  /**
   * The membership goes, with its group memberships (those groups change) and sessions; the
   * person stays, no longer provisioned from here, so another workspace's SCIM may take them.
   * `recordRemoval`: removed by hand, which just-in-time sign-in respects.
   */
  async removeInTransaction(
    tx: EntityManager,
    workspaceId: string,
    membership: MembershipRecord,
    actor: AuditActor,
    options: { recordRemoval: boolean },
  ): Promise<void> {
    const userId = membership.userId;
    await this.leaveAllGroups(tx, workspaceId, userId);
    await this.memberships.remove(tx, workspaceId, userId);
    if (options.recordRemoval) await memberRemovals.record(tx, workspaceId, userId, actor);
    await this.users.update(tx, workspaceId, { userIds: [userId] }, { scimLink: 'none' });
    await this.audit.record(tx, workspaceId, actor, {
      action: 'member.removed',
      targetType: 'user',
      targetId: userId,
      before: { email: membership.email, ...snapshot(membership) },
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
  async findMembership(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
  ): Promise<MembershipRecord> {
    const membership = isUuid(userId)
      ? await this.memberships.find(tx, workspaceId, userId.toLowerCase())
      : null;
    if (!membership) {
      throw new WorkspaceException('MEMBER_NOT_FOUND', 'No such member in this workspace.');
    }
    return membership;
  }

  private async assertAnotherActiveAdmin(tx: EntityManager, workspaceId: string, userId: string) {
    if (!(await this.memberships.hasOtherActiveAdmin(tx, workspaceId, userId))) {
      throw new WorkspaceException(
        'LAST_ADMIN',
        'A workspace must keep at least one active admin: promote another member first.',
      );
    }
  }
}
