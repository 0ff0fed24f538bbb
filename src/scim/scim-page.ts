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
 * One page of a list request: the filter translated to parameters, the total counted in SQL,
 * and the rows of the page only (never the whole set).
 */
export async function findPage<Row>(
  dataSource: DataSource,
  table: ScimTable,
  workspaceId: string,
  query: ListQuery,
): Promise<{ rows: Row[]; total: number }> {
  const params = new SqlParams();
  const ws = params.add(workspaceId);
  const where = query.filter
    ? `${table.workspaceColumn} = ${ws} AND (${translateFilter(query.filter, table.filterSchema, params)})`
    : `${table.workspaceColumn} = ${ws}`;
  const order = orderBy(table, query);
  const [counted] = await dataSource.query<{ total: number }[]>(
    `SELECT count(*)::int AS total FROM ${table.from} WHERE ${where}`,
    params.values,
  );
  const total = counted?.total ?? 0;
  if (query.count === 0 || total < query.startIndex) return { rows: [], total };
  const limit = params.add(query.count);
  const offset = params.add(query.startIndex - 1);
  const rows = await dataSource.query<Row[]>(
    `SELECT ${table.columns} FROM ${table.from} WHERE ${where}
      ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
    params.values,
  );
  return { rows, total };
}
