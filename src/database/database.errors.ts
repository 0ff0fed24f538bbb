import { moduleException } from '../common/app-exception.js';
import { isDatabaseUnavailable } from './connection-failure.js';

/** Failures of the database itself rather than of a request: the client may retry later. */
export const DatabaseErrorStatus = {
  DATABASE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;
export type DatabaseErrorCode = keyof typeof DatabaseErrorStatus;

export class DatabaseException extends moduleException(DatabaseErrorStatus) {}

export const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is not answering right now; try again shortly.';

/** The 503 to answer in place of `error` when it means PostgreSQL is unreachable; else undefined. */
export function databaseUnavailable(error: unknown): DatabaseException | undefined {
  if (error instanceof DatabaseException || !isDatabaseUnavailable(error)) return undefined;
  return new DatabaseException('DATABASE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE);
}
