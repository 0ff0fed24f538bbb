import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from './actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import type { Workspace } from './entities/workspace.entity.js';
import { ProvisioningService } from './provisioning.service.js';
import { GroupMemberRepository } from './repositories/group-member.repository.js';
import {
  type GroupChanges,
  type GroupFilter,
  type GroupRecord,
  GroupRepository,
  type GroupView,
} from './repositories/group.repository.js';
import { MembershipRepository, type MemberView } from './repositories/membership.repository.js';
import { lockWorkspace } from './workspace-lock.js';
import { scimOnlyProvisioningError, WorkspaceException } from './workspace.errors.js';

export type { GroupFilter, GroupView };

export interface CreateGroupInput {
  displayName: string;
  memberIds?: string[];
}

export interface UpdateGroupInput {
  displayName?: string;
  adminRole?: boolean;
}

const groupNotFound = () =>
  new WorkspaceException('GROUP_NOT_FOUND', 'No such group in this workspace.');

/** Lower-cased, de-duplicated ids in their first order. */
function distinctIds(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

function adminRoleSetBy(group: { adminRole: boolean; adminRoleByAdmin: boolean }) {
  return group.adminRole ? (group.adminRoleByAdmin ? 'admin' : 'scim') : null;
}

/**
 * Groups of a workspace. Every write locks the workspace first (so it serialises with member
 * deactivation, which empties the member's groups), writes the group row once (its SCIM version
 * moves once per request) and records its audit event in the same transaction. Writes by hand
 * (any channel but SCIM) are refused while the workspace uses only SCIM for provisioning, and on
 * groups pushed by SCIM — except a group's admin role, which an IdP like Okta cannot push and so
 * only an admin can set.
 */
@Injectable()
export class GroupService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly provisioning: ProvisioningService,
    private readonly groups: GroupRepository,
    private readonly groupMembers: GroupMemberRepository,
    private readonly memberships: MembershipRepository,
  ) {}

  async list(
    workspaceId: string,
    filter: GroupFilter,
    page: { limit: number; offset: number },
  ): Promise<Page<GroupView>> {
    return this.groups.page(this.dataSource.manager, workspaceId, filter, page);
  }

  /** The group with its member count; 404 for ids of other workspaces or malformed ids. */
  async get(workspaceId: string, groupId: string, tx?: EntityManager): Promise<GroupView> {
    if (!isUuid(groupId)) throw groupNotFound();
    const group = await this.groups.view(
      tx ?? this.dataSource.manager,
      workspaceId,
      groupId.toLowerCase(),
    );
    if (!group) throw groupNotFound();
    return group;
  }

  /** The members of a group, by email. */
  async listMembers(
    workspaceId: string,
    groupId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<MemberView>> {
    const group = await this.findGroup(this.dataSource.manager, workspaceId, groupId);
    return this.groupMembers.page(this.dataSource.manager, workspaceId, group.id, page);
  }

  /**
   * Creates a group, with its first members when `memberIds` are given: they must all be active
   * members of the workspace, else nothing is created. A group created through SCIM is marked
   * SCIM-managed (read-only to the admin API).
   */
  async create(
    workspaceId: string,
    input: CreateGroupInput,
    actor: AuditActor,
  ): Promise<GroupView> {
    return this.dataSource.transaction(async (tx) => {
      await this.lockForWrite(tx, workspaceId, actor);
      const memberIds = distinctIds(input.memberIds ?? []);
      await this.assertActiveMembers(tx, workspaceId, memberIds);
      const scimManaged = actor.channel === 'scim';
      let groupId: string;
      try {
        groupId = await this.groups.insert(tx, workspaceId, {
          displayName: input.displayName,
          scimManaged,
        });
      } catch (error) {
        throw this.translateWriteError(error, input.displayName);
      }
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.created',
        targetType: 'group',
        targetId: groupId,
        after: { displayName: input.displayName, scimManaged },
      });
      // A new group: its members are part of its first version.
      const group = { id: groupId, displayName: input.displayName, adminRole: false };
      const added = await this.groupMembers.add(tx, workspaceId, groupId, memberIds);
      await this.membersChanged(tx, workspaceId, group, 'group.member_added', added, actor);
      return this.get(workspaceId, groupId, tx);
    });
  }

  /**
   * Renames the group and/or sets its admin role. A rename is a write by hand like any other; the
   * admin role may be set on any group, even SCIM-managed ones and under the SCIM-only lock,
   * because IdPs like Okta cannot push it. Turning it off may not leave the workspace without an
   * active admin, and may not undo what the IdP itself set (Gatehouse group extension).
   */
  async update(
    workspaceId: string,
    groupId: string,
    input: UpdateGroupInput,
    actor: AuditActor,
  ): Promise<GroupView> {
    return this.dataSource.transaction(async (tx) => {
      const renames = input.displayName !== undefined;
      const workspace = await lockWorkspace(tx, workspaceId);
      if (renames && workspace.scimOnlyProvisioning && actor.channel !== 'scim') {
        throw scimOnlyProvisioningError();
      }
      const group = await this.findGroup(tx, workspaceId, groupId);
      if (renames) this.assertWritable(group, actor);
      const changes: GroupChanges = {};
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      if (renames && input.displayName !== group.displayName) {
        changes.displayName = input.displayName;
        before.displayName = group.displayName;
        after.displayName = input.displayName;
      }
      const roleChange =
        input.adminRole === undefined ? null : this.adminRoleChange(group, input.adminRole);
      if (roleChange) {
        Object.assign(changes, roleChange.wanted);
        Object.assign(before, roleChange.before);
        Object.assign(after, roleChange.after);
      }
      if (Object.keys(changes).length === 0) return this.get(workspaceId, group.id, tx);
      try {
        await this.groups.update(tx, workspaceId, { groupIds: [group.id] }, changes);
      } catch (error) {
        throw this.translateWriteError(error, input.displayName ?? group.displayName);
      }
      if (roleChange && group.adminRole !== input.adminRole) {
        await this.recomputeRoles(
          tx,
          workspaceId,
          await this.groupMembers.memberIds(tx, workspaceId, group.id),
          actor,
        );
      }
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.updated',
        targetType: 'group',
        targetId: group.id,
        before,
        after,
      });
      return this.get(workspaceId, group.id, tx);
    });
  }

  /**
   * An admin gives the group the admin role (owned by the admin from then on: the IdP's writes
   * keep it) or takes it away. Returns what changes, or null.
   */
  private adminRoleChange(group: GroupRecord, adminRole: boolean) {
    const wanted = { adminRole, adminRoleByAdmin: adminRole };
    if (
      group.adminRole === wanted.adminRole &&
      group.adminRoleByAdmin === wanted.adminRoleByAdmin
    ) {
      return null;
    }
    if (!adminRole && group.scimManaged && !group.adminRoleByAdmin) {
      throw new WorkspaceException(
        'SCIM_MANAGED',
        'The identity provider gives this group the admin role (Gatehouse group extension); change it there.',
        { groupId: group.id },
      );
    }
    return {
      wanted,
      before: { adminRole: group.adminRole, adminRoleSetBy: adminRoleSetBy(group) },
      after: { adminRole, adminRoleSetBy: adminRoleSetBy(wanted) },
    };
  }

  /**
   * Members the IdP manages are admins while in a group with the admin role: recomputed with
   * ProvisioningService's rule. Unlike the IdP's own changes, a change made here may not leave
   * the workspace without an active admin (the same rule as demoting one by hand).
   */
  private async recomputeRoles(
    tx: EntityManager,
    workspaceId: string,
    userIds: string[],
    actor: AuditActor,
  ): Promise<void> {
    if (userIds.length === 0) return;
    const adminsBefore = await this.memberships.countActiveAdmins(tx, workspaceId);
    await this.provisioning.recomputeRoles(tx, workspaceId, userIds, actor);
    if (adminsBefore > 0 && (await this.memberships.countActiveAdmins(tx, workspaceId)) === 0) {
      throw new WorkspaceException(
        'LAST_ADMIN',
        'A workspace must keep at least one active admin, and this change would demote the last one: promote another member first.',
      );
    }
  }

  /** Deletes the group; its memberships go with it (the foreign key cascades). */
  async remove(workspaceId: string, groupId: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.lockForWrite(tx, workspaceId, actor);
      const group = await this.findWritableGroup(tx, workspaceId, groupId, actor);
      const before = await this.get(workspaceId, group.id, tx);
      const members = group.adminRole
        ? await this.groupMembers.memberIds(tx, workspaceId, group.id)
        : [];
      await this.groups.remove(tx, workspaceId, group.id);
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.deleted',
        targetType: 'group',
        targetId: group.id,
        before: { displayName: before.displayName, memberCount: before.memberCount },
      });
      await this.recomputeRoles(tx, workspaceId, members, actor);
    });
  }

  /** Puts an active member of the workspace in the group; nothing changes if already there. */
  async addMember(
    workspaceId: string,
    groupId: string,
    userId: string,
    actor: AuditActor,
  ): Promise<void> {
    await this.addMembers(workspaceId, groupId, [userId], actor);
  }

  /**
   * Puts active members of the workspace in the group, in one statement; ids already in the group
   * are left as they are. Any unknown or deactivated id refuses the whole change.
   * Returns the ids that were added.
   */
  async addMembers(
    workspaceId: string,
    groupId: string,
    userIds: readonly string[],
    actor: AuditActor,
  ): Promise<string[]> {
    return this.dataSource.transaction(async (tx) => {
      await this.lockForWrite(tx, workspaceId, actor);
      const group = await this.findWritableGroup(tx, workspaceId, groupId, actor);
      const ids = distinctIds(userIds);
      await this.assertActiveMembers(tx, workspaceId, ids);
      const added = await this.groupMembers.add(tx, workspaceId, group.id, ids);
      await this.membersChanged(tx, workspaceId, group, 'group.member_added', added, actor);
      await this.touch(tx, workspaceId, group, added);
      return added;
    });
  }

  /** Takes a member of the workspace out of the group; nothing changes if not in it. */
  async removeMember(
    workspaceId: string,
    groupId: string,
    userId: string,
    actor: AuditActor,
  ): Promise<void> {
    await this.removeMembers(workspaceId, groupId, [userId], actor);
  }

  /**
   * Takes members of the workspace out of the group, in one statement. Ids that are members of
   * the workspace but not of the group are left as they are; ids that are not members of the
   * workspace refuse the whole change. Returns the ids that were removed.
   */
  async removeMembers(
    workspaceId: string,
    groupId: string,
    userIds: readonly string[],
    actor: AuditActor,
  ): Promise<string[]> {
    return this.dataSource.transaction(async (tx) => {
      await this.lockForWrite(tx, workspaceId, actor);
      const group = await this.findWritableGroup(tx, workspaceId, groupId, actor);
      const ids = distinctIds(userIds);
      const { missing } = await this.memberStatuses(tx, workspaceId, ids);
      if (missing.length > 0) throw memberNotFound(missing);
      const removed = await this.groupMembers.remove(tx, workspaceId, group.id, ids);
      await this.membersChanged(tx, workspaceId, group, 'group.member_removed', removed, actor);
      await this.touch(tx, workspaceId, group, removed);
      return removed;
    });
  }

  /**
   * Locks the workspace for a write and refuses hand-made changes (any channel but SCIM) while
   * the workspace uses only SCIM for provisioning.
   */
  async lockForWrite(
    tx: EntityManager,
    workspaceId: string,
    actor: AuditActor,
  ): Promise<Workspace> {
    const workspace = await lockWorkspace(tx, workspaceId);
    if (workspace.scimOnlyProvisioning && actor.channel !== 'scim') {
      throw scimOnlyProvisioningError();
    }
    return workspace;
  }

  /** The group of this workspace; 404 for ids of other workspaces or malformed ids. */
  async findGroup(tx: EntityManager, workspaceId: string, groupId: string): Promise<GroupRecord> {
    const group = isUuid(groupId)
      ? await this.groups.find(tx, workspaceId, groupId.toLowerCase())
      : null;
    if (!group) throw groupNotFound();
    return group;
  }

  /** Like findGroup, and refuses a group pushed by SCIM unless the caller is SCIM. */
  private async findWritableGroup(
    tx: EntityManager,
    workspaceId: string,
    groupId: string,
    actor: AuditActor,
  ): Promise<GroupRecord> {
    const group = await this.findGroup(tx, workspaceId, groupId);
    this.assertWritable(group, actor);
    return group;
  }

  private assertWritable(group: GroupRecord, actor: AuditActor): void {
    if (group.scimManaged && actor.channel !== 'scim') {
      throw new WorkspaceException(
        'SCIM_MANAGED',
        'This group is managed by the identity provider through SCIM; change it there.',
        { groupId: group.id },
      );
    }
  }

  /** Refuses unless every id is an active member of the workspace, naming the ones that are not. */
  private async assertActiveMembers(
    tx: EntityManager,
    workspaceId: string,
    userIds: string[],
  ): Promise<void> {
    const { missing, deactivated } = await this.memberStatuses(tx, workspaceId, userIds);
    if (missing.length > 0) throw memberNotFound(missing, deactivated);
    if (deactivated.length > 0) {
      throw new WorkspaceException(
        'MEMBER_DEACTIVATED',
        deactivated.length === 1
          ? 'That member is deactivated; reactivate them before adding them to a group.'
          : `${deactivated.length} of these members are deactivated; reactivate them before adding them to a group.`,
        { missingIds: [], deactivatedIds: deactivated },
      );
    }
  }

  /** Which of the ids are not members of the workspace, and which are deactivated members. */
  private async memberStatuses(
    tx: EntityManager,
    workspaceId: string,
    userIds: string[],
  ): Promise<{ missing: string[]; deactivated: string[] }> {
    const status = await this.memberships.statuses(tx, workspaceId, userIds.filter(isUuid));
    return {
      missing: userIds.filter((id) => !status.has(id)),
      deactivated: userIds.filter((id) => status.get(id) === 'deactivated'),
    };
  }

  /** The change is audited and, in an admin group, the roles of those who moved follow it. */
  private async membersChanged(
    tx: EntityManager,
    workspaceId: string,
    group: { id: string; displayName: string; adminRole: boolean },
    action: 'group.member_added' | 'group.member_removed',
    userIds: string[],
    actor: AuditActor,
  ): Promise<void> {
    if (userIds.length === 0) return;
    await this.audit.record(tx, workspaceId, actor, {
      action,
      targetType: 'group',
      targetId: group.id,
      details: { displayName: group.displayName, userIds },
    });
    if (group.adminRole) await this.recomputeRoles(tx, workspaceId, userIds, actor);
  }

  /** The group changed through its members: its version (SCIM ETag) moves. */
  private async touch(
    tx: EntityManager,
    workspaceId: string,
    group: { id: string },
    changed: string[],
  ): Promise<void> {
    if (changed.length > 0) await this.groups.update(tx, workspaceId, { groupIds: [group.id] }, {});
  }

  private translateWriteError(error: unknown, displayName: string): unknown {
    if (isUniqueViolation(error, 'groups_display_name_key')) {
      return new WorkspaceException(
        'GROUP_NAME_TAKEN',
        `A group named "${displayName}" already exists in this workspace.`,
        { displayName },
      );
    }
    return error;
  }
}

function memberNotFound(missing: string[], deactivated: string[] = []): WorkspaceException {
  return new WorkspaceException(
    'MEMBER_NOT_FOUND',
    missing.length === 1
      ? 'No such member in this workspace.'
      : `${missing.length} of these ids are not members of this workspace.`,
    { missingIds: missing, deactivatedIds: deactivated },
  );
}
