import { Module } from '@nestjs/common';
import { SessionCookie } from './session-cookie.js';

/**
 * The session cookie, for the controllers that sign in, out or read who is signed in. Session
 * storage (SessionService) belongs to the Workspace module.
 */
@Module({ providers: [SessionCookie], exports: [SessionCookie] })
export class SessionModule {}
