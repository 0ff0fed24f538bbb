import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppException } from '../../common/app-exception.js';
import type { PathErrorRenderer } from '../../common/error-renderers.js';
import { databaseUnavailable } from '../../database/database.errors.js';
import { isScimPlainStatus, ScimError } from '../protocol/scim-error.js';
import { isScimPath } from '../scim-limits.js';
import { type ScimMeaning, scimMeaningOf } from './scim-error-codes.js';

/**
 * A module's error as SCIM sees it: by its code (SCIM_MEANING_OF_CODE). A code the table does not
 * know (a module whose errors do not reach SCIM) keeps its status when SCIM has it, else it is
 * `invalidValue`.
 */
function fromAppException(error: AppException): ScimError {
  const meaning: ScimMeaning =
    scimMeaningOf(error.code) ??
    (isScimPlainStatus(error.status) ? { status: error.status } : { scimType: 'invalidValue' });
  return 'scimType' in meaning
    ? ScimError.of(meaning.scimType, error.message)
    : ScimError.status(meaning.status, error.message);
}

/** Maps any error on /scim/v2 to the SCIM error schema (RFC 7644 §3.12), never a stack. */
export function toScimError(exception: unknown): ScimError {
  if (exception instanceof ScimError) return exception;
  const unavailable = databaseUnavailable(exception);
  if (unavailable) return ScimError.status(503, unavailable.message);
  if (exception instanceof AppException) return fromAppException(exception);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 400) return ScimError.of('invalidSyntax', 'The request body is not valid JSON.');
    if (status === 413) return ScimError.status(413, 'The request body is too large.');
    if (status === 404) return ScimError.status(404, 'No such SCIM endpoint.');
    if (status === 405) return ScimError.status(405, 'Method not allowed.');
    if (status === 415)
      return ScimError.status(415, 'Send application/scim+json or application/json.');
  }
  return ScimError.status(500, 'Something went wrong on our side.');
}

const logger = new Logger('ScimExceptionFilter');

/** Writes `exception` as a SCIM error (RFC 7644 §3.12), noting its detail for the request log. */
function renderScimError(exception: unknown, response: Response): void {
  const error = toScimError(exception);
  if (error.status >= 500) logger.error(exception);
  response.locals.scimErrorDetail = error.message;
  if (response.headersSent) return;
  response.status(error.status).type('application/scim+json').send(JSON.stringify(error.toBody()));
}

/**
 * SCIM's errors under /scim/v2 for the ApiExceptionFilter (ScimModule registers it): those
 * raised before a SCIM handler runs (bad JSON, an unknown route) get the SCIM error schema too.
 */
export const SCIM_ERROR_RENDERER: PathErrorRenderer = {
  handles: isScimPath,
  render: (exception, _request, response) => renderScimError(exception, response),
};

@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    renderScimError(exception, host.switchToHttp().getResponse<Response>());
  }
}
