import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config/configuration.js';
import { connectionFailure } from './database/connection-failure.js';
import {
  checkDatabaseConnection,
  DatabaseUnreachableError,
} from './database/database-connection-check.js';
import { describeDatabaseTarget, describeDatabaseUrl } from './database/database-description.js';

let databaseUrlFromEnv: string | undefined;

// SIGUSR2 (nodemon, log tools) must not stop the service, not even while it starts.
process.on('SIGUSR2', () => undefined);

async function main() {
  const config = loadConfig();
  databaseUrlFromEnv = config.database.url;
  let databaseUrl = config.database.url;
  let databaseDescription = databaseUrl ? describeDatabaseUrl(databaseUrl) : '';
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (databaseUrl) {
    // Before the app (and its many modules) loads: a wrong DATABASE_URL is reported in seconds.
    await checkDatabaseConnection(databaseUrl, {
      connectTimeoutMs: config.database.connectTimeoutMs,
    });
    if (config.database.migrateOnStart) {
      const { runPendingMigrations } = await import('./database/migrate.js');
      await runPendingMigrations(databaseUrl);
    }
  } else {
    const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres(config.database.dataDir);
    databaseUrl = embedded.url;
    stopEmbedded = () => embedded.stop();
    databaseDescription = `embedded PostgreSQL (PGlite) in ${resolve(config.database.dataDir, 'pglite')}`;
  }

  const { startServer } = await import('./server.js');
  const port = await startServer({ config, databaseUrl, onShutdown: stopEmbedded });

  const lines = [
    `Gatehouse is listening on ${config.http.publicUrl} (bound to ${config.http.host}:${port})`,
    `Database: ${databaseDescription}${config.database.migrateOnStart ? ', migrations applied' : ''}`,
    `API documentation: ${config.http.publicUrl}/docs`,
  ];
  if (config.internalApiTokenGenerated) {
    lines.push(
      `INTERNAL_API_TOKEN was not set; generated for this run only: ${config.internalApiToken}`,
      `To keep it across restarts, set it before starting: export INTERNAL_API_TOKEN=${config.internalApiToken}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  const failure = databaseUrlFromEnv ? connectionFailure(error) : undefined;
  if (error instanceof ConfigError || error instanceof DatabaseUnreachableError) {
    process.stderr.write(`${error.message}\n`);
  } else if (failure && databaseUrlFromEnv) {
    // The database went away between the check and the start.
    process.stderr.write(
      `DATABASE_URL: cannot connect to ${describeDatabaseTarget(databaseUrlFromEnv)}: ${failure.cause}\n`,
    );
  } else {
    process.stderr.write(`Gatehouse failed to start: ${String((error as Error).stack ?? error)}\n`);
  }
  process.exit(1);
});
