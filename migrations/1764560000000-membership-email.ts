import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin member list is ordered by email, which lives on `users`: at 100,000 members every
 * page joined and sorted the whole workspace. Each membership now carries its person's email,
 * kept by triggers as `user_name_key` is, so an index (workspace_id, email) serves the order and
 * the count reads memberships alone.
 */
export class MembershipEmail1764560000000 implements MigrationInterface {
  name = 'MembershipEmail1764560000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE memberships ADD COLUMN email text`);
    await db.query(`
      CREATE FUNCTION memberships_email() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        SELECT u.email INTO NEW.email FROM users u WHERE u.id = NEW.user_id;
        RETURN NEW;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER memberships_email
        BEFORE INSERT OR UPDATE OF user_id, email ON memberships
        FOR EACH ROW EXECUTE FUNCTION memberships_email()`);
    await db.query(`
      CREATE FUNCTION users_email_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE memberships SET email = NEW.email WHERE user_id = NEW.id;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER users_email_memberships
        AFTER UPDATE OF email ON users
        FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email)
        EXECUTE FUNCTION users_email_memberships()`);
    await db.query(`UPDATE memberships m SET email = u.email FROM users u WHERE u.id = m.user_id`);
    await db.query(`ALTER TABLE memberships ALTER COLUMN email SET NOT NULL`);
    await db.query(
      `CREATE INDEX memberships_email_idx ON memberships (workspace_id, email, user_id)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER users_email_memberships ON users`);
    await db.query(`DROP FUNCTION users_email_memberships()`);
    await db.query(`DROP TRIGGER memberships_email ON memberships`);
    await db.query(`DROP FUNCTION memberships_email()`);
    await db.query(`ALTER TABLE memberships DROP COLUMN email`);
  }
}
