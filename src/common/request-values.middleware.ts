import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { CommonException } from './app-exception.js';
import { decodeUrl, findValueProblem, isStorableText, type ValueLimits } from './request-values.js';

/**
 * Refuses, before any route runs, a request whose path, query or body holds text PostgreSQL
 * cannot store (NUL, unpaired surrogates, percent-encodings that are not UTF-8) or breaks the
 * value limits of the API it addresses. Runs after the body parsers, once for every route.
 */
export function requestValuesGuard(limitsFor: (request: Request) => ValueLimits): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    const url = decodeUrl(request.url);
    if (url === undefined || !isStorableText(url)) {
      next(
        new CommonException(
          'INVALID_CHARACTERS',
          'The request path or query contains a NUL character, an unpaired UTF-16 surrogate or a percent-encoding that is not UTF-8.',
        ),
      );
      return;
    }
    const limits = limitsFor(request);
    next(
      findValueProblem(request.query, 'query', limits) ??
        findValueProblem(request.body, 'body', limits),
    );
  };
}
