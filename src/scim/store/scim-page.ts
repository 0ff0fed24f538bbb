import { createHash } from 'node:crypto';
import type { RowSource } from '../../database/prepared-statements.js';
import { type FilterSchema, SqlParams, translateFilter } from '../protocol/filter/filter-sql.js';
import { type PageCursors, pageCursors } from './scim-page-cursors.js';
import { ScimError } from '../protocol/scim-error.js';
import type { ListQuery } from '../protocol/list-query.js';

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
  /** How pages may go faster than OFFSET and count(*); without it, they do not. */
  paging?: PagingHints;
}

export interface PagingHints {
  /**
   * The name under which `workspace_counts` counts this table's rows per workspace (migration
   * 1764580000000): an unfiltered list's total is the sum of the workspace's slots.
   */
  counted?: 'memberships' | 'groups';
  /**
   * Order expressions that are never NULL (as written in `defaultOrder`, `sort` and
   * `tieBreaker`): an ascending order made only of them can seek past a page's last key with a
   * row comparison, `(a, b) > (last a, last b)`, which its index serves.
   */
  notNull?: string[];
}

/** The hints of the Users list (memberships m JOIN users u): USERS carries them as `paging`. */
export const USER_PAGING: PagingHints = {
  counted: 'memberships',
  notNull: ['m.created_at', 'm.user_id', 'm.user_name_key'],
};

/** The hints of the Groups list (groups g): GROUPS carries them as `paging`. */
export const GROUP_PAGING: PagingHints = { counted: 'groups', notNull: ['g.created_at', 'g.id'] };

interface Order {
  sql: string;
  /** The order's expressions, when a row comparison can seek in it (all ascending, never NULL). */
  seekable?: string[];
}

function orderOf(table: ScimTable, query: ListQuery): Order {
  const notNull = table.paging?.notNull ?? [];
  const seekable = (terms: string[]) =>
    terms.every((t) => notNull.includes(t)) ? terms : undefined;
  if (!query.sortBy) {
    const terms = table.defaultOrder.split(',').map((term) => term.trim());
    return { sql: table.defaultOrder, seekable: seekable(terms) };
  }
  const key = query.sortBy.toLowerCase().replace(`${table.coreSchemaUrn.toLowerCase()}:`, '');
  const sql = table.sort[key];
  if (!sql) {
    throw ScimError.of(
      'invalidValue',
      `${table.resourceType}s cannot be sorted by ${query.sortBy}.`,
    );
  }
  if (query.sortOrder === 'descending') {
    return { sql: `${sql} DESC NULLS LAST, ${table.tieBreaker}` };
  }
  return {
    sql: `${sql} ASC NULLS LAST, ${table.tieBreaker}`,
    seekable: seekable([sql, table.tieBreaker]),
  };
}

/**
 * The list a page belongs to, and where the page starts in it; hashed, so that an entry stays
 * small whatever the filter (up to 4 KB).
 */
function cursorKey(
  table: ScimTable,
  workspaceId: string,
  query: ListQuery,
  order: Order,
  startIndex: number,
) {
  const list = JSON.stringify([
    table.resourceType,
    workspaceId,
    query.filter ?? '',
    order.sql,
    query.count,
    startIndex,
  ]);
  return createHash('sha256').update(list).digest('base64url');
}

/**
 * One page of a list request and its exact total, in one statement: the filter translated to
 * parameters, the total counted in SQL, and the rows of the page only (never the whole set).
 * The count stands apart from the page (not `count(*) OVER ()`, which would join and sort every
 * row before the LIMIT), so the page walks the order's index and stops, and the count reads an
 * index only; the LEFT JOIN LATERAL keeps the total when the page is past the end.
 *
 * Keyset under the hood: when the order can seek (`PagingHints.notNull`) and this process served,
 * moments ago, the page of the same list (workspace, filter, order, count) that ends just before
 * `startIndex`, the page seeks past that page's last key instead of skipping `startIndex - 1`
 * entries; otherwise it is an OFFSET. The two answer the same rows unless rows were inserted
 * or deleted before that key (or moved across it by a change of their sort value) in between:
 * OFFSET would then repeat or skip as many rows of the walk, the seek continues right after the
 * last row the client was given. RFC 7644 §3.4.2.4 makes startIndex paging stateless and tells
 * clients to expect inconsistent results when resources change between requests; the seek's
 * difference is of that kind, and it is the one that keeps an ongoing walk whole. The total is
 * exact either way: counted in the page's own snapshot.
 */
