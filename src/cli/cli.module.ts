import {
  type DynamicModule,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../config/configuration.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { WebhookDeliveryService } from '../webhooks/webhook-delivery.service.js';

/**
 * The CLI sends no mail, and must not deliver the service's: the mail module starts its delivery
 * loop in every process that loads it, so it is stopped before a command runs. The root module's
 * hooks run after those of the modules it imports, so no delivery pass has started yet (stopping
 * would wait for one that had).
 */
@Injectable()
class MailDeliveryStopper implements OnApplicationBootstrap {
  constructor(private readonly moduleRef: ModuleRef) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.moduleRef.get(MailDeliveryService, { strict: false }).onModuleDestroy();
    // Nor webhooks: the service's instances deliver them.
    await this.moduleRef.get(WebhookDeliveryService, { strict: false }).onModuleDestroy();
  }
}

/**
 * The server's own module tree (the same services, rules and configuration of the database) on a
 * Nest application context, which starts no HTTP listener. Its request logger is silenced (stdout
 * carries the command's result) and migrations are left to `migration:run`.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    const cliConfig: AppConfig = {
      ...config,
      logLevel: 'silent',
      database: { ...config.database, migrateOnStart: false },
    };
    return {
      module: CliModule,
      imports: [AppModule.forRoot({ config: cliConfig, databaseUrl })],
      providers: [MailDeliveryStopper],
    };
  }
}
