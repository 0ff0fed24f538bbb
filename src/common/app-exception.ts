/**
 * Base of every module's exception: a stable UPPER_SNAKE `code`, its HTTP status and a sentence
 * for humans. Each module defines its codes and their statuses in one table (a Record, so a code
 * without a status fails to compile); the ApiExceptionFilter renders them all the same way.
 */
export abstract class AppException extends Error {
  abstract readonly code: string;
  abstract readonly status: number;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Errors that belong to no single module: access, validation and request limits. */
export const CommonErrorStatus = {
  VALIDATION_FAILED: 400,
  INVALID_CHARACTERS: 400,
  NESTED_TOO_DEEP: 400,
  VALUE_TOO_LONG: 400,
  TOO_MANY_ATTRIBUTES: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  METHOD_NOT_ALLOWED: 405,
  HEADERS_TOO_LARGE: 431,
} as const satisfies Record<string, number>;
export type CommonErrorCode = keyof typeof CommonErrorStatus;

/**
 * The exception class of one module, from its table of codes and statuses:
 * `export class WorkspaceException extends moduleException(WorkspaceErrorStatus) {}`.
 */
export function moduleException<Code extends string>(statuses: Record<Code, number>) {
  return class extends AppException {
    readonly status: number;
    constructor(
      readonly code: Code,
      message: string,
      details?: Record<string, unknown>,
    ) {
      super(message, details);
      this.status = statuses[code];
    }
  };
}

export class CommonException extends moduleException(CommonErrorStatus) {}
