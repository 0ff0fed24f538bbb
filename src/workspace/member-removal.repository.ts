import type { EntityManager } from 'typeorm';
import type { AuditActor } from './actor.js';
import type { Page } from '../common/paging.js';
import { escapeLike } from '../common/sql.js';

/** A person an admin removed from the workspace by hand, as the admin API lists them. */
export interface MemberRemovalView {
  userId: string;
  email: string;
  fullName: string | null;
  removedAt: Date;
  removedBy: { channel: string; type: string; id: string | null; label: string | null };
}

interface RemovalRow {
  userId: string;
  email: string;
  fullName: string | null;
  removedAt: Date;
  channel: string;
  type: string;
  actorId: string | null;
  actorLabel: string | null;
}

/**
 * The member_removals table: one row per person an admin removed by hand from a workspace, kept
 * until the person is a member again (by an admin, an accepted invite or SCIM) or an admin deletes
 * it. Just-in-time sign-in reads it; every function takes the caller's transaction.
 */
export const memberRemovals = {
  async record(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    actor: AuditActor,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO member_removals
         (workspace_id, user_id, removed_by_channel, removed_by_type, removed_by_id, removed_by_label)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_id, user_id) DO UPDATE
         SET removed_at = now(), removed_by_channel = EXCLUDED.removed_by_channel,
             removed_by_type = EXCLUDED.removed_by_type, removed_by_id = EXCLUDED.removed_by_id,
             removed_by_label = EXCLUDED.removed_by_label`,
      [workspaceId, userId, actor.channel, actor.type, actor.id ?? null, actor.label ?? null],
    );
  },

  /** Deletes the record; true when there was one. */
  async clear(tx: EntityManager, workspaceId: string, userId: string): Promise<boolean> {
    const [, deleted]: [unknown[], number] = await tx.query(
      `DELETE FROM member_removals WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId],
    );
    return deleted > 0;
  },

  async exists(tx: EntityManager, workspaceId: string, userId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `SELECT 1 FROM member_removals WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId],
    );
    return rows.length > 0;
  },

  /** Newest first; `email` filters by part of the person's current email. */
  async list(
    tx: EntityManager,
    workspaceId: string,
    filter: { email?: string },
    page: { limit: number; offset: number },
  ): Promise<Page<MemberRemovalView>> {
    const params: unknown[] = [workspaceId];
    let where = 'r.workspace_id = $1';
    if (filter.email) {
      params.push(`%${escapeLike(filter.email)}%`);
      where += ` AND u.email LIKE $${params.length} ESCAPE '\\'`;
    }
    const from = `member_removals r JOIN users u ON u.id = r.user_id`;
    const [counted] = await tx.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM ${from} WHERE ${where}`,
      params,
    );
    const rows = await tx.query<RemovalRow[]>(
      `SELECT r.user_id AS "userId", u.email, u.full_name AS "fullName", r.removed_at AS "removedAt",
              r.removed_by_channel AS channel, r.removed_by_type AS type,
              r.removed_by_id AS "actorId", r.removed_by_label AS "actorLabel"
         FROM ${from} WHERE ${where}
        ORDER BY r.removed_at DESC, r.user_id
        LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    );
    return {
      items: rows.map((r) => ({
        userId: r.userId,
        email: r.email,
        fullName: r.fullName,
        removedAt: r.removedAt,
        removedBy: { channel: r.channel, type: r.type, id: r.actorId, label: r.actorLabel },
      })),
      total: counted?.total ?? 0,
      ...page,
    };
  },
};
