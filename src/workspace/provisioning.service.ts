import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from './actor.js';
import { isDeadlock, isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { normalizeEmail } from './email.js';
import { MemberService, USER_NAME_KEY } from './member.service.js';
import type { AccountFacts } from './ownership/account-authority.js';
import { AccountOwnershipService } from './ownership/account-ownership.service.js';
import { GroupMemberRepository } from './repositories/group-member.repository.js';
import { GroupRepository, type GroupRecord } from './repositories/group.repository.js';
import {
  MembershipRepository,
  ROLE_GRANTED_BY_IDP,
  type ScimMemberFields,
} from './repositories/membership.repository.js';
import { type AccountChanges, UserRepository } from './repositories/user.repository.js';
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

/** How a group's members change in one request: a whole new list, or additions and removals. */
export type GroupMembersChange = { replaceWith: string[] } | { add: string[]; remove: string[] };

/**
 * The admin role a pushed group ends up with. One an admin set in Gatehouse stays: Okta's group
 * push cannot carry it, so its PUTs and PATCHes (without the Gatehouse extension) say nothing
 * about it; only an admin clears it. Otherwise the IdP's extension decides.
 */
function adminRoleAfterPush(current: { adminRoleByAdmin: boolean }, pushed: boolean): boolean {
  return current.adminRoleByAdmin || pushed;
}

function scimFieldsOf(profile: ProvisionedProfile): ScimMemberFields {
  return {
    userName: profile.userName,
    externalId: profile.externalId,
    data: profile.data,
    admin: profile.admin,
  };
}

const userNameTaken = (userName: string) =>
  new WorkspaceException(
    'SCIM_USER_NAME_TAKEN',
    `The userName "${userName}" is already used by another member of this workspace.`,
  );

const groupNotFound = () =>
  new WorkspaceException('GROUP_NOT_FOUND', 'No such group in this workspace.');

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
    private readonly memberships: MembershipRepository,
    private readonly users: UserRepository,
    private readonly groups: GroupRepository,
    private readonly groupMembers: GroupMemberRepository,
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
      const adminsBefore = await this.memberships.countActiveAdmins(tx, workspaceId);
      const result = await work(tx);
      await this.noteAdminGap(tx, workspaceId, adminsBefore, actor);
      return result;
    });
  }

  /** In a transaction without the workspace lock: roll back, and run again under it. */
  private needWorkspaceLock(tx: EntityManager): void {
    if (this.unlocked.has(tx)) throw new WorkspaceLockNeeded();
  }

  /** Records it when a change left the workspace without an active admin. */
  private async noteAdminGap(
    tx: EntityManager,
    workspaceId: string,
    adminsBefore: number,
    actor: AuditActor,
  ): Promise<void> {
    if (adminsBefore > 0 && (await this.memberships.countActiveAdmins(tx, workspaceId)) === 0) {
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
   *
   * A new person (the usual case of an initial sync) costs three statements: the account is
   * created unless the email is taken (answering who verified its domain), the membership's insert
   * is the userName check (its unique index), and the audit record.
   */
  async createMember(
    tx: EntityManager,
    workspaceId: string,
    profile: ProvisionedProfile,
    actor: AuditActor,
  ): Promise<string> {
    const email = normalizeEmail(profile.email);
    const created = await this.users.insert(tx, workspaceId, {
      email,
      fullName: profile.fullName,
      passwordHash: null,
      scimLinked: true,
    });
    if (created === null) return this.linkAccount(tx, workspaceId, email, profile, actor);
    const userId = created.id;
    // Created just now: no membership, removal or group yet, so no link, role recompute or
    // removal to clear (unless the IdP grants the admin role). A taken userName answers before
    // a domain another workspace verified, as for an existing account.
    await this.insertMembership(tx, workspaceId, userId, profile);
    this.ownership.assertMayAssignEmailOf(workspaceId, email, created.domainWorkspaceId);
    await this.audit.record(tx, workspaceId, actor, {
      action: 'member.added',
      targetType: 'user',
      targetId: userId,
      after: { email, userName: profile.userName, active: profile.active, admin: profile.admin },
    });
    if (!profile.active) {
      await this.members.setStatus(tx, workspaceId, userId, 'deactivated', actor);
    }
    if (profile.admin) await this.recomputeRoles(tx, workspaceId, [userId], actor);
    return userId;
  }

  /** createMember for an email that has an account: it becomes (or stays) a member here. */
  private async linkAccount(
    tx: EntityManager,
    workspaceId: string,
    email: string,
    profile: ProvisionedProfile,
    actor: AuditActor,
  ): Promise<string> {
    const user = await this.users.lockByEmail(tx, workspaceId, email);
    if (!user) {
      // Created and gone again by concurrent requests.
      this.needWorkspaceLock(tx);
      throw new WorkspaceException('EMAIL_TAKEN', `${email} was just added by another request.`);
    }
    // The person being linked may hold this userName already (their email, unmanaged).
    await this.assertUserNameFree(tx, workspaceId, profile.userName, user.id);
    await this.claimScimLink(
      tx,
      workspaceId,
      await this.ownership.facts(tx, workspaceId, user.id),
      actor,
    );
    const existing = await this.memberships.find(tx, workspaceId, user.id);
    // Linking an existing member may deactivate or demote them.
    if (existing) this.needWorkspaceLock(tx);
    if (existing?.scimManaged && existing.scimUserName) {
      throw new WorkspaceException(
        'SCIM_USER_NAME_TAKEN',
        `${email} is already provisioned in this workspace as userName "${existing.scimUserName}".`,
      );
    }
    // Linked, the account is this workspace's to name (its IdP manages the person from now on).
    const renamed = profile.fullName !== null && profile.fullName !== user.fullName;
    if (user.scimWorkspaceId !== workspaceId || renamed) {
      await this.users.update(
        tx,
        workspaceId,
        { userIds: [user.id] },
        { scimLink: 'here', ...(renamed && { fullName: profile.fullName }) },
      );
    }
    if (renamed) {
      await this.ownership.recordAccountChange(
        tx,
        user.id,
        { workspaceId, actor },
        { before: { fullName: user.fullName }, after: { fullName: profile.fullName } },
      );
    }
    if (existing) {
      await this.memberships.update(
        tx,
        workspaceId,
        { userIds: [user.id] },
        { scimManaged: true, scim: scimFieldsOf(profile) },
      );
    } else {
      await this.insertMembership(tx, workspaceId, user.id, profile);
    }
    await this.audit.record(tx, workspaceId, actor, {
      action: existing ? 'member.linked' : 'member.added',
      targetType: 'user',
      targetId: user.id,
      after: { email, userName: profile.userName, active: profile.active, admin: profile.admin },
    });
    const wanted = profile.active ? 'active' : 'deactivated';
    if ((existing?.status ?? 'active') !== wanted) {
      await this.members.setStatus(tx, workspaceId, user.id, wanted, actor);
    }
    await this.recomputeRoles(tx, workspaceId, [user.id], actor);
    // The IdP assigned them explicitly: a removal by hand no longer holds just-in-time sign-in.
    await this.members.clearRemoval(tx, workspaceId, user.id, actor, 'scim_provisioned');
    return user.id;
  }

  /** A SCIM-managed membership; its unique index refuses a userName another member shows. */
  private async insertMembership(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    profile: ProvisionedProfile,
  ): Promise<void> {
    try {
      await this.memberships.insert(tx, workspaceId, {
        userId,
        role: 'member',
        source: 'scim',
        scimManaged: true,
        scim: scimFieldsOf(profile),
      });
    } catch (error) {
      if (isUniqueViolation(error, USER_NAME_KEY)) throw userNameTaken(profile.userName);
      throw error;
    }
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
    const facts = await this.ownership.facts(tx, workspaceId, userId);
    // A hand-made member becomes SCIM-managed by this write: the same rule as a POST that links.
    if (!membership.scimManaged) await this.claimScimLink(tx, workspaceId, facts, actor);
    await this.assertUserNameFree(tx, workspaceId, profile.userName, userId);
    const email = normalizeEmail(profile.email);
    const emailChanges = email !== membership.email;
    const nameChanges = profile.fullName !== null && profile.fullName !== membership.fullName;
    if (emailChanges || nameChanges) {
      this.ownership.assertMayEdit(workspaceId, { ...facts, scimWorkspaceId: workspaceId });
    }
    if (emailChanges) await this.ownership.assertMayAssignEmail(tx, workspaceId, email);
    const before = {
      email: membership.email,
      userName: membership.scimUserName,
      fullName: membership.fullName,
      active: membership.status === 'active',
      admin: membership.scimAdmin,
    };
    const accountChanges: AccountChanges = {};
    if (facts.scimWorkspaceId !== workspaceId) accountChanges.scimLink = 'here';
    if (emailChanges) accountChanges.email = email;
    if (nameChanges) accountChanges.fullName = profile.fullName;
    if (Object.keys(accountChanges).length > 0) {
      await this.updateAccount(tx, workspaceId, userId, accountChanges, email);
    }
    await this.memberships.update(
      tx,
      workspaceId,
      { userIds: [userId] },
      { scimManaged: true, scim: scimFieldsOf(profile) },
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

  private async updateAccount(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    changes: AccountChanges,
    email: string,
  ): Promise<void> {
    try {
      await this.users.update(tx, workspaceId, { userIds: [userId] }, changes);
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
      await this.memberships.update(
        tx,
        linkedTo,
        { userIds: [facts.userId] },
        { scimManaged: false },
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
    await this.members.removeInTransaction(tx, workspaceId, membership, actor, {
      recordRemoval: false,
    });
  }

  /**
   * The role of SCIM-managed members follows the IdP: admin when the IdP grants it or while they
   * are in a group with the admin role. Set-based.
   */
  async recomputeRoles(
    tx: EntityManager,
    workspaceId: string,
    userIds: readonly string[],
    actor: AuditActor,
  ): Promise<void> {
    if (userIds.length === 0) return;
    // Locking the members first makes a concurrent change of the same people wait, and the
    // statement below (a new snapshot) see its groups, so two changes cannot each derive a role
    // from the other's old state.
    await this.memberships.lock(tx, workspaceId, userIds);
    const rows = await this.memberships.update(
      tx,
      workspaceId,
      { userIds },
      { role: ROLE_GRANTED_BY_IDP },
    );
    if (rows.length === 0) return;
    const promoted = rows.filter((r) => r.role === 'admin').map((r) => r.userId);
    const demoted = rows.filter((r) => r.role === 'member').map((r) => r.userId);
    if (demoted.length > 0) this.needWorkspaceLock(tx);
    await this.audit.record(tx, workspaceId, actor, {
      action: 'member.roles_changed',
      targetType: rows.length === 1 ? 'user' : 'workspace',
      targetId: rows.length === 1 ? rows[0]!.userId : workspaceId,
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
    if (await this.memberships.userNameTaken(tx, workspaceId, userName, exceptUserId)) {
      throw userNameTaken(userName);
    }
  }

  /**
   * SCIM was disabled: nothing stays SCIM-managed, so admins manage members and groups by hand
   * again and the people are free to be provisioned by another workspace.
   */
  async release(tx: EntityManager, workspaceId: string): Promise<void> {
    await this.users.update(tx, workspaceId, { allScimLinkedHere: true }, { scimLink: 'none' });
    await this.memberships.update(
      tx,
      workspaceId,
      { allScimManaged: true },
      { scimManaged: false },
    );
    await this.groups.update(tx, workspaceId, { allScimManaged: true }, { scimManaged: false });
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
    const existing = await this.groups.lockByName(tx, workspaceId, group.displayName);
    if (existing?.scimManaged) {
      throw new WorkspaceException(
        'GROUP_NAME_TAKEN',
        `A group named "${group.displayName}" is already provisioned in this workspace.`,
      );
    }
    if (!existing) {
      const groupId = await this.groups.insert(tx, workspaceId, {
        displayName: group.displayName,
        scimManaged: true,
        scimExternalId: group.externalId,
        adminRole: group.adminRole,
      });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.created',
        targetType: 'group',
        targetId: groupId,
        after: { displayName: group.displayName, scimManaged: true, adminRole: group.adminRole },
      });
      await this.changeMembers(
        tx,
        workspaceId,
        { id: groupId, ...group },
        { add: memberIds, remove: [] },
        actor,
      );
      return groupId;
    }
    const adminRole = adminRoleAfterPush(existing, group.adminRole);
    await this.groups.update(
      tx,
      workspaceId,
      { groupIds: [existing.id] },
      {
        displayName: group.displayName,
        scimManaged: true,
        scimExternalId: group.externalId,
        adminRole,
      },
    );
    await this.audit.record(tx, workspaceId, actor, {
      action: 'group.taken_over',
      targetType: 'group',
      targetId: existing.id,
      after: { displayName: group.displayName, scimManaged: true, adminRole },
    });
    const before = await this.groupMembers.memberIds(tx, workspaceId, existing.id);
    await this.changeMembers(
      tx,
      workspaceId,
      { id: existing.id, displayName: group.displayName, adminRole },
      { replaceWith: memberIds },
      actor,
    );
    if (existing.adminRole || adminRole) {
      // Members the push kept were not changed, but the group's role may have been.
      const after = await this.groupMembers.memberIds(tx, workspaceId, existing.id);
      await this.recomputeRoles(tx, workspaceId, [...new Set([...before, ...after])], actor);
    }
    return existing.id;
  }

  /**
   * Applies a whole group (PUT, or PATCH after the patch engine ran) and the request's change of
   * its members, writing the group row once. The first SCIM write to a hand-made group (linked by
   * name, as Okta does) takes it over: it becomes SCIM-managed.
   */
  async updateGroup(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    group: ProvisionedGroup,
    members: GroupMembersChange | undefined,
    actor: AuditActor,
  ): Promise<void> {
    const current = await this.groups.find(tx, workspaceId, groupId);
    if (!current) throw groupNotFound();
    const written = await this.writeGroupFields(tx, workspaceId, current, group, actor);
    const adminRole = adminRoleAfterPush(current, group.adminRole);
    const changed =
      members !== undefined &&
      (await this.changeMembers(
        tx,
        workspaceId,
        { id: groupId, displayName: group.displayName, adminRole },
        members,
        actor,
      ));
    // Its members changed it: the group's version moves once for the request.
    if (changed && !written) {
      await this.groups.update(tx, workspaceId, { groupIds: [groupId] }, {});
    }
  }

  /** Writes the group's own fields when they change; true when it wrote the row. */
  private async writeGroupFields(
    tx: EntityManager,
    workspaceId: string,
    current: GroupRecord,
    pushed: ProvisionedGroup,
    actor: AuditActor,
  ): Promise<boolean> {
    const group = { ...pushed, adminRole: adminRoleAfterPush(current, pushed.adminRole) };
    const changed =
      current.displayName !== group.displayName ||
      current.scimExternalId !== group.externalId ||
      current.adminRole !== group.adminRole;
    if (!changed && current.scimManaged) return false;
    try {
      await this.groups.update(
        tx,
        workspaceId,
        { groupIds: [current.id] },
        {
          displayName: group.displayName,
          scimExternalId: group.externalId,
          adminRole: group.adminRole,
          scimManaged: true,
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
        targetId: current.id,
        after: { displayName: group.displayName, scimManaged: true },
      });
    }
    if (changed) {
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.updated',
        targetType: 'group',
        targetId: current.id,
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
        await this.groupMembers.memberIds(tx, workspaceId, current.id),
        actor,
      );
    }
    return true;
  }

  async deleteGroup(tx: EntityManager, workspaceId: string, groupId: string, actor: AuditActor) {
    const members = await this.groupMembers.memberIds(tx, workspaceId, groupId);
    const deleted = await this.groups.remove(tx, workspaceId, groupId);
    if (!deleted) throw groupNotFound();
    await this.audit.record(tx, workspaceId, actor, {
      action: 'group.deleted',
      targetType: 'group',
      targetId: groupId,
      before: { displayName: deleted.displayName, memberCount: members.length },
    });
    if (deleted.adminRole) await this.recomputeRoles(tx, workspaceId, members, actor);
  }

  /**
   * Changes the group's members, set-based. Only active members of the workspace get in: ids of
   * people who are not (any more) are skipped, so an IdP pushing a stale list never fails. Does
   * not write the group row (the caller does, once). True when anyone joined or left.
   */
  private async changeMembers(
    tx: EntityManager,
    workspaceId: string,
    group: { id: string; displayName: string; adminRole: boolean },
    change: GroupMembersChange,
    actor: AuditActor,
  ): Promise<boolean> {
    const removed =
      'replaceWith' in change
        ? await this.groupMembers.removeAllBut(tx, workspaceId, group.id, change.replaceWith)
        : await this.groupMembers.remove(tx, workspaceId, group.id, change.remove);
    const requestedRemovals = 'replaceWith' in change ? removed.length : change.remove.length;
    await this.membersChanged(tx, workspaceId, group, 'group.member_removed', removed, {
      requested: requestedRemovals,
      actor,
    });
    const toAdd = 'replaceWith' in change ? change.replaceWith : change.add;
    const added = await this.groupMembers.add(tx, workspaceId, group.id, toAdd);
    await this.membersChanged(tx, workspaceId, group, 'group.member_added', added, {
      requested: toAdd.length,
      actor,
    });
    return removed.length > 0 || added.length > 0;
  }

  /** The change is audited and, in an admin group, the roles of those who moved follow it. */
  private async membersChanged(
    tx: EntityManager,
    workspaceId: string,
    group: { id: string; displayName: string; adminRole: boolean },
    action: 'group.member_added' | 'group.member_removed',
    changed: string[],
    context: { requested: number; actor: AuditActor },
  ): Promise<void> {
    if (changed.length === 0) return;
    await this.audit.record(tx, workspaceId, context.actor, {
      action,
      targetType: 'group',
      targetId: group.id,
      details: {
        displayName: group.displayName,
        userIds: changed.slice(0, 100),
        count: changed.length,
        requested: context.requested,
      },
    });
    if (group.adminRole) await this.recomputeRoles(tx, workspaceId, changed, context.actor);
  }
}
