import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { WorkspaceModule } from '../workspace/workspace.module.js';
import { ScimConnectionController } from './connection/scim-connection.controller.js';
import { ScimConnectionService } from './connection/scim-connection.service.js';
import { ScimRequestLog } from './log/scim-request-log.service.js';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimRequestLogMiddleware } from './scim-request-log.middleware.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimController } from './scim.controller.js';

/** SCIM 2.0: a protocol layer over the Workspace module's services. */
@Module({
  imports: [WorkspaceModule],
  controllers: [ScimController, ScimConnectionController],
  providers: [
    ScimConnectionService,
    ScimRequestLog,
    ScimAuthGuard,
    ScimUsersService,
    ScimGroupsService,
  ],
})
export class ScimModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ScimRequestLogMiddleware).forRoutes(ScimController);
  }
}
