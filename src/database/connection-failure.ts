/** Why a connection to PostgreSQL failed, in words an operator can act on. */
export interface ConnectionFailure {
  cause: string;
  /** True when trying again later may succeed (refused, timed out, server starting up). */
  transient: boolean;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

const NODE_ERRORS: Record<string, ConnectionFailure> = {
  ENOTFOUND: { cause: 'host not found (ENOTFOUND)', transient: false },
  EAI_AGAIN: { cause: 'host name lookup failed for now (EAI_AGAIN)', transient: true },
  ECONNREFUSED: { cause: 'connection refused (ECONNREFUSED)', transient: true },
  ECONNRESET: { cause: 'connection reset (ECONNRESET)', transient: true },
  EPIPE: { cause: 'connection closed (EPIPE)', transient: true },
  ETIMEDOUT: { cause: 'connection timed out (ETIMEDOUT)', transient: true },
  EHOSTUNREACH: { cause: 'host unreachable (EHOSTUNREACH)', transient: true },
  ENETUNREACH: { cause: 'network unreachable (ENETUNREACH)', transient: true },
  EADDRNOTAVAIL: { cause: 'address not available (EADDRNOTAVAIL)', transient: false },
};

/** Errors `pg` and `pg-pool` raise without a code when a connection dies or never answers. */
const DRIVER_MESSAGES: [RegExp, ConnectionFailure][] = [
  [
    /^(timeout expired|Connection terminated due to connection timeout|timeout exceeded when trying to connect)$/,
    { cause: 'no answer in time (timeout)', transient: true },
  ],
  [
    /^Query read timeout$/,
    { cause: 'no answer to a query in time (query timeout)', transient: true },
  ],
  [
    /^(Connection terminated( unexpectedly)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/,
    { cause: 'connection closed unexpectedly', transient: true },
  ],
];

/** SQLSTATEs that mean "this session cannot be had or was lost", not "this query is wrong". */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
]);
const PERMANENT_SQLSTATES = new Set([
  '3D000', // invalid_catalog_name: the database does not exist
  '28000', // invalid_authorization_specification: unknown role, no pg_hba.conf entry
  '28P01', // invalid_password
]);

function* chain(error: unknown): Generator<ErrorLike> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current) && seen.size < 5) {
    seen.add(current);
    const e = current as ErrorLike;
    yield e;
    if (Array.isArray(e.errors) && e.errors.length > 0) yield* chain(e.errors[0]);
    // TypeORM's QueryFailedError keeps pg's error as driverError; pg-pool's as cause.
    current = e.driverError ?? e.cause;
  }
}

function classifyOne(error: ErrorLike): ConnectionFailure | undefined {
  const code = typeof error.code === 'string' ? error.code : undefined;
  const message = typeof error.message === 'string' ? error.message : '';
  if (code && code in NODE_ERRORS) return NODE_ERRORS[code];
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const cause = `${message} (${code})`;
    if (code.startsWith('08') || TRANSIENT_SQLSTATES.has(code)) return { cause, transient: true };
    if (PERMANENT_SQLSTATES.has(code)) return { cause, transient: false };
    return undefined;
  }
  for (const [pattern, failure] of DRIVER_MESSAGES) {
    if (pattern.test(message)) return failure;
  }
  return undefined;
}

/**
 * What went wrong, when `error` (a pg error, or TypeORM's wrapper of one) means the database
 * could not be reached or would not take the session; undefined for every other error
 * (a constraint violation, a bad query), which is the caller's problem, not the database's.
 */
export function connectionFailure(error: unknown): ConnectionFailure | undefined {
  for (const link of chain(error)) {
    const failure = classifyOne(link);
    if (failure) return failure;
  }
  return undefined;
}

/** True when a request failed because PostgreSQL is unreachable or not answering in time. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return connectionFailure(error) !== undefined;
}
