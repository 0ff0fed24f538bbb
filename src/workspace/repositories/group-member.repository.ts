import { Injectable } from '@nestjs/common';
import type { Page } from '../../common/paging.js';
import { MEMBER_COLUMNS, type MemberView } from './membership.repository.js';
import { type Db, returning, scoped } from './repository-support.js';

/**
 * The group_members table. Every write is one statement for the whole list of people: a push
 * of 10,000 members is one INSERT ... SELECT, never a round trip per person. These writes do not
 * move the group's lastModified: the caller writes the group once (GroupRepository.update).
 */
@Injectable()
export class GroupMemberRepository {
  /**
   * Puts these people in the group; only active members of the workspace get in, and people
   * already in it are left as they are. Returns the ids added.
   */
  async add(
    db: Db,
    workspaceId: string,
    groupId: string,
    userIds: readonly string[],
  ): Promise<string[]> {
    const ws = scoped(workspaceId);
    if (userIds.length === 0) return [];
    const rows = await db.query<{ user_id: string }[]>(
      `INSERT INTO group_members (workspace_id, group_id, user_id)
       SELECT m.workspace_id, $2::uuid, m.user_id FROM memberships m
        WHERE m.workspace_id = $1 AND m.user_id = ANY($3::uuid[]) AND m.status = 'active'
       ON CONFLICT DO NOTHING
       RETURNING user_id`,
      [ws, groupId, userIds],
    );
    return rows.map((r) => r.user_id);
  }

  /** Takes these people out of the group; returns the ids that were in it. */
  async remove(
    db: Db,
    workspaceId: string,
    groupId: string,
    userIds: readonly string[],
  ): Promise<string[]> {
    const ws = scoped(workspaceId);
    if (userIds.length === 0) return [];
    const rows = await returning<{ user_id: string }>(
      db,
      `DELETE FROM group_members
        WHERE workspace_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[])
       RETURNING user_id`,
      [ws, groupId, userIds],
    );
    return rows.map((r) => r.user_id);
  }

  /** Takes everyone but these people out of the group; returns the ids taken out. */
  async removeAllBut(
    db: Db,
    workspaceId: string,
    groupId: string,
    keptIds: readonly string[],
  ): Promise<string[]> {
    const rows = await returning<{ user_id: string }>(
      db,
      `DELETE FROM group_members
        WHERE workspace_id = $1 AND group_id = $2 AND NOT (user_id = ANY($3::uuid[]))
       RETURNING user_id`,
      [scoped(workspaceId), groupId, keptIds],
    );
    return rows.map((r) => r.user_id);
  }

  /** Takes the person out of every group of the workspace; returns the groups they left. */
  async removeFromAllGroups(db: Db, workspaceId: string, userId: string): Promise<string[]> {
    const rows = await returning<{ group_id: string }>(
      db,
      `DELETE FROM group_members WHERE workspace_id = $1 AND user_id = $2 RETURNING group_id`,
      [scoped(workspaceId), userId],
    );
    return rows.map((r) => r.group_id);
  }

  /** The ids of a group's members. */
  async memberIds(db: Db, workspaceId: string, groupId: string): Promise<string[]> {
    const rows = await db.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE workspace_id = $1 AND group_id = $2`,
      [scoped(workspaceId), groupId],
    );
    return rows.map((r) => r.user_id);
  }

  /** A page of a group's members by email, and their total. */
  async page(
    db: Db,
    workspaceId: string,
    groupId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<MemberView>> {
    const values = [scoped(workspaceId), groupId];
    const [items, [counted]] = await Promise.all([
      db.query<MemberView[]>(
        `SELECT ${MEMBER_COLUMNS}
           FROM group_members gm
           JOIN memberships m ON m.workspace_id = gm.workspace_id AND m.user_id = gm.user_id
           JOIN users u ON u.id = m.user_id
          WHERE gm.workspace_id = $1 AND gm.group_id = $2
          ORDER BY m.email, m.user_id
          LIMIT $3 OFFSET $4`,
        [...values, page.limit, page.offset],
      ),
      db.query<{ total: number }[]>(
        `SELECT count(*)::int AS total FROM group_members WHERE workspace_id = $1 AND group_id = $2`,
        values,
      ),
    ]);
    return { items, total: counted?.total ?? 0, ...page };
  }
}
