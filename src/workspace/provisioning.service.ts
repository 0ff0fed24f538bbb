import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../common/actor.js';
import { isDeadlock, isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { normalizeEmail } from './email.js';
import { Group } from './entities/group.entity.js';
import { Membership } from './entities/membership.entity.js';
import { User } from './entities/user.entity.js';
import { MemberService, USER_NAME_KEY } from './member.service.js';
import type { AccountFacts } from './ownership/account-authority.js';
import { AccountOwnershipService } from './ownership/account-ownership.service.js';
import { lockWorkspace } from './workspace-lock.js';
import { WorkspaceException } from './workspace.errors.js';

/** A person as an identity provider describes them through SCIM. */
export interface ProvisionedProfile {
  userName: string;
  externalId: string | null;
  email: string;
  fullName: string | null;
  active: boolean;
  /** The IdP grants the admin role (roles/role = "admin"). */
  admin: boolean;
  /** The SCIM attributes to keep as sent (name, emails, enterprise extension...). */
  data: Record<string, unknown>;
}

export interface ProvisionedGroup {
  displayName: string;
  externalId: string | null;
  adminRole: boolean;
}

/**
 * The admin role a pushed group ends up with. One an admin set in Gatehouse stays: Okta's group
 * push cannot carry it, so its PUTs and PATCHes (without the Gatehouse extension) say nothing
 * about it; only an admin clears it. Otherwise the IdP's extension decides.
 */
function adminRoleAfterPush(current: { adminRoleByAdmin: boolean }, pushed: boolean): boolean {
  return current.adminRoleByAdmin || pushed;
}

/** Another member of the workspace showing this userName ($1 workspace, $2 userName, $3 except). */
export const USER_NAME_TAKEN_SQL = `SELECT user_id FROM memberships
  WHERE workspace_id = $1 AND user_name_key = lower($2::text)
    AND ($3::uuid IS NULL OR user_id <> $3::uuid)
  LIMIT 1`;

/**
 * Thrown inside a transaction that runs without the workspace lock when the change turns out
 * to be one that may reduce the active admins: provision() rolls it back and runs it again
 * under the lock.
 */
class WorkspaceLockNeeded extends Error {}

/** How a provisioning request runs: under the workspace lock, or without it while it only adds. */
export interface ProvisionOptions {
  /**
   * The request usually only adds a member (a SCIM create): it runs without the workspace lock
   * and is retried under it if it would link an existing member, demote or deactivate someone,
   * or hit a uniqueness race. Group writes do not qualify: adding a member to a group must
   * serialise with that member's deactivation.
   */
  optimistic?: boolean;
}

/**
 * A group's new updated_at, which its SCIM ETag (milliseconds) is made of: strictly later than
 * the last one, so every write changes the ETag even when two writes, serialised by the
 * workspace lock, started within the same millisecond (now() is the transaction's start).
 */
const BUMP_GROUP_UPDATED_AT = `greatest(clock_timestamp(), updated_at + interval '1 millisecond')`;

/**
 * Provisioning by an identity provider (SCIM), inside the caller's transaction so a SCIM
 * request applies all or nothing. The IdP is the source of truth: deactivation and demotion
 * always apply, even to the last admin; the workspace then shows that it has none.
 */
@Injectable()
export class ProvisioningService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MemberService,
    private readonly audit: AuditService,
    private readonly ownership: AccountOwnershipService,
  ) {}

  /** Transactions running without the workspace lock (see provision). */
  private readonly unlocked = new WeakSet<EntityManager>();

  /**
   * Runs one provisioning request, all or nothing, recording it when the change left the
   * workspace without an active admin.
   *
   * The workspace lock is taken only where the last-admin rule can change. Changes that may
   * reduce the active admins (deactivate, demote, delete, link an existing member) hold it, so
   * they serialise with each other and with the admin API's last-admin check (MemberService
   * locks, then counts the other admins): each sees the others' committed result, and the
   * no-active-admin record compares counts no concurrent reducer can move. A change that only
   * adds (a new member) cannot make either rule wrong: an admin it adds unseen by a concurrent
   * count only makes that count stricter. So with `optimistic` it runs without the lock, and the
   * moment it would reduce (recomputeRoles demotes someone, createMember links an existing
   * member), meets a uniqueness race or is a deadlock's victim, it is rolled back and run again
   * under the lock, where the usual checks answer.
   */
  async provision<T>(
    workspaceId: string,
    actor: AuditActor,
    work: (tx: EntityManager) => Promise<T>,
    options: ProvisionOptions = {},
  ): Promise<T> {
    if (options.optimistic) {
      try {
        return await this.dataSource.transaction(async (tx) => {
          this.unlocked.add(tx);
          return work(tx);
        });
      } catch (error) {
        if (
          !(error instanceof WorkspaceLockNeeded) &&
          !isUniqueViolation(error) &&
          !isDeadlock(error)
        ) {
          throw error;
        }
      }
    }
    return this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      const adminsBefore = await this.countActiveAdmins(tx, workspaceId);
      const result = await work(tx);
      await this.noteAdminGap(tx, workspaceId, adminsBefore, actor);
      return result;
    });
  }

  /** In a transaction without the workspace lock: roll back, and run again under it. */
  private needWorkspaceLock(tx: EntityManager): void {
    if (this.unlocked.has(tx)) throw new WorkspaceLockNeeded();
  }

  /** Served by memberships_active_admins_idx: O(admins), not O(members). */
  async countActiveAdmins(tx: EntityManager, workspaceId: string): Promise<number> {
    const [row] = await tx.query<{ admins: number }[]>(
      `SELECT count(*)::int AS admins FROM memberships
        WHERE workspace_id = $1 AND role = 'admin' AND status = 'active'`,
      [workspaceId],
    );
    return row?.admins ?? 0;
  }

  /** Records it when a change left the workspace without an active admin. */
  private async noteAdminGap(
    tx: EntityManager,
    workspaceId: string,
    adminsBefore: number,
    actor: AuditActor,
  ): Promise<void> {
    if (adminsBefore > 0 && (await this.countActiveAdmins(tx, workspaceId)) === 0) {
      await this.audit.record(tx, workspaceId, actor, {
        action: 'workspace.no_active_admin',
        targetType: 'workspace',
        targetId: workspaceId,
        details: { cause: 'The identity provider deactivated or demoted the last active admin.' },
      });
    }
  }

  /**
   * Creates the member, or links the person who already has this email: an existing membership
   * becomes SCIM-managed. Refused when the userName is taken in the workspace or the person is
   * SCIM-linked to another workspace. Returns the user id.
   */
  async createMember(
    tx: EntityManager,
    workspaceId: string,
    profile: ProvisionedProfile,
    actor: AuditActor,
  ): Promise<string> {
    const email = normalizeEmail(profile.email);
    let user = await tx
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.email = :email', { email })
      .setLock('pessimistic_write')
      .getOne();
    // The person being linked may hold this userName already (their email, unmanaged).
    await this.assertUserNameFree(tx, workspaceId, profile.userName, user?.id ?? null);
    let nameBefore: string | null = null;
    const existingAccount = user !== null;
    if (user) {
      await this.claimScimLink(tx, workspaceId, await this.ownership.facts(tx, user.id), actor);
      nameBefore = user.fullName;
    } else {
      await this.ownership.assertMayAssignEmail(tx, workspaceId, email);
      try {
        user = await tx.save(
          tx.create(User, {
            email,
            fullName: profile.fullName,
            passwordHash: null,
            createdByWorkspaceId: workspaceId,
            scimWorkspaceId: workspaceId,
          }),
        );
      } catch (error) {
        // Another request created this person at the same instant.
        if (isUniqueViolation(error, 'users_email_key')) {
          this.needWorkspaceLock(tx);
          throw new WorkspaceException(
            'EMAIL_TAKEN',
            `${email} was just added by another request.`,
          );
        }
        throw error;
      }
    }
    // A person created just now has no membership, removal or group yet: what follows for an
    // existing account (the link, the role recompute, the removal) is skipped for them.
    const existing = existingAccount
      ? await tx.findOneBy(Membership, { workspaceId, userId: user.id })
      : null;
    // Linking an existing member may deactivate or demote them.
    if (existing) this.needWorkspaceLock(tx);
    if (existing?.scimManaged && existing.scimUserName) {
      throw new WorkspaceException(
        'SCIM_USER_NAME_TAKEN',
        `${email} is already provisioned in this workspace as userName "${existing.scimUserName}".`,
      );
    }
    // Linked, the account is this workspace's to name (its IdP manages the person from now on).
    if (existingAccount) {
      await tx.update(
        User,
        { id: user.id },
        { scimWorkspaceId: workspaceId, ...(profile.fullName && { fullName: profile.fullName }) },
      );
    }
    if (existingAccount && profile.fullName && profile.fullName !== nameBefore) {
      await this.ownership.recordAccountChange(
        tx,
        user.id,
        { workspaceId, actor },
        { before: { fullName: nameBefore }, after: { fullName: profile.fullName } },
      );
    }
    const scimFields = {
      scimManaged: true,
      scimUserName: profile.userName,
      scimExternalId: profile.externalId,
      scimData: profile.data,
      scimAdmin: profile.admin,
    };
    if (existing) {
      await tx.update(Membership, { workspaceId, userId: user.id }, scimFields);
    } else {
      await tx.insert(Membership, {
        workspaceId,
        userId: user.id,
        role: 'member',
        status: 'active',
        source: 'scim',
        ...scimFields,
      });
    }
    await this.audit.record(tx, workspaceId, actor, {
      action: existing ? 'member.linked' : 'member.added',
      targetType: 'user',
      targetId: user.id,
      after: { email, userName: profile.userName, active: profile.active, admin: profile.admin },
    });
    const currentStatus = existing?.status ?? 'active';
    const wanted = profile.active ? 'active' : 'deactivated';
    if (currentStatus !== wanted) {
      await this.members.setStatus(tx, workspaceId, user.id, wanted, actor);
    }
    if (existingAccount || profile.admin) {
      await this.recomputeRoles(tx, workspaceId, [user.id], actor);
    }
    // The IdP assigned them explicitly: a removal by hand no longer holds just-in-time sign-in.
    if (existingAccount) {
      await this.members.clearRemoval(tx, workspaceId, user.id, actor, 'scim_provisioned');
    }
    return user.id;
  }

  /** Applies a whole profile (PUT, or PATCH after the patch engine ran) to a member. */
  async updateMember(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    profile: ProvisionedProfile,
    actor: AuditActor,
  ): Promise<void> {
    const membership = await this.members.findMembership(tx, workspaceId, userId);
    const facts = await this.ownership.facts(tx, userId);
    // A hand-made member becomes SCIM-managed by this write: the same rule as a POST that links.
    if (!membership.scimManaged) await this.claimScimLink(tx, workspaceId, facts, actor);
    await this.assertUserNameFree(tx, workspaceId, profile.userName, userId);
    const email = normalizeEmail(profile.email);
    const emailChanges = email !== membership.user.email;
    const nameChanges = profile.fullName !== null && profile.fullName !== membership.user.fullName;
    if (emailChanges || nameChanges) {
      this.ownership.assertMayEdit(workspaceId, { ...facts, scimWorkspaceId: workspaceId });
    }
    if (emailChanges) await this.ownership.assertMayAssignEmail(tx, workspaceId, email);
    const before = {
      email: membership.user.email,
      userName: membership.scimUserName,
      fullName: membership.user.fullName,
      active: membership.status === 'active',
      admin: membership.scimAdmin,
    };
    const userChanges: Partial<User> = { scimWorkspaceId: workspaceId };
    if (emailChanges) userChanges.email = email;
    if (nameChanges) userChanges.fullName = profile.fullName;
    try {
      await tx.update(User, { id: userId }, { ...userChanges, updatedAt: () => 'now()' });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) {
        throw new WorkspaceException(
          'EMAIL_TAKEN',
          `Another person already has the email ${email}.`,
        );
      }
      // The email is the userName of their membership elsewhere, where an IdP gave it to someone.
      if (isUniqueViolation(error, USER_NAME_KEY)) {
        throw new WorkspaceException(
          'EMAIL_TAKEN',
          `${email} is already the userName of another member in a workspace this person belongs to.`,
        );
      }
      throw error;
    }
    await tx.update(
      Membership,
      { workspaceId, userId },
      {
        scimManaged: true,
        scimUserName: profile.userName,
        scimExternalId: profile.externalId,
        scimData: profile.data,
        scimAdmin: profile.admin,
        updatedAt: () => 'now()',
      },
    );
    const wanted = profile.active ? 'active' : 'deactivated';
    if (membership.status !== wanted) {
      await this.members.setStatus(tx, workspaceId, userId, wanted, actor);
    }
    await this.recomputeRoles(tx, workspaceId, [userId], actor);
    const after = {
      email,
      userName: profile.userName,
      fullName: profile.fullName,
      active: profile.active,
      admin: profile.admin,
    };
    if (emailChanges || nameChanges) {
      await this.ownership.recordAccountChange(
        tx,
        userId,
        { workspaceId, actor },
        {
          before: { email: before.email, fullName: before.fullName },
          after: { email, fullName: nameChanges ? profile.fullName : before.fullName },
        },
      );
    }
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      await this.audit.record(tx, workspaceId, actor, {
        action: 'member.updated',
        targetType: 'user',
        targetId: userId,
        before,
        after,
      });
    }
  }

  /**
   * This workspace's IdP is about to manage an existing account: refused without authority over
   * it (docs/security.md), and while another workspace's IdP manages the person (one SCIM link per
   * person) — unless this workspace verified the email's domain and that one did not: the link
   * moves here, and the other workspace keeps its membership, managed by hand from now on.
   */
  private async claimScimLink(
    tx: EntityManager,
    workspaceId: string,
    facts: AccountFacts,
    actor: AuditActor,
  ): Promise<void> {
    const linkedTo = facts.scimWorkspaceId;
    if (linkedTo && linkedTo !== workspaceId) {
      if (facts.domainWorkspaceId !== workspaceId) {
        throw new WorkspaceException(
          'SCIM_LINKED_ELSEWHERE',
          `${facts.email} is already provisioned by SCIM in another workspace; a person can be SCIM-linked to one workspace only.`,
        );
      }
      await tx.query(
        `UPDATE memberships SET scim_managed = false, updated_at = now()
          WHERE workspace_id = $1 AND user_id = $2`,
        [linkedTo, facts.userId],
      );
      await this.audit.record(tx, linkedTo, actor, {
        action: 'member.scim_link_moved',
        targetType: 'user',
        targetId: facts.userId,
        details: {
          toWorkspaceId: workspaceId,
          reason:
            "The workspace that verified the email's domain provisions this person now; here they are managed by hand.",
        },
      });
    }
    this.ownership.assertMayLink(workspaceId, facts);
  }

  /** DELETE: the membership goes, with its groups and sessions; the person stays. */
  async removeMember(tx: EntityManager, workspaceId: string, userId: string, actor: AuditActor) {
    const membership = await this.members.findMembership(tx, workspaceId, userId);
    // Their group memberships go with the membership (cascade): those groups change too.
    await tx.query(
      `UPDATE groups SET updated_at = now()
        WHERE workspace_id = $1
          AND id IN (SELECT group_id FROM group_members WHERE workspace_id = $1 AND user_id = $2)`,
      [workspaceId, userId],
    );
    await tx.delete(Membership, { workspaceId, userId });
    await tx.query(
      `UPDATE users SET scim_workspace_id = NULL WHERE id = $1 AND scim_workspace_id = $2`,
      [userId, workspaceId],
    );
    await this.audit.record(tx, workspaceId, actor, {
      action: 'member.removed',
      targetType: 'user',
      targetId: userId,
      before: { email: membership.user.email, role: membership.role, status: membership.status },
    });
  }

  /**
   * The role of SCIM-managed members follows the IdP: admin when the IdP grants it or while they
   * are in a group with the admin role. Set-based; `userIds` undefined = every member.
   */
  async recomputeRoles(
    tx: EntityManager,
    workspaceId: string,
    userIds: string[] | undefined,
    actor: AuditActor,
  ): Promise<void> {
    if (userIds !== undefined && userIds.length > 0) {
      // Group changes run without the workspace lock: locking the members first makes a
      // concurrent change of the same people wait, and the statement below (a new snapshot)
      // see its groups, so two changes cannot each derive a role from the other's old state.
      await tx.query(
        `SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = ANY($2::uuid[])
          ORDER BY user_id FOR NO KEY UPDATE`,
        [workspaceId, userIds],
      );
    }
    const [rows]: [{ user_id: string; role: string }[], number] = await tx.query(
      `WITH wanted AS (
         SELECT m.user_id,
                CASE WHEN m.scim_admin OR EXISTS (
                       SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id
                        WHERE gm.workspace_id = m.workspace_id AND gm.user_id = m.user_id AND g.admin_role)
                     THEN 'admin' ELSE 'member' END AS role
           FROM memberships m
          WHERE m.workspace_id = $1 AND m.scim_managed
            AND ($2::uuid[] IS NULL OR m.user_id = ANY($2::uuid[])))
       UPDATE memberships m SET role = wanted.role, updated_at = now()
         FROM wanted
        WHERE m.workspace_id = $1 AND m.user_id = wanted.user_id AND m.role <> wanted.role
    RETURNING m.user_id, m.role`,
      [workspaceId, userIds ?? null],
    );
    if (rows.length === 0) return;
    const promoted = rows.filter((r) => r.role === 'admin').map((r) => r.user_id);
    const demoted = rows.filter((r) => r.role === 'member').map((r) => r.user_id);
    if (demoted.length > 0) this.needWorkspaceLock(tx);
    await this.audit.record(tx, workspaceId, actor, {
      action: 'member.roles_changed',
      targetType: rows.length === 1 ? 'user' : 'workspace',
      targetId: rows.length === 1 ? rows[0]!.user_id : workspaceId,
      details: {
        promoted: promoted.slice(0, 100),
        demoted: demoted.slice(0, 100),
        promotedCount: promoted.length,
        demotedCount: demoted.length,
      },
    });
  }

  private async assertUserNameFree(
    tx: EntityManager,
    workspaceId: string,
    userName: string,
    exceptUserId: string | null,
  ): Promise<void> {
    // user_name_key is the userName SCIM shows (scim_user_name, else the email), lower-cased
    // by a trigger; memberships_user_name_key serves this lookup.
    const rows: { user_id: string }[] = await tx.query(USER_NAME_TAKEN_SQL, [
      workspaceId,
      userName,
      exceptUserId,
    ]);
    if (rows.length > 0) {
      throw new WorkspaceException(
        'SCIM_USER_NAME_TAKEN',
        `The userName "${userName}" is already used by another member of this workspace.`,
      );
    }
  }

  /**
   * SCIM was disabled: nothing stays SCIM-managed, so admins manage members and groups by hand
   * again and the people are free to be provisioned by another workspace.
   */
  async release(tx: EntityManager, workspaceId: string): Promise<void> {
    await tx.query(`UPDATE users SET scim_workspace_id = NULL WHERE scim_workspace_id = $1`, [
      workspaceId,
    ]);
    await tx.query(
      `UPDATE memberships SET scim_managed = false WHERE workspace_id = $1 AND scim_managed`,
      [workspaceId],
    );
    await tx.query(
      `UPDATE groups SET scim_managed = false WHERE workspace_id = $1 AND scim_managed`,
      [workspaceId],
    );
  }

  // ---- groups ---------------------------------------------------------------------------

  /**
   * A pushed group. A hand-made group with the same name is taken over: it becomes SCIM-managed
   * and its members are replaced by the pushed ones. Returns the group id.
   */
  async createGroup(
    tx: EntityManager,
    workspaceId: string,
    group: ProvisionedGroup,
    memberIds: string[],
    actor: AuditActor,
  ): Promise<string> {
    const [existing] = await tx.query<
      { id: string; scim_managed: boolean; admin_role: boolean; admin_role_by_admin: boolean }[]
    >(
      `SELECT id, scim_managed, admin_role, admin_role_by_admin FROM groups
        WHERE workspace_id = $1 AND lower(display_name) = lower($2)
        FOR UPDATE`,
      [workspaceId, group.displayName],
    );
    if (existing?.scim_managed) {
      throw new WorkspaceException(
        'GROUP_NAME_TAKEN',
        `A group named "${group.displayName}" is already provisioned in this workspace.`,
      );
    }
    let groupId: string;
    if (existing) {
      groupId = existing.id;
      group = {
        ...group,
        adminRole: adminRoleAfterPush(
          { adminRoleByAdmin: existing.admin_role_by_admin },
          group.adminRole,
        ),
      };
      await tx.update(
        Group,
        { id: groupId, workspaceId },
        {
          displayName: group.displayName,
          scimManaged: true,
          scimExternalId: group.externalId,
          adminRole: group.adminRole,
          updatedAt: () => BUMP_GROUP_UPDATED_AT,
        },
      );
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.taken_over',
        targetType: 'group',
        targetId: groupId,
        after: { displayName: group.displayName, scimManaged: true, adminRole: group.adminRole },
      });
      const before = await this.groupMemberIds(tx, workspaceId, groupId);
      await this.replaceGroupMembers(tx, workspaceId, groupId, memberIds, actor);
      if (existing.admin_role || group.adminRole) {
        // Members the push kept were not changed, but the group's role may have been.
        const after = await this.groupMemberIds(tx, workspaceId, groupId);
        await this.recomputeRoles(tx, workspaceId, [...new Set([...before, ...after])], actor);
      }
    } else {
      const saved = await tx.save(
        tx.create(Group, {
          workspaceId,
          displayName: group.displayName,
          scimManaged: true,
          scimExternalId: group.externalId,
          adminRole: group.adminRole,
        }),
      );
      groupId = saved.id;
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.created',
        targetType: 'group',
        targetId: groupId,
        after: { displayName: group.displayName, scimManaged: true, adminRole: group.adminRole },
      });
      await this.addGroupMembers(tx, workspaceId, groupId, memberIds, actor);
    }
    return groupId;
  }

  /**
   * Applies a whole group (PUT, or PATCH after the patch engine ran). The first SCIM write to a
   * hand-made group (linked by name, as Okta does) takes it over: it becomes SCIM-managed.
   */
  async updateGroup(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    group: ProvisionedGroup,
    actor: AuditActor,
  ): Promise<void> {
    const current = await tx.findOneBy(Group, { id: groupId, workspaceId });
    if (!current)
      throw new WorkspaceException('GROUP_NOT_FOUND', 'No such group in this workspace.');
    group = { ...group, adminRole: adminRoleAfterPush(current, group.adminRole) };
    const changed =
      current.displayName !== group.displayName ||
      current.scimExternalId !== group.externalId ||
      current.adminRole !== group.adminRole;
    if (!changed && current.scimManaged) return;
    try {
      await tx.update(
        Group,
        { id: groupId, workspaceId },
        {
          displayName: group.displayName,
          scimExternalId: group.externalId,
          adminRole: group.adminRole,
          scimManaged: true,
          updatedAt: () => BUMP_GROUP_UPDATED_AT,
        },
      );
    } catch (error) {
      if (isUniqueViolation(error, 'groups_display_name_key')) {
        throw new WorkspaceException(
          'GROUP_NAME_TAKEN',
          `A group named "${group.displayName}" already exists in this workspace.`,
        );
      }
      throw error;
    }
    if (!current.scimManaged) {
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.taken_over',
        targetType: 'group',
        targetId: groupId,
        after: { displayName: group.displayName, scimManaged: true },
      });
    }
    if (changed) {
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.updated',
        targetType: 'group',
        targetId: groupId,
        before: {
          displayName: current.displayName,
          externalId: current.scimExternalId,
          adminRole: current.adminRole,
        },
        after: {
          displayName: group.displayName,
          externalId: group.externalId,
          adminRole: group.adminRole,
        },
      });
    }
    if (current.adminRole !== group.adminRole) {
      await this.recomputeRoles(
        tx,
        workspaceId,
        await this.groupMemberIds(tx, workspaceId, groupId),
        actor,
      );
    }
  }

  async deleteGroup(tx: EntityManager, workspaceId: string, groupId: string, actor: AuditActor) {
    const members = await tx.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = $1 AND workspace_id = $2`,
      [groupId, workspaceId],
    );
    const [rows]: [{ display_name: string; admin_role: boolean }[], number] = await tx.query(
      `DELETE FROM groups WHERE id = $1 AND workspace_id = $2 RETURNING display_name, admin_role`,
      [groupId, workspaceId],
    );
    const deleted = rows[0];
    if (!deleted)
      throw new WorkspaceException('GROUP_NOT_FOUND', 'No such group in this workspace.');
    await this.audit.record(tx, workspaceId, actor, {
      action: 'group.deleted',
      targetType: 'group',
      targetId: groupId,
      before: { displayName: deleted.display_name, memberCount: members.length },
    });
    if (deleted.admin_role) {
      await this.recomputeRoles(
        tx,
        workspaceId,
        members.map((m) => m.user_id),
        actor,
      );
    }
  }

  /**
   * Adds members in one statement. Only active members of the workspace get in: ids of people
   * who are not (any more) are skipped, so an IdP pushing a stale list never fails.
   */
  async addGroupMembers(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    userIds: string[],
    actor: AuditActor,
  ): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await tx.query<{ user_id: string }[]>(
      `INSERT INTO group_members (workspace_id, group_id, user_id)
       SELECT m.workspace_id, $2::uuid, m.user_id FROM memberships m
        WHERE m.workspace_id = $1 AND m.user_id = ANY($3::uuid[]) AND m.status = 'active'
       ON CONFLICT DO NOTHING
       RETURNING user_id`,
      [workspaceId, groupId, userIds],
    );
    const added = rows.map((r) => r.user_id);
    await this.afterMembershipChange(
      tx,
      workspaceId,
      groupId,
      'group.member_added',
      added,
      userIds.length,
      actor,
    );
    return added;
  }

  async removeGroupMembers(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    userIds: string[],
    actor: AuditActor,
  ): Promise<string[]> {
    if (userIds.length === 0) return [];
    const [rows]: [{ user_id: string }[], number] = await tx.query(
      `DELETE FROM group_members WHERE workspace_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[])
       RETURNING user_id`,
      [workspaceId, groupId, userIds],
    );
    const removed = rows.map((r) => r.user_id);
    await this.afterMembershipChange(
      tx,
      workspaceId,
      groupId,
      'group.member_removed',
      removed,
      userIds.length,
      actor,
    );
    return removed;
  }

  /** The group's members become exactly `userIds` (those that are active members). */
  async replaceGroupMembers(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    userIds: string[],
    actor: AuditActor,
  ): Promise<void> {
    const [rows]: [{ user_id: string }[], number] = await tx.query(
      `DELETE FROM group_members WHERE workspace_id = $1 AND group_id = $2
          AND NOT (user_id = ANY($3::uuid[]))
       RETURNING user_id`,
      [workspaceId, groupId, userIds],
    );
    const removed = rows.map((r) => r.user_id);
    await this.afterMembershipChange(
      tx,
      workspaceId,
      groupId,
      'group.member_removed',
      removed,
      removed.length,
      actor,
    );
    await this.addGroupMembers(tx, workspaceId, groupId, userIds, actor);
  }

  private async afterMembershipChange(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    action: string,
    changed: string[],
    requested: number,
    actor: AuditActor,
  ): Promise<void> {
    if (changed.length === 0) return;
    // UPDATE ... RETURNING comes back as [rows, affected].
    const [[group]]: [{ display_name: string; admin_role: boolean }[], number] = await tx.query(
      `UPDATE groups SET updated_at = ${BUMP_GROUP_UPDATED_AT} WHERE id = $1 AND workspace_id = $2
       RETURNING display_name, admin_role`,
      [groupId, workspaceId],
    );
    await this.audit.record(tx, workspaceId, actor, {
      action,
      targetType: 'group',
      targetId: groupId,
      details: {
        displayName: group?.display_name,
        userIds: changed.slice(0, 100),
        count: changed.length,
        requested,
      },
    });
    if (group?.admin_role) await this.recomputeRoles(tx, workspaceId, changed, actor);
  }

  /** The ids of a group's members. */
  async groupMemberIds(tx: EntityManager, workspaceId: string, groupId: string): Promise<string[]> {
    const rows = await tx.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE workspace_id = $1 AND group_id = $2`,
      [workspaceId, groupId],
    );
    return rows.map((r) => r.user_id);
  }
}
