/** How filters see a column (filter-sql.ts's FilterSchema): helpers of the Users and Groups tables. */

/** A string attribute held by `sql`; compared case-insensitively unless `caseExact`. */
export const text = (sql: string, caseExact = false) =>
  ({ kind: 'scalar', type: 'string', sql, caseExact }) as const;

/**
 * A timestamp as `meta` shows it: PostgreSQL keeps microseconds, the answers milliseconds, so a
 * client filtering with a value it was shown (`meta.created eq "…"`) must compare milliseconds.
 */
export function asShown(column: string): string {
  return `date_trunc('milliseconds', ${column})`;
}
