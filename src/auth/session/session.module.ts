import { Module } from '@nestjs/common';
import { SessionService } from './session.service.js';

/** Session storage, apart from sign-in so the Workspace module can revoke sessions. */
@Module({ providers: [SessionService], exports: [SessionService] })
export class SessionModule {}
