import { MiddlewareConsumer, Module, NestModule, OnModuleInit } from '@nestjs/common';
import { ErrorRenderers, ErrorRenderersModule } from '../common/error-renderers.js';
import { WorkspaceModule } from '../workspace/workspace.module.js';
import { ScimConnectionController } from './connection/scim-connection.controller.js';
import { ScimConnectionService } from './connection/scim-connection.service.js';
import { ScimAuthGuard } from './http/scim-auth.guard.js';
import { SCIM_ERROR_RENDERER } from './http/scim-exception.filter.js';
import { ScimReplyInterceptor } from './http/scim-reply.interceptor.js';
import { ScimRequestLogMiddleware } from './http/scim-request-log.middleware.js';
import { ScimSearch } from './http/scim-search.service.js';
import { ScimController } from './http/scim.controller.js';
import { ScimRequestLog } from './log/scim-request-log.service.js';
import { ScimGroups } from './store/groups.resource.js';
import { ScimReads } from './store/scim-reads.js';
import { ScimUsers } from './store/users.resource.js';

/**
 * SCIM 2.0 in three layers: protocol/ (pure RFC 7643/7644 logic), store/ (Users and Groups
 * behind one ScimResourceType contract, over the Workspace module's services and tables) and
 * http/ (a thin controller, its guard, reply interceptor, error filter and request log).
 */
@Module({
  imports: [WorkspaceModule, ErrorRenderersModule],
  controllers: [ScimController, ScimConnectionController],
  providers: [
    ScimConnectionService,
    ScimRequestLog,
    ScimAuthGuard,
    ScimReplyInterceptor,
    ScimReads,
    ScimUsers,
    ScimGroups,
    ScimSearch,
  ],
})
export class ScimModule implements NestModule, OnModuleInit {
  constructor(private readonly errorRenderers: ErrorRenderers) {}

  /** Errors under /scim/v2, even before a SCIM handler runs, in the SCIM error schema. */
  onModuleInit(): void {
    this.errorRenderers.register(SCIM_ERROR_RENDERER);
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ScimRequestLogMiddleware).forRoutes(ScimController);
  }
}
