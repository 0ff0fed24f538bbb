import {
  type DynamicModule,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SamlModule } from '../auth/saml/saml.module.js';
import { ConfigModule } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { ScimModule } from '../scim/scim.module.js';
import { WorkspaceModule } from '../workspace/workspace.module.js';

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
  }
}

/**
 * The server's feature modules (the same services and rules as the admin API) on a Nest
 * application context: no HTTP listener, no request logging.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(
            databaseUrl,
            config.database.poolSize,
            config.database.url ? config.database : undefined,
          ),
          // The CLI checked the connection and the schema before; a failure now is final.
          retryAttempts: 0,
        }),
        WorkspaceModule,
        SamlModule,
        ScimModule,
      ],
      providers: [MailDeliveryStopper],
    };
  }
}
