import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { systemDnsResolverProvider } from './dns-resolver.js';
import { DomainService } from './domain.service.js';
import { DomainsController } from './domains.controller.js';
import { GroupService } from './group.service.js';
import { GroupsController } from './groups.controller.js';
import { InviteService } from './invite.service.js';
import { InvitesController } from './invites.controller.js';
import { MemberService } from './member.service.js';
import { AccountOwnershipService } from './ownership/account-ownership.service.js';
import { ScimConnections } from './ports/scim-connection.port.js';
import { SignInSetups } from './ports/sign-in-setups.port.js';
import { ProvisioningService } from './provisioning.service.js';
import { GroupMemberRepository } from './repositories/group-member.repository.js';
import { GroupRepository } from './repositories/group.repository.js';
import { MembershipRepository } from './repositories/membership.repository.js';
import { UserRepository } from './repositories/user.repository.js';
import { SessionService } from './sessions/session.service.js';
import { MembersController } from './members.controller.js';
import { WorkspaceService } from './workspace.service.js';
import { WorkspacesController } from './workspaces.controller.js';

@Module({
  imports: [MailModule],
  controllers: [
    WorkspacesController,
    MembersController,
    AuditController,
    GroupsController,
    InvitesController,
    DomainsController,
  ],
  providers: [
    WorkspaceService,
    MemberService,
    ProvisioningService,
    GroupService,
    InviteService,
    DomainService,
    AuditService,
    AccountOwnershipService,
    PasswordHasher,
    systemDnsResolverProvider,
    MembershipRepository,
    UserRepository,
    GroupRepository,
    GroupMemberRepository,
    SessionService,
    SignInSetups,
    ScimConnections,
  ],
  exports: [
    AccountOwnershipService,
    WorkspaceService,
    MemberService,
    ProvisioningService,
    GroupService,
    InviteService,
    DomainService,
    AuditService,
    PasswordHasher,
    MembershipRepository,
    GroupRepository,
    GroupMemberRepository,
    SessionService,
    SignInSetups,
    ScimConnections,
  ],
})
export class WorkspaceModule {}
