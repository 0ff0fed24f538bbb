/** List requests (RFC 7644 §3.4.2, §3.4.3): their parameters and the ListResponse. Pure. */
import { ScimError } from './scim-error.js';
import {
  DEFAULT_PAGE_SIZE,
  LIST_RESPONSE_SCHEMA,
  MAX_PAGE_SIZE,
  SEARCH_REQUEST_SCHEMA,
} from './schemas.js';

export type Json = Record<string, unknown>;

export interface ListQuery {
  filter?: string;
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder: 'ascending' | 'descending';
  attributes?: string[];
  excludedAttributes?: string[];
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) {
    throw ScimError.of('invalidValue', `${name} must be an integer.`);
  }
  return number;
}

/**
 * The names of `attributes`/`excludedAttributes`, split at commas outside brackets and quotes.
 * A value filter stands for its attribute (`emails[type eq "work"]` is `emails`, and
 * `emails[type eq "work"].value` is `emails.value`): the parameters name attributes, not values.
 */
function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const items: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? splitNames(value)
      : [];
  return items
    .filter((item): item is string => typeof item === 'string')
    .map((item) => withoutValueFilters(item).trim())
    .filter(Boolean);
}

/** `text` cut into the segments between the commas that are outside brackets and quotes. */
function splitNames(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (depth > 0 && char === '"') quoted = true;
    else if (char === '[') depth++;
    else if (char === ']' && depth > 0) depth--;
    else if (char === ',' && depth === 0) {
      names.push(text.slice(start, i));
      start = i + 1;
    }
  }
  names.push(text.slice(start));
  return names;
}

/** `name` without its `[...]` parts; as it is when a bracket or quote is left open. */
function withoutValueFilters(name: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < name.length; i++) {
    const char = name[i] as string;
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (depth > 0 && char === '"') quoted = true;
    else if (char === '[') depth++;
    else if (char === ']' && depth > 0) depth--;
    else if (depth === 0) out += char;
  }
  return depth === 0 && !quoted ? out : name;
}

/**
 * Query parameters (GET) or a SearchRequest body (POST .search) of a list request. Per RFC 7644
 * §3.4.2.4 a startIndex below 1 means 1 and a negative count means 0; count is capped, and so
 * is a startIndex beyond any list (it answers an empty page with the exact total).
 */
export function parseListQuery(source: Json): ListQuery {
  const sortOrder = source.sortOrder === undefined ? 'ascending' : source.sortOrder;
  if (sortOrder !== 'ascending' && sortOrder !== 'descending') {
    throw ScimError.of('invalidValue', 'sortOrder must be "ascending" or "descending".');
  }
  if (source.filter !== undefined && typeof source.filter !== 'string') {
    throw ScimError.of('invalidFilter', 'filter must be a string.');
  }
  // Past any workspace's end anyway, and kept within PostgreSQL's bigint for the OFFSET.
  const startIndex = Math.min(
    Number.MAX_SAFE_INTEGER,
    Math.max(1, integer(source.startIndex, 'startIndex') ?? 1),
  );
  const count = Math.min(
    MAX_PAGE_SIZE,
    Math.max(0, integer(source.count, 'count') ?? DEFAULT_PAGE_SIZE),
  );
  return {
    filter: source.filter?.trim() || undefined,
    startIndex,
    count,
    sortBy: typeof source.sortBy === 'string' && source.sortBy ? source.sortBy : undefined,
    sortOrder,
    attributes: list(source.attributes),
    excludedAttributes: list(source.excludedAttributes),
  };
}

export function listResponse(resources: Json[], total: number, query: ListQuery): Json {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    startIndex: query.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** A POST .search body (RFC 7644 §3.4.3): an object listing the SearchRequest schema. */
export function parseSearchRequest(body: unknown): ListQuery {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ScimError.of('invalidSyntax', 'The request body must be a JSON object.');
  }
  const request = body as Json;
  const listed = Array.isArray(request.schemas) ? (request.schemas as unknown[]) : [];
  if (!listed.includes(SEARCH_REQUEST_SCHEMA)) {
    throw ScimError.of(
      'invalidSyntax',
      `A search request must list the schema ${SEARCH_REQUEST_SCHEMA}.`,
    );
  }
  return parseListQuery(request);
}
