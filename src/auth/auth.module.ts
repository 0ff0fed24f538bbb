import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { WorkspaceModule } from '../workspace/workspace.module.js';
import { AccessGuard } from './access.guard.js';
import { AuthController } from './auth.controller.js';
import { GenericOidcController } from './generic-oidc/generic-oidc.controller.js';
import { GenericOidcSignIn } from './generic-oidc/generic-oidc.method.js';
import { OidcConfigurationController } from './generic-oidc/oidc-configuration.controller.js';
import { OidcConfigurationService } from './generic-oidc/oidc-configuration.service.js';
import { ExternalIdentityRepository } from './external-identity.repository.js';
import { ExternalSignInService } from './external-sign-in.service.js';
import { InviteAcceptanceController } from './invite-acceptance.controller.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { Office365Controller } from './office365/office365.controller.js';
import { Office365SignIn } from './office365/office365.method.js';
import { oidcFetchProvider } from './oidc/oidc-fetch.js';
import { OidcSignInFlow } from './oidc/oidc-sign-in.flow.js';
import { PasswordSignInService } from './password-sign-in.service.js';
import { SessionModule } from './session/session.module.js';

@Module({
  imports: [WorkspaceModule, SessionModule],
  controllers: [
    AuthController,
    Office365Controller,
    GenericOidcController,
    OidcConfigurationController,
    InviteAcceptanceController,
  ],
  providers: [
    PasswordSignInService,
    ExternalSignInService,
    ExternalIdentityRepository,
    LoginThrottleService,
    OidcSignInFlow,
    Office365SignIn,
    OidcConfigurationService,
    GenericOidcSignIn,
    oidcFetchProvider,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [ExternalSignInService, LoginThrottleService],
})
export class AuthModule {}
