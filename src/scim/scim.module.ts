import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { WorkspaceModule } from '../workspace/workspace.module.js';
import { ScimConnectionController } from './connection/scim-connection.controller.js';
import { ScimConnectionService } from './connection/scim-connection.service.js';
import { ScimRequestLog } from './log/scim-request-log.service.js';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimRequestLogMiddleware } from './scim-request-log.middleware.js';
import { ScimGroups } from './store/groups.resource.js';
import { ScimReads } from './store/scim-reads.js';
import { ScimUsers } from './store/users.resource.js';
import { ScimController } from './scim.controller.js';

/** SCIM 2.0: a protocol layer over the Workspace module's services. */
@Module({
  imports: [WorkspaceModule],
  controllers: [ScimController, ScimConnectionController],
  providers: [
    ScimConnectionService,
    ScimRequestLog,
    ScimAuthGuard,
    ScimReads,
    ScimUsers,
    ScimGroups,
  ],
})
export class ScimModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ScimRequestLogMiddleware).forRoutes(ScimController);
  }
}
