import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A member made just in time names the sign-in method that made it (`office365`, `oidc`), as
 * SAML's did (`saml`); before, Office365 and OpenID Connect ones said `manual`. Reverting turns
 * them back into `manual`.
 */
export class JustInTimeSources1764620000000 implements MigrationInterface {
  name = 'JustInTimeSources1764620000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE memberships DROP CONSTRAINT memberships_source_check`);
    await db.query(`
      ALTER TABLE memberships ADD CONSTRAINT memberships_source_check
        CHECK (source IN ('manual', 'invite', 'scim', 'saml', 'office365', 'oidc'))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE memberships DROP CONSTRAINT memberships_source_check`);
    await db.query(
      `UPDATE memberships SET source = 'manual' WHERE source IN ('office365', 'oidc')`,
    );
    await db.query(`
      ALTER TABLE memberships ADD CONSTRAINT memberships_source_check
        CHECK (source IN ('manual', 'invite', 'saml', 'scim'))`);
  }
}
