import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppException } from '../common/app-exception.js';
import { databaseUnavailable } from '../database/database.errors.js';
import { isScimPlainStatus, ScimError } from './protocol/scim-error.js';

/**
 * Workspace and request rules as SCIM sees them: conflicts are `uniqueness`, refused values
 * `invalidValue`; other statuses (404, 405, 413, 431...) keep theirs.
 */
function fromAppException(error: AppException): ScimError {
  if (error.status === 409) return ScimError.of('uniqueness', error.message);
  if (isScimPlainStatus(error.status)) return ScimError.status(error.status, error.message);
  return ScimError.of('invalidValue', error.message);
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

@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ScimExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const error = toScimError(exception);
    if (error.status >= 500) this.logger.error(exception);
    response.locals.scimErrorDetail = error.message;
    if (response.headersSent) return;
    response
      .status(error.status)
      .type('application/scim+json')
      .send(JSON.stringify(error.toBody()));
  }
}
