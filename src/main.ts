import 'reflect-metadata';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { configureApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/configuration.js';
import { describeDatabaseUrl } from './database/database-description.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';

async function main() {
  const config = loadConfig();
  let databaseUrl = config.database.url;
  let databaseDescription = databaseUrl ? describeDatabaseUrl(databaseUrl) : '';
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(config.database.dataDir);
    databaseUrl = embedded.url;
    stopEmbedded = () => embedded.stop();
    databaseDescription = `embedded PostgreSQL (PGlite) in ${resolve(config.database.dataDir, 'pglite')}`;
  }

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, databaseUrl, onShutdown: stopEmbedded }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  configureApp(app, config);
  await app.listen(config.http.port, config.http.host);

  const lines = [
    `Gatehouse is listening on ${config.http.publicUrl} (bound to ${config.http.host}:${config.http.port})`,
    `Database: ${databaseDescription}${config.database.migrateOnStart ? ', migrations applied' : ''}`,
    `API documentation: ${config.http.publicUrl}/docs`,
  ];
  if (config.internalApiTokenGenerated) {
    lines.push(
      `INTERNAL_API_TOKEN was not set; generated for this run only: ${config.internalApiToken}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Gatehouse failed to start: ${String((error as Error).stack ?? error)}\n`);
  }
  process.exit(1);
});
