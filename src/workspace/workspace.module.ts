import { Module } from '@nestjs/common';
import { SessionModule } from '../auth/session/session.module.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { systemDnsResolverProvider } from './dns-resolver.js';
import { MemberService } from './member.service.js';
import { MembersController } from './members.controller.js';
import { WorkspaceService } from './workspace.service.js';
import { WorkspacesController } from './workspaces.controller.js';

@Module({
  imports: [SessionModule],
  controllers: [WorkspacesController, MembersController, AuditController],
  providers: [
    WorkspaceService,
    MemberService,
    AuditService,
    PasswordHasher,
    systemDnsResolverProvider,
  ],
  exports: [WorkspaceService, MemberService, AuditService, PasswordHasher],
})
export class WorkspaceModule {}
