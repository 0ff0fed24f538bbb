import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';

export const SCIM_JSON = 'application/scim+json';

/** What a SCIM handler answers; ScimReplyInterceptor writes it. */
export interface ScimReply {
  status: number;
  /** Sent as application/scim+json; none for 204. */
  body?: unknown;
  etag?: string;
  location?: string;
}

/**
 * Writes a ScimReply: its ETag and Location headers, and its body as `application/scim+json`
 * (RFC 7644 §3.1) through Express's send, which answers 304 to an If-None-Match that names the
 * current ETag. A handler's usual status is its route's (`@HttpCode`); a reply with another
 * status (a Group PATCH answering 204) is handed to Nest as a web Response, whose status wins.
 */
@Injectable()
export class ScimReplyInterceptor implements NestInterceptor<ScimReply> {
  intercept(context: ExecutionContext, next: CallHandler<ScimReply>): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((reply) => {
        if (reply.etag) response.setHeader('ETag', reply.etag);
        if (reply.location) response.setHeader('Location', reply.location);
        const routeStatus = reply.status === response.statusCode;
        if (reply.body === undefined) {
          return routeStatus ? undefined : new globalThis.Response(null, { status: reply.status });
        }
        const text = JSON.stringify(reply.body);
        if (routeStatus) {
          response.type(SCIM_JSON);
          return text;
        }
        return new globalThis.Response(text, {
          status: reply.status,
          headers: {
            'Content-Type': `${SCIM_JSON}; charset=utf-8`,
            'Content-Length': String(Buffer.byteLength(text)),
          },
        });
      }),
    );
  }
}
