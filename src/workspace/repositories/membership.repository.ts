import { Injectable } from '@nestjs/common';
import type { Page } from '../../common/paging.js';
import { escapeLike } from '../../common/sql.js';
import { normalizeEmail } from '../email.js';
import type { MemberRole, MemberSource, MemberStatus } from '../entities/membership.entity.js';
import { affected, type Db, returning, scoped, TOUCHED_AT } from './repository-support.js';

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

/** A membership as the Workspace services read it: what the admin API shows, and SCIM's part. */
export interface MembershipRecord extends MemberView {
  scimUserName: string | null;
  scimAdmin: boolean;
}

export interface MemberFilter {
  status?: MemberStatus;
  role?: MemberRole;
  email?: string;
}

/** What the identity provider says about a member (SCIM). */
export interface ScimMemberFields {
  userName: string;
  externalId: string | null;
  data: object;
  admin: boolean;
}

export interface NewMembership {
  userId: string;
  role: MemberRole;
  source: MemberSource;
  scimManaged: boolean;
  scim?: ScimMemberFields;
}

/**
 * The role SCIM-managed members get from their identity provider: admin when it grants it, or
 * while they are in a group with the admin role. Members added by hand keep theirs.
 */
export const ROLE_GRANTED_BY_IDP = 'granted-by-idp';

export interface MembershipChanges {
  role?: MemberRole | typeof ROLE_GRANTED_BY_IDP;
  /** deactivated_at follows: now() when deactivated, NULL when active. */
  status?: MemberStatus;
  scimManaged?: boolean;
  scim?: ScimMemberFields;
}

/** Which memberships of the workspace an update writes. */
export type MembershipTarget = { userIds: readonly string[] } | { allScimManaged: true };

/** A membership whose role an update changed. */
export interface RoleOutcome {
  userId: string;
  role: MemberRole;
}

/** The columns of a MembershipRecord, over memberships m JOIN users u. */
export const MEMBER_COLUMNS = `m.user_id AS "userId", m.email, u.full_name AS "fullName", m.role,
  m.status, m.source, m.scim_managed AS "scimManaged", m.created_at AS "createdAt",
  m.updated_at AS "updatedAt", m.deactivated_at AS "deactivatedAt"`;

const RECORD_COLUMNS = `${MEMBER_COLUMNS}, m.scim_user_name AS "scimUserName",
  m.scim_admin AS "scimAdmin"`;

const ROLE_GRANTED_BY_IDP_SQL = `CASE
  WHEN NOT m.scim_managed THEN m.role
  WHEN m.scim_admin OR EXISTS (
         SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id
          WHERE gm.workspace_id = m.workspace_id AND gm.user_id = m.user_id AND g.admin_role)
    THEN 'admin'
  ELSE 'member' END`;

/** Another member of the workspace showing this userName ($1 workspace, $2 userName, $3 except). */
export const USER_NAME_TAKEN_SQL = `SELECT user_id FROM memberships
  WHERE workspace_id = $1 AND user_name_key = lower($2::text)
    AND ($3::uuid IS NULL OR user_id <> $3::uuid)
  LIMIT 1`;

/** The active admins of a workspace ($1), counted on memberships_active_admins_idx. */
export const ACTIVE_ADMINS_SQL = `SELECT count(*)::int AS admins FROM memberships
  WHERE workspace_id = $1 AND role = 'admin' AND status = 'active'`;

/** Whether an active admin other than $2 is left in workspace $1 (the same index). */
export const OTHER_ACTIVE_ADMIN_SQL = `SELECT EXISTS (
    SELECT 1 FROM memberships
     WHERE workspace_id = $1 AND role = 'admin' AND status = 'active' AND user_id <> $2
  ) AS found`;

