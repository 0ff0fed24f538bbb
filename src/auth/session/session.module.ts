import { Module } from '@nestjs/common';
import { SessionCookie } from './session-cookie.js';
import { SessionService } from '../../workspace/sessions/session.service.js';

/** Session storage, apart from sign-in so the Workspace module can revoke sessions. */
@Module({ providers: [SessionService, SessionCookie], exports: [SessionService, SessionCookie] })
export class SessionModule {}
