import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exact member and group totals of a workspace without counting them: every SCIM list page
 * answers `totalResults`, and counting 100,000 memberships per page made a full walk
 * O(members²). Triggers keep a count per workspace in `workspace_counts`, in the same
 * transaction as the rows they count, so a reader's snapshot sees the count that matches the
 * rows it sees (exact under MVCC, rollbacks included).
 *
 * A workspace has up to 16 slots per counted table (slot = pg_backend_pid() % 16) and its total
 * is their sum: concurrent writers on different connections mostly update different rows, so
 * creates do not queue on one counter row. Statement triggers with transition tables: a bulk
 * insert of 50,000 members updates one row, not 50,000 times. A delete of the workspace's rows
 * by the workspace's own deletion cascade writes nothing (its counts go with it).
 */
export class MemberCounts1764580000000 implements MigrationInterface {
  name = 'MemberCounts1764580000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE workspace_counts (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        counted text NOT NULL CHECK (counted IN ('memberships', 'groups')),
        slot smallint NOT NULL,
        row_count bigint NOT NULL,
        PRIMARY KEY (workspace_id, counted, slot)
      )`);
    await db.query(`
      CREATE FUNCTION workspace_counts_statement() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO workspace_counts AS c (workspace_id, counted, slot, row_count)
        SELECT t.workspace_id, TG_TABLE_NAME, pg_backend_pid() % 16,
               CASE TG_OP WHEN 'INSERT' THEN count(*) ELSE -count(*) END
          FROM changed t
         WHERE TG_OP = 'INSERT' OR EXISTS (SELECT 1 FROM workspaces w WHERE w.id = t.workspace_id)
         GROUP BY t.workspace_id
         ORDER BY t.workspace_id
        ON CONFLICT (workspace_id, counted, slot)
        DO UPDATE SET row_count = c.row_count + excluded.row_count;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE FUNCTION workspace_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO workspace_counts AS c (workspace_id, counted, slot, row_count)
        VALUES (OLD.workspace_id, TG_TABLE_NAME, pg_backend_pid() % 16, -1),
               (NEW.workspace_id, TG_TABLE_NAME, pg_backend_pid() % 16, 1)
        ON CONFLICT (workspace_id, counted, slot)
        DO UPDATE SET row_count = c.row_count + excluded.row_count;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE FUNCTION workspace_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM workspace_counts WHERE counted = TG_TABLE_NAME;
        RETURN NULL;
      END
      $$`);
    for (const table of ['memberships', 'groups']) {
      await db.query(`
        CREATE TRIGGER ${table}_counted_insert AFTER INSERT ON ${table}
          REFERENCING NEW TABLE AS changed
          FOR EACH STATEMENT EXECUTE FUNCTION workspace_counts_statement()`);
      await db.query(`
        CREATE TRIGGER ${table}_counted_delete AFTER DELETE ON ${table}
          REFERENCING OLD TABLE AS changed
          FOR EACH STATEMENT EXECUTE FUNCTION workspace_counts_statement()`);
      await db.query(`
        CREATE TRIGGER ${table}_counted_move AFTER UPDATE OF workspace_id ON ${table}
          FOR EACH ROW WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
          EXECUTE FUNCTION workspace_counts_moved()`);
      await db.query(`
        CREATE TRIGGER ${table}_counted_truncate AFTER TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION workspace_counts_truncated()`);
      // After the triggers: they lock the table against writers, so no row is counted twice
      // or missed between this count and the first counted write.
      await db.query(`
        INSERT INTO workspace_counts (workspace_id, counted, slot, row_count)
        SELECT workspace_id, '${table}', 0, count(*) FROM ${table} GROUP BY workspace_id`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['memberships', 'groups']) {
      for (const event of ['insert', 'delete', 'move', 'truncate']) {
        await db.query(`DROP TRIGGER ${table}_counted_${event} ON ${table}`);
      }
    }
    await db.query(`DROP FUNCTION workspace_counts_truncated()`);
    await db.query(`DROP FUNCTION workspace_counts_moved()`);
    await db.query(`DROP FUNCTION workspace_counts_statement()`);
    await db.query(`DROP TABLE workspace_counts`);
  }
}
