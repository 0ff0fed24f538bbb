import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts are shared by every workspace a person belongs to; the workspace that created an
 * account is one of the facts that decide who may change what signs it in (docs/security.md).
 */
export class AccountOwnership1764510000000 implements MigrationInterface {
  name = 'AccountOwnership1764510000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE users ADD COLUMN created_by_workspace_id uuid REFERENCES workspaces (id) ON DELETE SET NULL`,
    );
    // Existing accounts: the workspace they first joined made them.
    await db.query(`
      UPDATE users u SET created_by_workspace_id = first.workspace_id
        FROM (SELECT DISTINCT ON (user_id) user_id, workspace_id
                FROM memberships ORDER BY user_id, created_at, workspace_id) first
       WHERE first.user_id = u.id`);
    await db.query(
      `CREATE INDEX users_created_by_workspace_idx ON users (created_by_workspace_id)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN created_by_workspace_id`);
  }
}