export async function findPage<Row>(
  source: RowSource,
  table: ScimTable,
  workspaceId: string,
  query: ListQuery,
  cursors: PageCursors = pageCursors,
): Promise<{ rows: Row[]; total: number }> {
  const order = orderOf(table, query);
  const seek = order.seekable
    ? cursors.find(cursorKey(table, workspaceId, query, order, query.startIndex))
    : undefined;
  const { sql, values } = pageQuery(table, workspaceId, query, seek);
  const result = await source.query<(Row & PageMarks)[]>(sql, values);
  const total = result[0]?.scim_page_total ?? 0;
  const page = result.filter((row) => row.scim_page_row === true);
  const last = page.at(-1)?.scim_page_seek;
  if (order.seekable && last && page.length === query.count) {
    const next = cursorKey(table, workspaceId, query, order, query.startIndex + query.count);
    cursors.remember(next, last.map(asParameter));
  }
  const rows = page.map(
    ({
      scim_page_total: _t,
      scim_page_row: _r,
      scim_page_position: _p,
      scim_page_seek: _s,
      ...row
    }) => row as Row,
  );
  return { rows, total };
}

interface PageMarks {
  scim_page_total: number;
  scim_page_row: boolean | null;
  scim_page_position: string | null;
  /** The row's order values (JSON: timestamps keep their microseconds), when the order seeks. */
  scim_page_seek?: unknown[] | null;
}

/** A JSON value as the text PostgreSQL parses back to the column's type. */
const asParameter = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The statement findPage runs (exported so tests can EXPLAIN exactly it). With `seek` (the
 * last key of the previous page, in the order's terms), the page starts after that key instead
 * of at `startIndex`.
 */
export function pageQuery(
  table: ScimTable,
  workspaceId: string,
  query: ListQuery,
  seek?: readonly string[],
): { sql: string; values: unknown[] } {
  const params = new SqlParams();
  const ws = params.add(workspaceId);
  const filtered = query.filter
    ? `${table.workspaceColumn} = ${ws} AND (${translateFilter(query.filter, table.filterSchema, params)})`
    : `${table.workspaceColumn} = ${ws}`;
  const order = orderOf(table, query);
  const terms = order.seekable;
  if (seek && seek.length !== terms?.length) {
    throw new Error(`A ${table.resourceType} list in this order cannot seek to ${seek.join(', ')}`);
  }
  const where = seek
    ? `${filtered} AND (${terms!.join(', ')}) > (${seek.map((v) => params.add(v)).join(', ')})`
    : filtered;
  const limit = params.add(query.count);
  const skip = seek ? '' : `OFFSET ${params.add(Math.max(query.startIndex - 1, 0))}`;
  const seekColumn = terms ? `, json_build_array(${terms.join(', ')}) AS scim_page_seek` : '';
  const keys = table.keys ?? { from: table.from, key: '', joined: /$^/ };
  const narrow = !keys.joined.test(filtered) && !keys.joined.test(order.sql);
  const from = narrow ? keys.from : table.from;
  const counted = table.paging?.counted;
  const total =
    counted && !query.filter
      ? `SELECT coalesce(sum(row_count), 0)::int AS scim_page_total FROM workspace_counts
          WHERE workspace_id = ${ws} AND counted = ${params.add(counted)}`
      : `SELECT count(*)::int AS scim_page_total FROM ${from} WHERE ${filtered}`;
  // The keys of the page in order, numbered by WITH ORDINALITY (no window over the offset).
  const page =
    narrow && table.keys
      ? `SELECT true AS scim_page_row, k.scim_page_position, r.*
           FROM unnest(ARRAY(SELECT ${keys.key} FROM ${from} WHERE ${where}
                              ORDER BY ${order.sql} LIMIT ${limit} ${skip}))
                WITH ORDINALITY AS k (scim_page_key, scim_page_position)
          CROSS JOIN LATERAL (SELECT ${table.columns}${seekColumn} FROM ${table.from}
                               WHERE ${table.workspaceColumn} = ${ws} AND ${keys.key} = k.scim_page_key) r`
      : `SELECT true AS scim_page_row, row_number() OVER (ORDER BY ${order.sql}) AS scim_page_position,
                ${table.columns}${seekColumn}
           FROM ${from} WHERE ${where} ORDER BY ${order.sql} LIMIT ${limit} ${skip}`;
  const sql = `SELECT c.scim_page_total, p.*
    FROM (${total}) c LEFT JOIN LATERAL (${page}) p ON true
    ORDER BY p.scim_page_position`;
  return { sql, values: params.values };
}
