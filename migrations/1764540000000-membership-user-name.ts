import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The userName SCIM shows for each member (its scim_user_name, else the person's email),
 * stored lower-cased so one index serves `userName eq`, `sw`, sortBy=userName and the uniqueness
 * check. Triggers keep it right on every write: no code path has to remember it.
 *
 * COLLATE "C": byte order, so the btree also serves `LIKE 'prefix%'` whatever the database's
 * collation is. It replaces memberships_scim_user_name_key: a scim_user_name's key is
 * lower(scim_user_name), so uniqueness of the key implies it, and it also covers an unnamed
 * member's email.
 */
export class MembershipUserName1764540000000 implements MigrationInterface {
  name = 'MembershipUserName1764540000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE memberships ADD COLUMN user_name_key text COLLATE "C"`);
    await db.query(`
      CREATE FUNCTION memberships_user_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.scim_user_name IS NOT NULL THEN
          NEW.user_name_key := lower(NEW.scim_user_name);
        ELSE
          SELECT lower(u.email) INTO NEW.user_name_key FROM users u WHERE u.id = NEW.user_id;
        END IF;
        RETURN NEW;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER memberships_user_name_key
        BEFORE INSERT OR UPDATE OF scim_user_name, user_id, user_name_key ON memberships
        FOR EACH ROW EXECUTE FUNCTION memberships_user_name_key()`);
    await db.query(`
      CREATE FUNCTION users_email_user_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE memberships SET user_name_key = lower(NEW.email)
         WHERE user_id = NEW.id AND scim_user_name IS NULL;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER users_email_user_name_key
        AFTER UPDATE OF email ON users
        FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email)
        EXECUTE FUNCTION users_email_user_name_key()`);
    await db.query(`
      UPDATE memberships m SET user_name_key = lower(coalesce(m.scim_user_name, u.email))
        FROM users u WHERE u.id = m.user_id`);
    await db.query(`ALTER TABLE memberships ALTER COLUMN user_name_key SET NOT NULL`);
    await db.query(
      `CREATE UNIQUE INDEX memberships_user_name_key ON memberships (workspace_id, user_name_key)`,
    );
    await db.query(`DROP INDEX memberships_scim_user_name_key`);
    await db.query(
      `CREATE INDEX memberships_created_idx ON memberships (workspace_id, created_at, user_id)`,
    );
    await db.query(`CREATE INDEX groups_created_idx ON groups (workspace_id, created_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX groups_created_idx`);
    await db.query(`DROP INDEX memberships_created_idx`);
    await db.query(
      `CREATE UNIQUE INDEX memberships_scim_user_name_key ON memberships (workspace_id, lower(scim_user_name))`,
    );
    await db.query(`DROP TRIGGER users_email_user_name_key ON users`);
    await db.query(`DROP FUNCTION users_email_user_name_key()`);
    await db.query(`DROP TRIGGER memberships_user_name_key ON memberships`);
    await db.query(`DROP FUNCTION memberships_user_name_key()`);
    await db.query(`ALTER TABLE memberships DROP COLUMN user_name_key`);
  }
}
