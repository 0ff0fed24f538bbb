import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { connectionFailure, isDatabaseUnavailable } from './connection-failure.js';

function pgError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, 0, 'error');
  error.code = code;
  return error;
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('connectionFailure', () => {
  it.each([
    ['ENOTFOUND', 'host not found (ENOTFOUND)'],
    ['ECONNREFUSED', 'connection refused (ECONNREFUSED)'],
    ['ETIMEDOUT', 'connection timed out (ETIMEDOUT)'],
  ])('names the network error %s', (code, cause) => {
    expect(connectionFailure(systemError(code))?.cause).toBe(cause);
  });

  it.each([
    ['3D000', 'database "x" does not exist'],
    ['28000', 'role "x" does not exist'],
    ['28P01', 'password authentication failed for user "x"'],
  ])('does not retry %s, which cannot heal', (code, message) => {
    expect(connectionFailure(pgError(code, message))).toEqual({
      cause: `${message} (${code})`,
      transient: false,
    });
  });

  it.each([
    ['57P03', 'the database system is starting up'],
    ['57P01', 'terminating connection due to administrator command'],
    ['53300', 'sorry, too many clients already'],
    ['08006', 'connection failure'],
  ])('retries %s, which may heal', (code, message) => {
    expect(connectionFailure(pgError(code, message))?.transient).toBe(true);
  });

  it('does not retry an unknown host; retries a refused connection', () => {
    expect(connectionFailure(systemError('ENOTFOUND'))?.transient).toBe(false);
    expect(connectionFailure(systemError('ECONNREFUSED'))?.transient).toBe(true);
  });

  it('reads through the wrappers of TypeORM, pg-pool and happy eyeballs', () => {
    const lost = new Error('Connection terminated unexpectedly');
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], lost))).toBe(true);
    expect(
      isDatabaseUnavailable(
        new Error('Connection terminated due to connection timeout', { cause: lost }),
      ),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        Object.assign(new AggregateError([systemError('ECONNREFUSED')]), { code: undefined }),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('leaves errors of the request itself alone', () => {
    const unique = pgError('23505', 'duplicate key value violates unique constraint "x"');
    expect(connectionFailure(unique)).toBeUndefined();
    expect(isDatabaseUnavailable(new QueryFailedError('INSERT', [], unique))).toBe(false);
    expect(isDatabaseUnavailable(pgError('42501', 'permission denied for table x'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
  });
});
