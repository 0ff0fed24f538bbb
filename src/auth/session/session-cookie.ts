import { Inject, Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';

/** The session cookie: HttpOnly, SameSite=Lax, Secure when PUBLIC_URL is https. */
@Injectable()
export class SessionCookie {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  read(request: Request): string | undefined {
    const cookies = request.cookies as Record<string, string> | undefined;
    return cookies?.[this.config.session.cookieName];
  }

  set(response: Response, token: string, expires: Date): void {
    response.cookie(this.config.session.cookieName, token, { ...this.options(), expires });
  }

  clear(response: Response): void {
    response.clearCookie(this.config.session.cookieName, this.options());
  }

  private options(): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.session.secureCookie,
      path: '/',
    };
  }
}