/** The SQL of an admin member list page and of its total (exported for the query-plan tests). */
export function memberPageQuery(
  workspaceId: string,
  filter: MemberFilter,
  page: { limit: number; offset: number },
) {
  const conditions = ['m.workspace_id = $1'];
  const values: unknown[] = [scoped(workspaceId)];
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
    pageSql: `SELECT ${MEMBER_COLUMNS}
                FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE ${where}
               ORDER BY m.email, m.user_id
               LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
    pageValues: [...values, page.limit, page.offset],
    countSql: `SELECT count(*)::int AS total FROM memberships m WHERE ${where}`,
    values,
  };
}

/**
 * The memberships table (with the person each joins, for reads). The one INSERT and the one
 * UPDATE of a membership are here, so every write bumps its version; services keep the rules,
 * the audit, the transaction and the locks.
 */
@Injectable()
export class MembershipRepository {
  /** The membership with its person, or null. */
  async find(db: Db, workspaceId: string, userId: string): Promise<MembershipRecord | null> {
    const [row] = await db.query<MembershipRecord[]>(
      `SELECT ${RECORD_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 AND m.user_id = $2`,
      [scoped(workspaceId), userId],
    );
    return row ?? null;
  }

  /** The membership of the person with this (normalised) email, or null. */
  async findByEmail(
    db: Db,
    workspaceId: string,
    email: string,
  ): Promise<{ userId: string; status: MemberStatus } | null> {
    const [row] = await db.query<{ userId: string; status: MemberStatus }[]>(
      `SELECT user_id AS "userId", status FROM memberships WHERE workspace_id = $1 AND email = $2`,
      [scoped(workspaceId), email],
    );
    return row ?? null;
  }

  /** The status of each of these people who is a member. */
  async statuses(
    db: Db,
    workspaceId: string,
    userIds: readonly string[],
  ): Promise<Map<string, MemberStatus>> {
    const ws = scoped(workspaceId);
    if (userIds.length === 0) return new Map();
    const rows = await db.query<{ user_id: string; status: MemberStatus }[]>(
      `SELECT user_id, status FROM memberships WHERE workspace_id = $1 AND user_id = ANY($2::uuid[])`,
      [ws, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.status]));
  }

  /** A page of members ordered by email, and their total, on memberships_email_idx. */
  async page(
    db: Db,
    workspaceId: string,
    filter: MemberFilter,
    page: { limit: number; offset: number },
  ): Promise<Page<MemberView>> {
    const query = memberPageQuery(workspaceId, filter, page);
    const [items, [count]] = await Promise.all([
      db.query<MemberView[]>(query.pageSql, query.pageValues),
      db.query<{ total: number }[]>(query.countSql, query.values),
    ]);
    return { items, total: count?.total ?? 0, ...page };
  }

  async countActiveAdmins(db: Db, workspaceId: string): Promise<number> {
    const [row] = await db.query<{ admins: number }[]>(ACTIVE_ADMINS_SQL, [scoped(workspaceId)]);
    return row?.admins ?? 0;
  }

  async hasOtherActiveAdmin(db: Db, workspaceId: string, exceptUserId: string): Promise<boolean> {
    const [row] = await db.query<{ found: boolean }[]>(OTHER_ACTIVE_ADMIN_SQL, [
      scoped(workspaceId),
      exceptUserId,
    ]);
    return row?.found ?? false;
  }

  /** Whether another member than `exceptUserId` shows this userName (memberships_user_name_key). */
  async userNameTaken(
    db: Db,
    workspaceId: string,
    userName: string,
    exceptUserId: string | null,
  ): Promise<boolean> {
    const rows = await db.query<unknown[]>(USER_NAME_TAKEN_SQL, [
      scoped(workspaceId),
      userName,
      exceptUserId,
    ]);
    return rows.length > 0;
  }

  /** The one INSERT of a membership; it starts active. */
  async insert(db: Db, workspaceId: string, membership: NewMembership): Promise<void> {
    const scim = membership.scim;
    await db.query(
      `INSERT INTO memberships (workspace_id, user_id, role, status, source, scim_managed,
                                scim_user_name, scim_external_id, scim_data, scim_admin)
       VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8::jsonb, $9)`,
      [
        scoped(workspaceId),
        membership.userId,
        membership.role,
        membership.source,
        membership.scimManaged,
        scim?.userName ?? null,
        scim?.externalId ?? null,
        scim ? JSON.stringify(scim.data) : null,
        scim?.admin ?? false,
      ],
    );
  }

  /**
   * The one UPDATE of memberships: writes `changes`, bumps each row's version (its SCIM ETag) and
   * moves its lastModified. Set-based (one statement for every target). A change of the role
   * alone to ROLE_GRANTED_BY_IDP writes only the rows whose role it changes. Returns the written
   * rows' roles.
   */
  async update(
    db: Db,
    workspaceId: string,
    target: MembershipTarget,
    changes: MembershipChanges,
  ): Promise<RoleOutcome[]> {
    const values: unknown[] = [scoped(workspaceId)];
    const param = (value: unknown, cast = '') => {
      values.push(value);
      return `$${values.length}${cast}`;
    };
    const where = ['m.workspace_id = $1'];
    if ('userIds' in target) {
      if (target.userIds.length === 0) return [];
      where.push(`m.user_id = ANY(${param(target.userIds, '::uuid[]')})`);
    } else {
      where.push('m.scim_managed');
    }
    const set: string[] = [];
    if (changes.status !== undefined) {
      const status = param(changes.status, '::text');
      set.push(`status = ${status}`);
      set.push(`deactivated_at = CASE WHEN ${status} = 'deactivated' THEN now() END`);
    }
    if (changes.scimManaged !== undefined) set.push(`scim_managed = ${param(changes.scimManaged)}`);
    if (changes.scim) {
      set.push(`scim_user_name = ${param(changes.scim.userName)}`);
      set.push(`scim_external_id = ${param(changes.scim.externalId)}`);
      set.push(`scim_data = ${param(JSON.stringify(changes.scim.data), '::jsonb')}`);
      set.push(`scim_admin = ${param(changes.scim.admin)}`);
    }
    if (changes.role === ROLE_GRANTED_BY_IDP) {
      set.push(`role = ${ROLE_GRANTED_BY_IDP_SQL}`);
      if (set.length === 1) where.push(`m.role <> ${ROLE_GRANTED_BY_IDP_SQL}`);
    } else if (changes.role !== undefined) {
      set.push(`role = ${param(changes.role)}`);
    }
    set.push('version = version + 1', `updated_at = ${TOUCHED_AT}`);
    return returning<RoleOutcome>(
      db,
      `UPDATE memberships m SET ${set.join(', ')} WHERE ${where.join(' AND ')}
       RETURNING m.user_id AS "userId", m.role`,
      values,
    );
  }

  /** Deletes the membership (its group memberships go with it: the foreign key cascades). */
  async remove(db: Db, workspaceId: string, userId: string): Promise<boolean> {
    const count = await affected(
      db,
      `DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2`,
      [scoped(workspaceId), userId],
    );
    return count > 0;
  }

  /**
   * Locks these memberships (in one order, so two lockers cannot deadlock) until the transaction
   * ends: a concurrent change of the same people's roles waits, then sees this one's result.
   */
  async lock(db: Db, workspaceId: string, userIds: readonly string[]): Promise<void> {
    const ws = scoped(workspaceId);
    if (userIds.length === 0) return;
    await db.query(
      `SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = ANY($2::uuid[])
        ORDER BY user_id FOR NO KEY UPDATE`,
      [ws, userIds],
    );
  }
}
