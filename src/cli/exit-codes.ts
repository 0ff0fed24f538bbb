import { AppException } from '../common/app-exception.js';
import { ConfigError } from '../config/configuration.js';
import { DatabaseUnreachableError } from '../database/database-connection-check.js';
import { databaseUnavailable } from '../database/database.errors.js';

/** What `gatehouse <command>` exits with; scripts may rely on these (docs/cli.md lists them). */
export const ExitCode = {
  OK: 0,
  /** Unexpected failure, or an invalid configuration. */
  FAILURE: 1,
  /** Unknown command or option, missing argument, or input the rules refuse as malformed. */
  USAGE: 2,
  NOT_FOUND: 3,
  /** A conflict or a rule said no (last admin, slug taken, no usable sign-in method, ...). */
  REFUSED: 4,
  /** The database cannot be reached, or its schema is behind this version (migrations pending). */
  DATABASE_NOT_READY: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure of the CLI itself (bad option value, unreadable file...), with its exit code. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, details?: Record<string, unknown>) =>
  new CliError('USAGE', message, ExitCode.USAGE, details);

/** The exit code for an HTTP status the services' exceptions carry (the admin API's answer). */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status === 503) return ExitCode.DATABASE_NOT_READY;
  if (status >= 400 && status < 403) return ExitCode.USAGE;
  if (status >= 403 && status < 500) return ExitCode.REFUSED;
  return ExitCode.FAILURE;
}

/** An error as the CLI reports it: a stable code, a sentence and the exit code. */
export interface CliFailure {
  code: string;
  message: string;
  exitCode: ExitCode;
  details?: Record<string, unknown>;
  /** What to do about it on the command line, where the API's message speaks of HTTP. */
  hint?: string;
}

const HINTS: Partial<Record<string, string>> = {
  NO_USABLE_SIGN_IN_METHOD: 'Add --force to apply it anyway (audited as forced).',
  DOMAIN_VERIFICATION_FAILED: 'Add --force to verify it without the DNS check (audited as forced).',
};

export function failureOf(error: unknown): CliFailure {
  const failure = describeFailure(error);
  const hint = HINTS[failure.code];
  return hint ? { ...failure, hint } : failure;
}

function describeFailure(error: unknown): CliFailure {
  error = databaseUnavailable(error) ?? error;
  if (error instanceof CliError) {
    const { code, message, exitCode, details } = error;
    return { code, message, exitCode, ...(details && { details }) };
  }
  if (error instanceof AppException) {
    const { code, message, details } = error;
    return { code, message, exitCode: exitCodeOfStatus(error.status), ...(details && { details }) };
  }
  if (error instanceof DatabaseUnreachableError) {
    return {
      code: 'DATABASE_UNREACHABLE',
      message: error.message,
      exitCode: ExitCode.DATABASE_NOT_READY,
    };
  }
  if (error instanceof ConfigError) {
    return { code: 'INVALID_CONFIGURATION', message: error.message, exitCode: ExitCode.FAILURE };
  }
  return {
    code: 'INTERNAL_ERROR',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    exitCode: ExitCode.FAILURE,
  };
}
