import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The active admins of a workspace, counted by the last-admin rule (admin API) and the
 * no-active-admin record (SCIM) in O(admins) instead of a scan of every membership. A partial
 * index rather than a maintained counter: it stays right whatever writes memberships (cascades,
 * bulk role recomputes, deletions) with no trigger or bookkeeping to forget, and user_id in it
 * lets "another active admin than this one" be answered from the index alone.
 */
export class AdminCountIndex1764550000000 implements MigrationInterface {
  name = 'AdminCountIndex1764550000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX memberships_active_admins_idx ON memberships (workspace_id, user_id)
        WHERE role = 'admin' AND status = 'active'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX memberships_active_admins_idx`);
  }
}
