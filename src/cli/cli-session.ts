import 'reflect-metadata';
import { hostname, userInfo } from 'node:os';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../workspace/actor.js';
import { type AppConfig, loadConfig } from '../config/configuration.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { checkDatabaseConnection } from '../database/database-connection-check.js';
import type { CliIo, OutputStream } from './cli-io.js';
import { CliError, ExitCode } from './exit-codes.js';
import type { CliServices } from './cli-services.js';

/** The operator at the keyboard: audited like the internal token, and saying it was the CLI. */
export function cliActor(): AuditActor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return { channel: 'internal', type: 'internal', id: `${user}@${hostname()}`, label: 'cli' };
}

/** Nest's own messages go to stderr (stdout carries the command's result only), errors only. */
function stderrLogger(stderr: OutputStream): LoggerService {
  return {
    log: () => undefined,
    warn: (message: unknown) => stderr.write(`warning: ${String(message)}\n`),
    error: (message: unknown) => stderr.write(`error: ${String(message)}\n`),
  };
}

/**
 * What one command run needs, opened on first use and closed once: the configuration, the
 * database (DATABASE_URL, or the embedded PGlite under DATA_DIR like `npm start`) and the
 * services on a Nest application context.
 */
export class CliSession {
  private loadedConfig: AppConfig | undefined;
  private databaseUrl: Promise<string> | undefined;
  private stopEmbedded: (() => Promise<void>) | undefined;
  private app: INestApplicationContext | undefined;
  private servicesValue: Promise<CliServices> | undefined;

  /** `io`: the streams and environment of this run. */
  constructor(readonly io: CliIo) {}

  get config(): AppConfig {
    this.loadedConfig ??= loadConfig(this.io.env);
    return this.loadedConfig;
  }

  /** The URL to connect to, once it is known to answer. */
  database(): Promise<string> {
    this.databaseUrl ??= this.openDatabase();
    return this.databaseUrl;
  }

  /** A data source of its own for the migration commands (no statement timeout). */
  async withDataSource<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
    const dataSource = new DataSource(dataSourceOptions(await this.database(), 1));
    await dataSource.initialize();
    try {
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  services(): Promise<CliServices> {
    this.servicesValue ??= this.startServices();
    return this.servicesValue;
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.stopEmbedded?.();
  }

  private async openDatabase(): Promise<string> {
    const { url, connectTimeoutMs, dataDir } = this.config.database;
    if (url) {
      await checkDatabaseConnection(url, { connectTimeoutMs });
      return url;
    }
    const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres(dataDir);
    this.stopEmbedded = () => embedded.stop();
    return embedded.url;
  }

  private async startServices(): Promise<CliServices> {
    const url = await this.database();
    await this.withDataSource(assertSchemaCurrent);
    // Loaded only by the commands that use them: `--help` and `config:show` stay quick.
    const [{ NestFactory }, { CliModule }, { CliServices }] = await Promise.all([
      import('@nestjs/core'),
      import('./cli.module.js'),
      import('./cli-services.js'),
    ]);
    this.app = await NestFactory.createApplicationContext(CliModule.forRoot(this.config, url), {
      logger: stderrLogger(this.io.stderr),
      abortOnError: false,
    });
    return new CliServices(this.app, cliActor());
  }
}

async function assertSchemaCurrent(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) {
    throw new CliError(
      'MIGRATIONS_PENDING',
      'The database has migrations to apply: run `gatehouse migration:run` (or start the service) first.',
      ExitCode.DATABASE_NOT_READY,
    );
  }
}
