import { Injectable } from '@nestjs/common';
import type { Page } from '../../common/paging.js';
import { escapeLike } from '../../common/sql.js';
import { type Db, returning, scoped, TOUCHED_AT } from './repository-support.js';

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

/** A group as the Workspace services read it. */
export interface GroupRecord {
  id: string;
  displayName: string;
  scimManaged: boolean;
  scimExternalId: string | null;
  adminRole: boolean;
  /** The admin role was set in Gatehouse by an admin: an IdP write never clears it. */
  adminRoleByAdmin: boolean;
}

export interface NewGroup {
  displayName: string;
  scimManaged: boolean;
  scimExternalId?: string | null;
  adminRole?: boolean;
}

export interface GroupChanges {
  displayName?: string;
  scimManaged?: boolean;
  scimExternalId?: string | null;
  adminRole?: boolean;
  adminRoleByAdmin?: boolean;
}

/** Which groups of the workspace an update writes. */
export type GroupTarget = { groupIds: readonly string[] } | { allScimManaged: true };

const VIEW_COLUMNS = `
  g.id,
  g.display_name AS "displayName",
  g.scim_managed AS "scimManaged",
  g.admin_role AS "adminRole",
  CASE WHEN NOT g.admin_role THEN NULL WHEN g.admin_role_by_admin THEN 'admin' ELSE 'scim' END
    AS "adminRoleSetBy",
  (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id)::int AS "memberCount",
  g.created_at AS "createdAt",
  g.updated_at AS "updatedAt"`;

const RECORD_COLUMNS = `g.id, g.display_name AS "displayName", g.scim_managed AS "scimManaged",
  g.scim_external_id AS "scimExternalId", g.admin_role AS "adminRole",
  g.admin_role_by_admin AS "adminRoleByAdmin"`;

/**
 * The groups table. The one INSERT and the one UPDATE of a group are here; the update bumps the
 * group's version (its SCIM ETag) and moves its lastModified, so callers write a group once per
 * request, whatever the request changed.
 */
@Injectable()
export class GroupRepository {
  /** The group, or null; `lock` keeps others from writing it until the transaction ends. */
  async find(
    db: Db,
    workspaceId: string,
    groupId: string,
    options: { lock?: boolean } = {},
  ): Promise<GroupRecord | null> {
    const [row] = await db.query<GroupRecord[]>(
      `SELECT ${RECORD_COLUMNS} FROM groups g WHERE g.workspace_id = $1 AND g.id = $2
       ${options.lock ? 'FOR NO KEY UPDATE' : ''}`,
      [scoped(workspaceId), groupId],
    );
    return row ?? null;
  }

  /** The group with this name (any case), locked until the transaction ends, or null. */
  async lockByName(db: Db, workspaceId: string, displayName: string): Promise<GroupRecord | null> {
    const [row] = await db.query<GroupRecord[]>(
      `SELECT ${RECORD_COLUMNS} FROM groups g
        WHERE g.workspace_id = $1 AND lower(g.display_name) = lower($2)
        FOR UPDATE`,
      [scoped(workspaceId), displayName],
    );
    return row ?? null;
  }

  /** The group with its member count, or null. */
  async view(db: Db, workspaceId: string, groupId: string): Promise<GroupView | null> {
    const [row] = await db.query<GroupView[]>(
      `SELECT ${VIEW_COLUMNS} FROM groups g WHERE g.workspace_id = $1 AND g.id = $2`,
      [scoped(workspaceId), groupId],
    );
    return row ?? null;
  }

  /** A page of groups by name, and their total. */
  async page(
    db: Db,
    workspaceId: string,
    filter: GroupFilter,
    page: { limit: number; offset: number },
  ): Promise<Page<GroupView>> {
    const values: unknown[] = [scoped(workspaceId)];
    let where = 'g.workspace_id = $1';
    if (filter.displayName) {
      values.push(`%${escapeLike(filter.displayName)}%`);
      where += ` AND g.display_name ILIKE $${values.length} ESCAPE '\\'`;
    }
    const [[counted], items] = await Promise.all([
      db.query<{ total: number }[]>(
        `SELECT count(*)::int AS total FROM groups g WHERE ${where}`,
        values,
      ),
      db.query<GroupView[]>(
        `SELECT ${VIEW_COLUMNS} FROM groups g WHERE ${where}
         ORDER BY lower(g.display_name), g.id
         LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
        [...values, page.limit, page.offset],
      ),
    ]);
    return { items, total: counted?.total ?? 0, ...page };
  }

  /** The one INSERT of a group; returns its id. */
  async insert(db: Db, workspaceId: string, group: NewGroup): Promise<string> {
    const [row] = await db.query<{ id: string }[]>(
      `INSERT INTO groups (workspace_id, display_name, scim_managed, scim_external_id, admin_role)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING id`,
      [
        scoped(workspaceId),
        group.displayName,
        group.scimManaged,
        group.scimExternalId ?? null,
        group.adminRole ?? false,
      ],
    );
    return row!.id;
  }

  /**
   * The one UPDATE of groups: writes `changes` (none: the group changed through its members),
   * bumps the version and moves lastModified, set-based. Returns the ids it wrote.
   */
  async update(
    db: Db,
    workspaceId: string,
    target: GroupTarget,
    changes: GroupChanges,
  ): Promise<string[]> {
    const values: unknown[] = [scoped(workspaceId)];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const where = ['workspace_id = $1'];
    if ('groupIds' in target) {
      if (target.groupIds.length === 0) return [];
      where.push(`id = ANY(${param(target.groupIds)}::uuid[])`);
    } else {
      where.push('scim_managed');
    }
    const set: string[] = [];
    if (changes.displayName !== undefined) set.push(`display_name = ${param(changes.displayName)}`);
    if (changes.scimManaged !== undefined) set.push(`scim_managed = ${param(changes.scimManaged)}`);
    if (changes.scimExternalId !== undefined) {
      set.push(`scim_external_id = ${param(changes.scimExternalId)}`);
    }
    if (changes.adminRole !== undefined) set.push(`admin_role = ${param(changes.adminRole)}`);
    if (changes.adminRoleByAdmin !== undefined) {
      set.push(`admin_role_by_admin = ${param(changes.adminRoleByAdmin)}`);
    }
    set.push('version = version + 1', `updated_at = ${TOUCHED_AT}`);
    const rows = await returning<{ id: string }>(
      db,
      `UPDATE groups SET ${set.join(', ')} WHERE ${where.join(' AND ')} RETURNING id`,
      values,
    );
    return rows.map((r) => r.id);
  }

  /** Deletes the group (its memberships go with it: the foreign key cascades), or null. */
  async remove(
    db: Db,
    workspaceId: string,
    groupId: string,
  ): Promise<{ displayName: string; adminRole: boolean } | null> {
    const [row] = await returning<{ displayName: string; adminRole: boolean }>(
      db,
      `DELETE FROM groups WHERE workspace_id = $1 AND id = $2
       RETURNING display_name AS "displayName", admin_role AS "adminRole"`,
      [scoped(workspaceId), groupId],
    );
    return row ?? null;
  }
}
