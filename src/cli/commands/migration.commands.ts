import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { table } from '../output.js';
import type { Runner } from '../program.js';

interface MigrationStatus {
  name: string;
  applied: boolean;
}

/** Every migration this version knows, in order, and whether the database has it. */
async function migrationStatus(dataSource: DataSource): Promise<MigrationStatus[]> {
  await dataSource.showMigrations(); // creates the migrations table when there is none yet
  const tableName = dataSource.options.migrationsTableName ?? 'migrations';
  const rows: { name: string }[] = await dataSource.query(`SELECT name FROM "${tableName}"`);
  const applied = new Set(rows.map((row) => row.name));
  return dataSource.migrations.map((migration) => {
    const name = migration.name ?? migration.constructor.name;
    return { name, applied: applied.has(name) };
  });
}

export function registerMigrationCommands(program: Command, run: Runner): void {
  program
    .command('migration:run')
    .description('Apply every pending migration')
    .action(
      run(async (session) => {
        const applied = await session.withDataSource(async (dataSource) =>
          (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name),
        );
        return {
          data: { applied },
          text: applied.length ? applied.map((name) => `applied ${name}`) : 'Nothing to apply.',
        };
      }),
    );

  program
    .command('migration:revert')
    .description('Revert the most recent migration')
    .action(
      run(async (session) => {
        const reverted = await session.withDataSource(async (dataSource) => {
          const before = await migrationStatus(dataSource);
          await dataSource.undoLastMigration({ transaction: 'each' });
          const after = await migrationStatus(dataSource);
          return before.find((m, i) => m.applied && !after[i]?.applied)?.name ?? null;
        });
        return {
          data: { reverted },
          text: reverted ? `reverted ${reverted}` : 'Nothing to revert.',
        };
      }),
    );

  program
    .command('migration:show')
    .description('List the migrations and whether each is applied')
    .action(
      run(async (session) => {
        const migrations = await session.withDataSource(migrationStatus);
        const pending = migrations.filter((m) => !m.applied).length;
        return {
          data: { migrations, pending },
          text: [
            ...table(
              ['APPLIED', 'MIGRATION'],
              migrations.map((m) => [m.applied ? 'yes' : 'no', m.name]),
            ),
            pending ? `${pending} pending.` : 'All migrations are applied.',
          ],
        };
      }),
    );
}
