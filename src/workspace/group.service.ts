import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../common/actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { escapeLike } from '../common/sql.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { Group, GroupMember } from './entities/group.entity.js';
import { Membership } from './entities/membership.entity.js';
import type { Workspace } from './entities/workspace.entity.js';
import { type MemberView, toMemberView } from './member.service.js';
import { ProvisioningService } from './provisioning.service.js';
import { lockWorkspace } from './workspace-lock.js';
import { scimOnlyProvisioningError, WorkspaceException } from './workspace.errors.js';

/** A group as the admin API shows it; `memberCount` is counted in SQL. */
export interface GroupView {
  id: string;
  displayName: string;
  scimManaged: boolean;
  /** SCIM-managed members of the group are admins while in it. */
  adminRole: boolean;
  /** Who gave the group the admin role: an admin here, or the IdP's Gatehouse extension. */
  adminRoleSetBy: 'admin' | 'scim' | null;
  memberCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupFilter {
  displayName?: string;
}

export interface CreateGroupInput {
  displayName: string;
  memberIds?: string[];
}

export interface UpdateGroupInput {
  displayName?: string;
  adminRole?: boolean;
}

const GROUP_COLUMNS = `
  g.id,
  g.display_name AS "displayName",
  g.scim_managed AS "scimManaged",
  g.admin_role AS "adminRole",
  CASE WHEN NOT g.admin_role THEN NULL WHEN g.admin_role_by_admin THEN 'admin' ELSE 'scim' END
    AS "adminRoleSetBy",
  (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id)::int AS "memberCount",
  g.created_at AS "createdAt",
  g.updated_at AS "updatedAt"`;

/** Strictly later than the last write, so the group's SCIM ETag changes (as the SCIM side does). */
const BUMP_UPDATED_AT = `greatest(clock_timestamp(), updated_at + interval '1 millisecond')`;

const groupNotFound = () =>
  new WorkspaceException('GROUP_NOT_FOUND', 'No such group in this workspace.');

/** Lower-cased, de-duplicated ids in their first order. */
function distinctIds(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

/**
 * Groups of a workspace. Every write locks the workspace first (so it serialises with member
 * deactivation, which empties the member's groups) and records its audit event in the same
 * transaction. Writes by hand (any channel but SCIM) are refused while the workspace uses only
 * SCIM for provisioning, and on groups pushed by SCIM — except a group's admin role, which an
 * IdP like Okta cannot push and so only an admin can set.
 */
@Injectable()
export class GroupService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly provisioning: ProvisioningService,
  ) {}

