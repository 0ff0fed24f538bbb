import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module.js';
import { SamlModule } from './auth/saml/saml.module.js';
import { ScimModule } from './scim/scim.module.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/configuration.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { connectionFailure } from './database/connection-failure.js';
import { PreparedStatementsModule } from './database/prepared-statements.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MailModule } from './mail/mail.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { WorkspaceModule } from './workspace/workspace.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  /** The PostgreSQL to use: DATABASE_URL, or the embedded server main.ts started. */
  databaseUrl: string;
  /** Runs after the app has closed (stops the embedded database). */
  onShutdown?: () => Promise<void>;
}

const SHUTDOWN_HOOK = Symbol('SHUTDOWN_HOOK');

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, onShutdown }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        TypeOrmModule.forRoot({
          // No session timeouts on the embedded database: local, one connection, a wait is a queue.
          ...dataSourceOptions(
            databaseUrl,
            config.database.poolSize,
            config.database.url ? config.database : undefined,
          ),
          migrationsRun: config.database.migrateOnStart,
          // main.ts has checked the connection already; retry only what may heal, and briefly
          // (the default is 10 attempts 3 s apart, and a failed migration was retried too).
          retryAttempts: 2,
          retryDelay: 1000,
          toRetry: (error: unknown) => connectionFailure(error)?.transient === true,
        }),
        PreparedStatementsModule,
        HealthModule,
        MetricsModule,
        MailModule,
        WorkspaceModule,
        AuthModule,
        SamlModule,
        ScimModule,
        WebhooksModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        {
          provide: SHUTDOWN_HOOK,
          useValue: { onApplicationShutdown: () => onShutdown?.() },
        },
      ],
    };
  }
}
