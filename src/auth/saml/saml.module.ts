import { Module } from '@nestjs/common';
import { WorkspaceModule } from '../../workspace/workspace.module.js';
import { AuthModule } from '../auth.module.js';
import { SessionModule } from '../session/session.module.js';
import { SamlProviderService } from './saml-provider.service.js';
import { SamlProvidersController } from './saml-providers.controller.js';
import { SamlReplayCache } from './saml-replay-cache.js';
import { SamlSignInService } from './saml-sign-in.service.js';
import { SamlController } from './saml.controller.js';

@Module({
  imports: [WorkspaceModule, SessionModule, AuthModule],
  controllers: [SamlProvidersController, SamlController],
  providers: [SamlProviderService, SamlSignInService, SamlReplayCache],
  exports: [SamlProviderService],
})
export class SamlModule {}
