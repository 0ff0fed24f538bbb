import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Versions, not clocks: a SCIM resource's ETag and meta.version come from a counter that the one
 * repository method writing its row bumps, not from a timestamp (a clock read in a transaction
 * that waited for a lock can go backwards, and two writes in one millisecond look the same).
 * A User's is its membership's and its person's, a Group's its own. A constant default adds the
 * column without rewriting the table.
 */
export class Versions1764570000000 implements MigrationInterface {
  name = 'Versions1764570000000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of ['users', 'memberships', 'groups']) {
      await db.query(`ALTER TABLE ${table} ADD COLUMN version bigint NOT NULL DEFAULT 1`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['groups', 'memberships', 'users']) {
      await db.query(`ALTER TABLE ${table} DROP COLUMN version`);
    }
  }
}
