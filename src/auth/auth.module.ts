import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { WorkspaceModule } from '../workspace/workspace.module.js';
import { AccessGuard } from './access.guard.js';
import { AuthController } from './auth.controller.js';
import { ExternalSignInService } from './external-sign-in.service.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordSignInService } from './password-sign-in.service.js';
import { SessionModule } from './session/session.module.js';

@Module({
  imports: [WorkspaceModule, SessionModule],
  controllers: [AuthController],
  providers: [
    PasswordSignInService,
    ExternalSignInService,
    LoginThrottleService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class AuthModule {}
