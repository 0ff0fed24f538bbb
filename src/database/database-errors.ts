import { QueryFailedError } from 'typeorm';

interface PgError {
  code?: string;
  constraint?: string;
}

/** True when `error` is PostgreSQL's unique_violation, optionally on the named constraint/index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as PgError;
  return (
    driverError.code === '23505' &&
    (constraint === undefined || driverError.constraint === constraint)
  );
}

/** True for PostgreSQL's foreign_key_violation. */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as PgError).code === '23503';
}

/**
 * True for PostgreSQL's deadlock_detected: the transaction was chosen as the victim and rolled
 * back, so running it again is safe.
 */
export function isDeadlock(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as PgError).code === '40P01';
}
