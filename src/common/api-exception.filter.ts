import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Logger,
  NotFoundException,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { databaseUnavailable } from '../database/database.errors.js';
import { allowedMethods } from './allowed-methods.js';
import { AppException, CommonException } from './app-exception.js';
import { ErrorRenderers } from './error-renderers.js';
import { escapeHtml } from './html.js';

export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  [extra: string]: unknown;
}

const HTTP_STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/** The one place that turns any error into `{statusCode, code, message}`. Never leaks a stack. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(@Optional() private readonly renderers?: ErrorRenderers) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    exception = this.methodNotAllowed(exception, request, response) ?? exception;
    // A module answering under its own path in its own format (SCIM at /scim/v2), also for
    // errors raised before its handlers ran (bad JSON, an unknown route).
    const renderer = this.renderers?.for(request.path);
    if (renderer) return renderer.render(exception, request, response);
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error(exception);
    if (response.headersSent) return;
    response.status(body.statusCode);
    if (body.statusCode === 429 && typeof body.retryAfterSeconds === 'number') {
      response.setHeader('Retry-After', String(body.retryAfterSeconds));
    }
    // Sign-in routes are visited by browsers (IdP redirects and form posts): they get a page.
    if (request.path.startsWith('/auth/') && request.accepts(['json', 'html']) === 'html') {
      response.type('html').send(errorPage(body));
    } else {
      response.json(body);
    }
  }

  /**
   * No route took the request (Nest's 404), yet routes exist for its path with other methods:
   * 405 with `Allow`, as RFC 9110 §15.5.6 asks. A 404 for a method the path has is a real one.
   */
  private methodNotAllowed(exception: unknown, request: Request, response: Response) {
    if (!(exception instanceof NotFoundException)) return undefined;
    const allowed = allowedMethods(request.app, request.path);
    if (allowed.length === 0 || allowed.includes(request.method)) return undefined;
    if (!response.headersSent) response.setHeader('Allow', allowed.join(', '));
    return new CommonException(
      'METHOD_NOT_ALLOWED',
      `${request.method} is not supported here; use ${allowed.join(', ')}.`,
    );
  }

  toBody(exception: unknown): ApiErrorBody {
    // PostgreSQL unreachable or not answering in time: a 503 the client may retry, not a 500.
    exception = databaseUnavailable(exception) ?? exception;
    if (exception instanceof AppException) {
      return {
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        ...exception.details,
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const raw = exception.getResponse();
      const message =
        typeof raw === 'string'
          ? raw
          : typeof (raw as { message?: unknown }).message === 'string'
            ? (raw as { message: string }).message
            : exception.message;
      return { statusCode, code: HTTP_STATUS_CODES[statusCode] ?? `HTTP_${statusCode}`, message };
    }
    return {
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'Something went wrong on our side.',
    };
  }
}

/** A plain page for a browser that ended on a failed sign-in: the message and its code. */
export function errorPage(body: ApiErrorBody): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in problem</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>We could not sign you in</h1>
<p id="message">${escapeHtml(body.message)}</p>
<p style="color: #666">Error code: <code id="code">${escapeHtml(body.code)}</code></p>
</body></html>`;
}
