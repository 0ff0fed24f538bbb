import type { DataSource } from 'typeorm';
import { type FilterSchema, SqlParams, translateFilter } from './filter/scim-filter.js';
import { ScimError } from './scim-error.js';
import type { ListQuery } from './scim-resources.js';

/** Where a resource type's rows live, and how they filter and sort. */
export interface ScimTable {
  resourceType: string;
  /** FROM clause, e.g. "memberships m JOIN users u ON u.id = m.user_id". */
  from: string;
  columns: string;
  workspaceColumn: string;
  coreSchemaUrn: string;
  filterSchema: FilterSchema;
  /** sortBy (lower-case) → SQL. */
  sort: Record<string, string>;
  /** Order without sortBy, and the tie-breaker that keeps pages stable. */
  defaultOrder: string;
  tieBreaker: string;
  /**
   * The one table that holds the key and the default order (e.g. memberships), when `from`
   * joins others: a page whose filter and order stay within it is found there first (an
   * index-only walk that skips the offset without joining), then only its rows are joined.
   */
  keys?: { from: string; key: string; joined: RegExp };
}

function orderBy(table: ScimTable, query: ListQuery): string {
  if (!query.sortBy) return table.defaultOrder;
  const key = query.sortBy.toLowerCase().replace(`${table.coreSchemaUrn.toLowerCase()}:`, '');
  const sql = table.sort[key];
  if (!sql) {
    throw ScimError.of(
      'invalidValue',
      `${table.resourceType}s cannot be sorted by ${query.sortBy}.`,
    );
  }
  const direction = query.sortOrder === 'descending' ? 'DESC' : 'ASC';
  return `${sql} ${direction} NULLS LAST, ${table.tieBreaker}`;
}

/**
 * One page of a list request and its exact total, in one statement: the filter translated to
 * parameters, the total counted in SQL, and the rows of the page only (never the whole set).
 * The count stands apart from the page (not `count(*) OVER ()`, which would join and sort every
 * row before the LIMIT), so the page walks the order's index and stops, and the count reads an
 * index only; the LEFT JOIN LATERAL keeps the total when the page is past the end.
 */
export async function findPage<Row>(
  dataSource: DataSource,
  table: ScimTable,
  workspaceId: string,
  query: ListQuery,
): Promise<{ rows: Row[]; total: number }> {
  const { sql, values } = pageQuery(table, workspaceId, query);
  const result = await dataSource.query<(Row & PageMarks)[]>(sql, values);
  const total = result[0]?.scim_page_total ?? 0;
  const rows = result
    .filter((row) => row.scim_page_row === true)
    .map(
      ({ scim_page_total: _t, scim_page_row: _r, scim_page_position: _p, ...row }) => row as Row,
    );
  return { rows, total };
}

interface PageMarks {
  scim_page_total: number;
  scim_page_row: boolean | null;
  scim_page_position: string | null;
}

/** The statement findPage runs (exported so tests can EXPLAIN exactly it). */
export function pageQuery(
  table: ScimTable,
  workspaceId: string,
  query: ListQuery,
): { sql: string; values: unknown[] } {
  const params = new SqlParams();
  const ws = params.add(workspaceId);
  const where = query.filter
    ? `${table.workspaceColumn} = ${ws} AND (${translateFilter(query.filter, table.filterSchema, params)})`
    : `${table.workspaceColumn} = ${ws}`;
  const order = orderBy(table, query);
  const limit = params.add(query.count);
  const offset = params.add(Math.max(query.startIndex - 1, 0));
  const keys = table.keys ?? { from: table.from, key: '', joined: /$^/ };
  const narrow = !keys.joined.test(where) && !keys.joined.test(order);
  const from = narrow ? keys.from : table.from;
  const total = `SELECT count(*)::int AS scim_page_total FROM ${from} WHERE ${where}`;
  // The keys of the page in order, numbered by WITH ORDINALITY (no window over the offset).
  const page =
    narrow && table.keys
      ? `SELECT true AS scim_page_row, k.scim_page_position, r.*
           FROM unnest(ARRAY(SELECT ${keys.key} FROM ${from} WHERE ${where}
                              ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}))
                WITH ORDINALITY AS k (scim_page_key, scim_page_position)
          CROSS JOIN LATERAL (SELECT ${table.columns} FROM ${table.from}
                               WHERE ${table.workspaceColumn} = ${ws} AND ${keys.key} = k.scim_page_key) r`
      : `SELECT true AS scim_page_row, row_number() OVER (ORDER BY ${order}) AS scim_page_position,
                ${table.columns}
           FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
  const sql = `SELECT c.scim_page_total, p.*
    FROM (${total}) c LEFT JOIN LATERAL (${page}) p ON true
    ORDER BY p.scim_page_position`;
  return { sql, values: params.values };
}
