import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Members an admin removed by hand, so just-in-time sign-in does not bring them back until an
 * admin re-adds or invites them (or the IdP provisions them by SCIM); and who set a group's admin
 * role, so an IdP that cannot send it (Okta's group push) does not clear one an admin set.
 */
export class MemberRemovals1764530000000 implements MigrationInterface {
  name = 'MemberRemovals1764530000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE member_removals (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        removed_at timestamptz NOT NULL DEFAULT now(),
        removed_by_channel text NOT NULL,
        removed_by_type text NOT NULL,
        removed_by_id text,
        removed_by_label text,
        PRIMARY KEY (workspace_id, user_id)
      )`);
    await db.query(
      `CREATE INDEX member_removals_workspace_idx ON member_removals (workspace_id, removed_at DESC)`,
    );
    await db.query(`CREATE INDEX member_removals_user_idx ON member_removals (user_id)`);
    await db.query(
      `ALTER TABLE groups ADD COLUMN admin_role_by_admin boolean NOT NULL DEFAULT false`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE groups DROP COLUMN admin_role_by_admin`);
    await db.query(`DROP TABLE member_removals`);
  }
}
