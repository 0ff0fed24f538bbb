import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { connectionFailure, type ConnectionFailure } from './connection-failure.js';
import { describeDatabaseTarget } from './database-description.js';

/** DATABASE_URL does not lead to a usable database; the message is the one line to print. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

export interface ConnectionCheckOptions {
  /** How long to keep trying when the failure may heal (refused, timed out). */
  deadlineMs?: number;
  /** How long one attempt may wait for the server to answer. */
  connectTimeoutMs?: number;
  retryDelayMs?: number;
}

function unclassified(error: unknown, url: string): ConnectionFailure {
  const { message, code } = error as { message?: unknown; code?: unknown };
  let text = typeof message === 'string' ? message : String(error);
  const password = (() => {
    try {
      return decodeURIComponent(new URL(url).password);
    } catch {
      return '';
    }
  })();
  if (password) text = text.split(password).join('***');
  text = text.replace(/\s+/g, ' ').trim();
  return { cause: typeof code === 'string' ? `${text} (${code})` : text, transient: false };
}

/**
 * Connects once before anything else starts, so that a wrong DATABASE_URL stops start-up within
 * seconds with one line naming the cause. A failure that may heal (refused, timed out, server
 * starting up) is retried until the deadline; one that cannot (unknown host, database or role,
 * wrong password) is reported at once.
 */
export async function checkDatabaseConnection(
  url: string,
  { deadlineMs = 5000, connectTimeoutMs = 3000, retryDelayMs = 500 }: ConnectionCheckOptions = {},
): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const remaining = deadlineMs - (Date.now() - started);
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: Math.max(250, Math.min(connectTimeoutMs, remaining)),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      const failure = connectionFailure(error) ?? unclassified(error, url);
      const elapsed = Date.now() - started;
      if (!failure.transient || elapsed + retryDelayMs >= deadlineMs) {
        const gaveUp = failure.transient
          ? `; gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} in ${(elapsed / 1000).toFixed(1)} s`
          : '';
        throw new DatabaseUnreachableError(
          `DATABASE_URL: cannot connect to ${describeDatabaseTarget(url)}: ${failure.cause}${gaveUp}`,
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(retryDelayMs);
  }
}
