import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { isSameOriginWrite } from '../common/same-origin.js';
import { APP_CONFIG } from '../config/config.module.js';
import { allowedOrigins, type AppConfig } from '../config/configuration.js';
import { AuthException } from './auth.errors.js';

const BODY_KEY = 'gatehouse:same-origin-json-body';
type BodyRule = 'required' | 'optional';

/**
 * For routes that set or end a session (login CSRF): the request comes from one of our origins
 * (or from no browser page: no Origin header), and its body is JSON, which a cross-site form can
 * never send (`application/x-www-form-urlencoded`, `multipart/form-data` and `text/plain` are the
 * only types it may post without a CORS preflight, which our CORS policy refuses).
 * `optional`: a request without a body (no Content-Type, no length) is fine too.
 */
export const SameOriginJson = (body: BodyRule) =>
  applyDecorators(SetMetadata(BODY_KEY, body), UseGuards(SameOriginJsonGuard));

@Injectable()
export class SameOriginJsonGuard implements CanActivate {
  private readonly origins: string[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.origins = allowedOrigins(config);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (!isSameOriginWrite(request, this.origins)) {
      throw new AuthException(
        'CROSS_ORIGIN_REQUEST',
        'Sign-in and sign-out are only accepted from the pages of this service.',
        { origin: request.headers.origin },
      );
    }
    const rule = this.reflector.get<BodyRule | undefined>(BODY_KEY, context.getHandler());
    if (rule === 'optional' && !hasBody(request)) return true;
    if (mediaType(request) !== 'application/json') {
      throw new AuthException(
        'JSON_REQUIRED',
        'Send this request as JSON (Content-Type: application/json).',
      );
    }
    return true;
  }
}

function mediaType(request: Request): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/** A Content-Type alone counts as a body: an empty form post still carries one. */
function hasBody(request: Request): boolean {
  return (
    request.headers['content-type'] !== undefined ||
    request.headers['transfer-encoding'] !== undefined ||
    Number(request.headers['content-length'] ?? 0) > 0
  );
}
