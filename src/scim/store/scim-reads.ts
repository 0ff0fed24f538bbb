import { Injectable } from '@nestjs/common';
import { PreparedStatements } from '../../database/prepared-statements.js';
import {
  type Db,
  outsideTransaction,
  readSource,
  scoped,
} from '../../workspace/repositories/repository-support.js';
import type { ListQuery } from '../protocol/list-query.js';
import {
  GROUPS,
  SCIM_GROUP_COLUMNS,
  type ScimGroupMemberRow,
  type ScimGroupRow,
} from './groups.table.js';
import { findPage } from './scim-page.js';
import {
  SCIM_USER_COLUMNS,
  SCIM_USER_GROUPS,
  type ScimUserGroup,
  type ScimUserRow,
  USERS,
  USERS_WITH_GROUPS,
} from './users.table.js';

/**
 * The SCIM read model: Users and Groups as SCIM shows them, read from the Workspace module's
 * tables (memberships, users, groups, group_members), every query scoped by workspace. SCIM
 * writes go through the Workspace module's ProvisioningService, never through here.
 *
 * A read outside a transaction runs on the pool as a named prepared statement
 * (PreparedStatements.built: planned once per connection); inside one (a write that checks the
 * ETag it read), on that transaction's connection, since it must see its rows.
 */
@Injectable()
export class ScimReads {
  constructor(private readonly statements: PreparedStatements) {}

  /**
   * A page of SCIM Users and the exact total (list reads run outside a transaction), with each
   * User's groups when asked, in the same statement.
   */
  async userPage(
    db: Db,
    workspaceId: string,
    query: ListQuery,
    options: { groups: boolean },
  ): Promise<{ rows: (ScimUserRow & { groups?: ScimUserGroup[] })[]; total: number }> {
    outsideTransaction(db);
    const table = options.groups ? USERS_WITH_GROUPS : USERS;
    return findPage(this.statements.built, table, scoped(workspaceId), query);
  }

  /** One SCIM User, with its groups when asked (one statement either way), or null. */
  async user(
    db: Db,
    workspaceId: string,
    userId: string,
    options: { groups: boolean },
  ): Promise<(ScimUserRow & { groups: ScimUserGroup[] | null }) | null> {
    const groups = options.groups ? SCIM_USER_GROUPS : 'NULL';
    const [row] = await readSource(db, this.statements).query<
      (ScimUserRow & { groups: ScimUserGroup[] | null })[]
    >(
      `SELECT ${SCIM_USER_COLUMNS}, ${groups} AS groups
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 AND m.user_id = $2`,
      [scoped(workspaceId), userId],
    );
    return row ?? null;
  }

  /** A page of SCIM Groups and the exact total (list reads run outside a transaction). */
  async groupPage(
    db: Db,
    workspaceId: string,
    query: ListQuery,
  ): Promise<{ rows: ScimGroupRow[]; total: number }> {
    outsideTransaction(db);
    return findPage<ScimGroupRow>(this.statements.built, GROUPS, scoped(workspaceId), query);
  }

  /** One SCIM Group, or null; `lock` holds it for a write that checked its ETag. */
  async group(
    db: Db,
    workspaceId: string,
    groupId: string,
    options: { lock?: boolean } = {},
  ): Promise<ScimGroupRow | null> {
    const [row] = await readSource(db, this.statements).query<ScimGroupRow[]>(
      `SELECT ${SCIM_GROUP_COLUMNS} FROM groups g WHERE g.workspace_id = $1 AND g.id = $2
       ${options.lock ? 'FOR NO KEY UPDATE' : ''}`,
      [scoped(workspaceId), groupId],
    );
    return row ?? null;
  }

  /** The members of several SCIM Groups, in one query, in the order they joined. */
  async membersOf(
    db: Db,
    workspaceId: string,
    groupIds: readonly string[],
  ): Promise<ScimGroupMemberRow[]> {
    const ws = scoped(workspaceId);
    if (groupIds.length === 0) return [];
    return db.query<ScimGroupMemberRow[]>(
      `SELECT gm.group_id, gm.user_id, coalesce(u.full_name, u.email) AS display
         FROM group_members gm JOIN users u ON u.id = gm.user_id
        WHERE gm.workspace_id = $1 AND gm.group_id = ANY($2::uuid[])
        ORDER BY gm.created_at, gm.user_id`,
      [ws, groupIds],
    );
  }
}
