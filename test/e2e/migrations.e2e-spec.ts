import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import {
  databaseUrl,
  SERVER_URL,
  usingEmbeddedDatabase,
  withAdminClient,
} from '../support/test-database.js';

async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (usingEmbeddedDatabase()) {
    const embedded = await startEmbeddedPostgres();
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const name = `gatehouse_tmig_${process.pid}_${Date.now()}_${randomBytes(2).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    url: databaseUrl(SERVER_URL, name),
    drop: () =>
      withAdminClient((c) => c.query(`DROP DATABASE "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function tables(ds: DataSource): Promise<string[]> {
  const rows: { tablename: string }[] = await ds.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.tablename);
}

describe('migrations', () => {
  it('apply all the way up, revert all the way down, and apply again', async () => {
    const db = await emptyDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, 1));
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      expect(applied).toHaveLength(migrations.length);
      expect(await tables(ds)).toEqual(
        expect.arrayContaining([
          'workspaces',
          'users',
          'memberships',
          'groups',
          'group_members',
          'sessions',
          'audit_events',
        ]),
      );
      expect(await ds.showMigrations()).toBe(false);

      for (let i = 0; i < migrations.length; i++)
        await ds.undoLastMigration({ transaction: 'each' });
      expect(await tables(ds)).toEqual([]);

      await ds.runMigrations({ transaction: 'each' });
      expect(await tables(ds)).toContain('workspaces');
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
