import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/configuration.js';
import { dataSourceOptions } from './database/data-source-options.js';
import {
  checkDatabaseConnection,
  DatabaseUnreachableError,
} from './database/database-connection-check.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';

const USAGE = `Usage: gatehouse-cli <command>
  migration:run     apply every pending migration
  migration:revert  revert the most recent migration
  migration:show    list migrations and whether each is applied`;

async function withDataSource<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (config.database.url) await checkDatabaseConnection(config.database.url);
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres(config.database.dataDir);
  const dataSource = new DataSource(dataSourceOptions(config.database.url ?? embedded!.url, 1));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'migration:run':
      return withDataSource(async (ds) => {
        const applied = await ds.runMigrations({ transaction: 'each' });
        console.log(
          applied.length ? applied.map((m) => `applied ${m.name}`).join('\n') : 'Nothing to apply.',
        );
        return 0;
      });
    case 'migration:revert':
      return withDataSource(async (ds) => {
        await ds.undoLastMigration({ transaction: 'each' });
        console.log('Reverted the most recent migration.');
        return 0;
      });
    case 'migration:show':
      return withDataSource(async (ds) => {
        const pending = await ds.showMigrations();
        console.log(pending ? 'Some migrations are pending.' : 'All migrations are applied.');
        return 0;
      });
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError || error instanceof DatabaseUnreachableError
        ? error.message
        : error,
    );
    process.exit(1);
  },
);