  async list(
    workspaceId: string,
    filter: GroupFilter,
    page: { limit: number; offset: number },
  ): Promise<Page<GroupView>> {
    const params: unknown[] = [workspaceId];
    let where = 'g.workspace_id = $1';
    if (filter.displayName) {
      params.push(`%${escapeLike(filter.displayName)}%`);
      where += ` AND g.display_name ILIKE $${params.length} ESCAPE '\\'`;
    }
    const [counted] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM groups g WHERE ${where}`,
      params,
    );
    const items = await this.dataSource.query<GroupView[]>(
      `SELECT ${GROUP_COLUMNS} FROM groups g WHERE ${where}
       ORDER BY lower(g.display_name), g.id
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    );
    return { items, total: counted?.total ?? 0, ...page };
  }

  /** The group with its member count; 404 for ids of other workspaces or malformed ids. */
  async get(workspaceId: string, groupId: string, tx?: EntityManager): Promise<GroupView> {
    if (!isUuid(groupId)) throw groupNotFound();
    const [group] = await (tx ?? this.dataSource.manager).query<GroupView[]>(
      `SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.workspace_id = $1 AND g.id = $2`,
      [workspaceId, groupId],
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
    await this.findGroup(this.dataSource.manager, workspaceId, groupId);
    const [rows, total] = await this.dataSource
      .getRepository(Membership)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.user', 'u')
      .innerJoin(GroupMember, 'gm', 'gm.workspace_id = m.workspace_id AND gm.user_id = m.user_id')
      .where('m.workspace_id = :workspaceId', { workspaceId })
      .andWhere('gm.group_id = :groupId', { groupId: groupId.toLowerCase() })
      .orderBy('u.email', 'ASC')
      .limit(page.limit)
      .offset(page.offset)
      .getManyAndCount();
    return { items: rows.map(toMemberView), total, ...page };
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
      let group: Group;
      try {
        group = await tx.save(
          tx.create(Group, {
            workspaceId,
            displayName: input.displayName,
            scimManaged: actor.channel === 'scim',
          }),
        );
      } catch (error) {
        throw this.translateWriteError(error, input.displayName);
      }
      await this.audit.record(tx, workspaceId, actor, {
        action: 'group.created',
        targetType: 'group',
        targetId: group.id,
        after: { displayName: group.displayName, scimManaged: group.scimManaged },
      });
      await this.insertMembers(tx, workspaceId, group, memberIds, actor);
      return this.get(workspaceId, group.id, tx);
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
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      if (renames && input.displayName !== group.displayName) {
        try {
          await tx.update(Group, { id: group.id, workspaceId }, { displayName: input.displayName });
        } catch (error) {
          throw this.translateWriteError(error, input.displayName!);
        }
        before.displayName = group.displayName;
        after.displayName = input.displayName;
      }
      if (input.adminRole !== undefined) {
        const changed = await this.setAdminRole(tx, workspaceId, group, input.adminRole, actor);
        Object.assign(before, changed?.before);
        Object.assign(after, changed?.after);
      }
      if (Object.keys(after).length > 0) {
        await tx.query(`UPDATE groups SET updated_at = ${BUMP_UPDATED_AT} WHERE id = $1`, [
          group.id,
        ]);
        await this.audit.record(tx, workspaceId, actor, {
          action: 'group.updated',
          targetType: 'group',
          targetId: group.id,
          before,
          after,
        });
      }
      return this.get(workspaceId, group.id, tx);
    });
  }

  /**
   * An admin gives the group the admin role (owned by the admin from then on: the IdP's writes
   * keep it) or takes it away. Returns what changed, or null.
   */
  private async setAdminRole(
    tx: EntityManager,
    workspaceId: string,
    group: Group,
    adminRole: boolean,
    actor: AuditActor,
  ): Promise<{ before: Record<string, unknown>; after: Record<string, unknown> } | null> {
    const setBy = (g: { adminRole: boolean; adminRoleByAdmin: boolean }) =>
      g.adminRole ? (g.adminRoleByAdmin ? 'admin' : 'scim') : null;
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
    await tx.update(Group, { id: group.id, workspaceId }, wanted);
    if (group.adminRole !== adminRole) {
      await this.recomputeRoles(
        tx,
        workspaceId,
        await this.provisioning.groupMemberIds(tx, workspaceId, group.id),
        actor,
      );
    }
    return {
      before: { adminRole: group.adminRole, adminRoleSetBy: setBy(group) },
      after: { adminRole, adminRoleSetBy: setBy(wanted) },
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
    const adminsBefore = await this.provisioning.countActiveAdmins(tx, workspaceId);
    await this.provisioning.recomputeRoles(tx, workspaceId, userIds, actor);
    if (adminsBefore > 0 && (await this.provisioning.countActiveAdmins(tx, workspaceId)) === 0) {
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
        ? await this.provisioning.groupMemberIds(tx, workspaceId, group.id)
        : [];
      await tx.delete(Group, { id: group.id, workspaceId });
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
      return this.insertMembers(tx, workspaceId, group, ids, actor);
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
      if (ids.length === 0) return [];
      const [rows] = await tx.query<[{ user_id: string }[], number]>(
        `DELETE FROM group_members
         WHERE workspace_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[])
         RETURNING user_id`,
        [workspaceId, group.id, ids],
      );
      const removed = rows.map((r) => r.user_id);
      await this.membersChanged(tx, workspaceId, group, 'group.member_removed', removed, actor);
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
  async findGroup(tx: EntityManager, workspaceId: string, groupId: string): Promise<Group> {
    const group = isUuid(groupId)
      ? await tx.findOneBy(Group, { id: groupId.toLowerCase(), workspaceId })
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
  ): Promise<Group> {
    const group = await this.findGroup(tx, workspaceId, groupId);
    this.assertWritable(group, actor);
    return group;
  }

  private assertWritable(group: Group, actor: AuditActor): void {
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
    const wellFormed = userIds.filter(isUuid);
    const rows =
      wellFormed.length === 0
        ? []
        : await tx.query<{ user_id: string; status: string }[]>(
            `SELECT user_id, status FROM memberships
             WHERE workspace_id = $1 AND user_id = ANY($2::uuid[])`,
            [workspaceId, wellFormed],
          );
    const status = new Map(rows.map((r) => [r.user_id, r.status]));
    return {
      missing: userIds.filter((id) => !status.has(id)),
      deactivated: userIds.filter((id) => status.get(id) === 'deactivated'),
    };
  }

  /** One INSERT ... SELECT for all ids; only active members of the workspace get in. */
  private async insertMembers(
    tx: EntityManager,
    workspaceId: string,
    group: Group,
    userIds: string[],
    actor: AuditActor,
  ): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await tx.query<{ user_id: string }[]>(
      `INSERT INTO group_members (workspace_id, group_id, user_id)
       SELECT m.workspace_id, $2::uuid, m.user_id
       FROM memberships m
       WHERE m.workspace_id = $1 AND m.user_id = ANY($3::uuid[]) AND m.status = 'active'
       ON CONFLICT DO NOTHING
       RETURNING user_id`,
      [workspaceId, group.id, userIds],
    );
    const added = rows.map((r) => r.user_id);
    await this.membersChanged(tx, workspaceId, group, 'group.member_added', added, actor);
    return added;
  }

  /** The group's version moves (its SCIM ETag) and the change is audited, when anything changed. */
  private async membersChanged(
    tx: EntityManager,
    workspaceId: string,
    group: Group,
    action: 'group.member_added' | 'group.member_removed',
    userIds: string[],
    actor: AuditActor,
  ): Promise<void> {
    if (userIds.length === 0) return;
    await tx.query(`UPDATE groups SET updated_at = now() WHERE id = $1`, [group.id]);
    await this.audit.record(tx, workspaceId, actor, {
      action,
      targetType: 'group',
      targetId: group.id,
      details: { displayName: group.displayName, userIds },
    });
    if (group.adminRole) await this.recomputeRoles(tx, workspaceId, userIds, actor);
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
