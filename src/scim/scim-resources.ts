import { ScimError } from './scim-error.js';
import { DEFAULT_PAGE_SIZE, LIST_RESPONSE_SCHEMA, MAX_PAGE_SIZE } from './scim-schemas.js';

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

/** The key of `resource` matching `name` case-insensitively (SCIM attribute names are). */
function keyOf(resource: Json, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(resource).find((key) => key.toLowerCase() === lower);
}

/** Splits "urn:...:User:name.givenName" into [schema key or undefined, path parts]. */
function pathOf(attribute: string, schemaUrns: string[]): { urn?: string; parts: string[] } {
  const lower = attribute.toLowerCase();
  const urn = schemaUrns
    .filter((u) => lower === u.toLowerCase() || lower.startsWith(`${u.toLowerCase()}:`))
    .sort((a, b) => b.length - a.length)[0];
  // A bare extension URN names the whole extension (no parts).
  const rest = urn ? attribute.slice(urn.length + 1) : attribute;
  return { urn, parts: rest.split('.').filter(Boolean) };
}

const ALWAYS_RETURNED = ['id', 'schemas'];

/**
 * `attributes` keeps only the named attributes (plus id and schemas); `excludedAttributes`
 * drops the named ones. Names are case-insensitive, may be dotted or URN-qualified.
 */
export function project(
  resource: Json,
  query: Pick<ListQuery, 'attributes' | 'excludedAttributes'>,
  coreUrn: string,
  extensionUrns: string[],
): Json {
  if (query.attributes?.length) {
    const out: Json = {};
    for (const key of ALWAYS_RETURNED) if (key in resource) out[key] = resource[key];
    for (const attribute of query.attributes) {
      const { urn, parts } = pathOf(attribute, [coreUrn, ...extensionUrns]);
      const container =
        urn && urn !== coreUrn
          ? (resource[keyOf(resource, urn) ?? ''] as Json | undefined)
          : resource;
      if (!container || parts.length === 0) {
        if (urn && urn !== coreUrn && container) out[urn] = container;
        continue;
      }
      const target: Json =
        urn && urn !== coreUrn ? ((out[urn] as Json | undefined) ?? (out[urn] = {})) : out;
      copyPath(container, target, parts);
    }
    return out;
  }
  if (query.excludedAttributes?.length) {
    const out = structuredClone(resource);
    for (const attribute of query.excludedAttributes) {
      const { urn, parts } = pathOf(attribute, [coreUrn, ...extensionUrns]);
      const container =
        urn && urn !== coreUrn ? (out[keyOf(out, urn) ?? ''] as Json | undefined) : out;
      if (!container) continue;
      if (parts.length === 0 && urn) {
        delete out[keyOf(out, urn) ?? ''];
        continue;
      }
      removePath(container, parts);
    }
    return out;
  }
  return resource;
}

function copyPath(from: Json, to: Json, parts: string[]): void {
  const [head, ...rest] = parts;
  const key = keyOf(from, head!);
  if (key === undefined || key === 'id' || key === 'schemas') return;
  const value = from[key];
  if (rest.length === 0 || value === null || typeof value !== 'object') {
    to[key] = value;
    return;
  }
  if (Array.isArray(value)) {
    to[key] = value.map((item: unknown) => {
      if (item === null || typeof item !== 'object') return item;
      const sub: Json = {};
      copyPath(item as Json, sub, rest);
      return sub;
    });
    return;
  }
  const sub = (to[key] as Json | undefined) ?? {};
  copyPath(value as Json, sub, rest);
  to[key] = sub;
}

function removePath(from: Json, parts: string[]): void {
  const [head, ...rest] = parts;
  const key = keyOf(from, head!);
  if (key === undefined || ALWAYS_RETURNED.includes(key)) return;
  if (rest.length === 0) {
    delete from[key];
    return;
  }
  const value = from[key];
  if (Array.isArray(value)) {
    for (const item of value) if (item && typeof item === 'object') removePath(item as Json, rest);
  } else if (value && typeof value === 'object') {
    removePath(value as Json, rest);
  }
}

/** Whether `excludedAttributes`/`attributes` asks for an attribute we would have to load. */
export function wants(query: Pick<ListQuery, 'attributes' | 'excludedAttributes'>, name: string) {
  const lower = name.toLowerCase();
  const matches = (a: string) => {
    const x = a.toLowerCase();
    return (
      x === lower ||
      x.startsWith(`${lower}.`) ||
      x.endsWith(`:${lower}`) ||
      x.includes(`:${lower}.`)
    );
  };
  if (query.attributes?.length) return query.attributes.some(matches);
  if (query.excludedAttributes?.length) return !query.excludedAttributes.some(matches);
  return true;
}

/**
 * A weak ETag (and meta.version) from the versions of the rows a resource is made of: a counter
 * every write bumps, never a clock (ARCHITECTURE.md §13).
 */
export function etagOf(...versions: (string | number)[]): string {
  return `W/"${versions.join('-')}"`;
}

/** If-Match: `*`, or one of the listed ETags must be the current one; else 412. */
export function assertIfMatch(header: string | undefined, current: string): void {
  if (!header) return;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw ScimError.status(412, `The resource changed: its version is ${current}, not ${header}.`);
}

/** A value the IdP may send as a boolean or as "True"/"False" (Entra's legacy dialect). */
export function asBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true';
  throw ScimError.of('invalidValue', `${name} must be a boolean.`);
}

export function requireObject(body: unknown): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ScimError.of('invalidSyntax', 'The request body must be a JSON object.');
  }
  return body as Json;
}

export function requireSchema(body: Json, schema: string): void {
  const schemas = body[keyOf(body, 'schemas') ?? 'schemas'];
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === schema.toLowerCase())
  ) {
    throw ScimError.of('invalidSyntax', `The request must list the schema ${schema} in "schemas".`);
  }
}
