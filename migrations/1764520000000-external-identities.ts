import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identities of an external provider bound to an account by their immutable ids (Office365:
 * the Entra tenant `tid` and object `oid`), so a later sign-in never relies on a mutable email.
 */
export class ExternalIdentities1764520000000 implements MigrationInterface {
  name = 'ExternalIdentities1764520000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE external_identities (
        provider text NOT NULL CHECK (provider IN ('office365')),
        tenant_id text NOT NULL CHECK (tenant_id <> ''),
        subject text NOT NULL CHECK (subject <> ''),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, tenant_id, subject)
      )`);
    await db.query(`CREATE INDEX external_identities_user_idx ON external_identities (user_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE external_identities`);
  }
}
