import type { DataSource, EntityManager } from 'typeorm';

/**
 * The columns an outbox table has for its delivery loop: `id`, `status` ('pending' until sent or
 * failed), `attempts` and `next_attempt_at`.
 */
export interface OutboxClaim {
  /** The table (a constant of the caller, never input). */
  table: string;
  limit: number;
  /** How long a claimed row is left to its claimer before another pass may claim it again. */
  leaseMs: number;
  /** What to return of each claimed row (`m` is the table), e.g. `m.id, m.recipient AS "to"`. */
  returning: string;
  /** A further condition on the due rows (`t` is the table). */
  where?: string;
}

/**
 * Claims up to `limit` due rows of an outbox in one short statement, for mail and webhooks alike:
 * their rows are locked (rows another instance holds are skipped: `FOR UPDATE SKIP LOCKED`),
 * their attempt is counted and their next attempt pushed `leaseMs` ahead, so no other instance
 * claims them while this one delivers. If this process dies mid-delivery, the lease runs out and
 * the row is tried again: delivery is at least once.
 *
 * Updates after the attempt name the row's `attempts` (see `claimedRow`), so a claimer whose
 * lease ran out cannot overwrite the outcome of a later attempt.
 */
export async function claimDue<T>(
  db: DataSource | EntityManager,
  claim: OutboxClaim,
): Promise<T[]> {
  // An UPDATE answers [rows, count].
  const [claimed] = await db.query<[T[], number]>(
    `WITH due AS (
       SELECT t.id FROM ${claim.table} t
       WHERE t.status = 'pending' AND t.next_attempt_at <= now()${claim.where ? ` AND (${claim.where})` : ''}
       ORDER BY t.next_attempt_at
       LIMIT $1
       FOR UPDATE OF t SKIP LOCKED
     )
     UPDATE ${claim.table} m
     SET attempts = m.attempts + 1, next_attempt_at = now() + $2::integer * interval '1 millisecond'
     FROM due WHERE m.id = due.id
     RETURNING ${claim.returning}`,
    [claim.limit, claim.leaseMs],
  );
  return claimed;
}

/** The WHERE clause of an update after an attempt: `$1` the row id, `$2` its claimed attempts. */
export const CLAIMED_ROW = `id = $1 AND attempts = $2 AND status = 'pending'`;

const MAX_RETRY_DELAY_MS = 3600_000;

/** Exponential backoff: the first retry after `baseMs`, then twice as long each time (≤ 1 h). */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
}
