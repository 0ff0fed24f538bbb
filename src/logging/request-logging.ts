import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { loggableUrl } from './redaction.js';
import {
  type ContextRequest,
  requestFields,
  requestIdOf,
  runInRequestContext,
} from './request-context.js';

/** Probes and scrapes answered well are not worth a line each every few seconds. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$)/;

/**
 * The first middleware: gives the request its id (a sane incoming `X-Request-Id`, else a new
 * one), sends it back as `X-Request-Id`, serves the request in its log context, and writes one
 * line when it is answered (or abandoned by the client): method, route, URL without secrets,
 * status and duration.
 */
export function requestLogging(logger: Logger) {
  return (request: Request, response: Response, next: NextFunction) => {
    const contextRequest = request as ContextRequest;
    const started = process.hrtime.bigint();
    contextRequest.id = requestIdOf(request.headers['x-request-id']);
    response.setHeader('X-Request-Id', contextRequest.id);

    const done = (finished: boolean) => {
      const status = response.statusCode;
      if (finished && status < 400 && QUIET_PATHS.test(request.path)) return;
      const level = !finished ? 'warn' : status >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          ...requestFields(contextRequest),
          method: request.method,
          url: loggableUrl(request),
          status,
          durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        },
        finished ? 'request completed' : 'request aborted by the client',
      );
    };
    response.once('finish', () => done(true));
    response.once('close', () => {
      if (!response.writableFinished) done(false);
    });
    runInRequestContext(contextRequest, next);
  };
}

/**
 * Enters the request's log context again: a body parser calls `next` from the request stream's
 * events, outside the context the first middleware opened. Registered after the body parsers.
 */
export function requestContextAfterBody(request: Request, _response: Response, next: NextFunction) {
  runInRequestContext(request as ContextRequest, next);
}
