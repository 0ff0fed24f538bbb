/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes of a resource
 * an answer carries. Pure.
 */
import type { Json, ListQuery } from './list-query.js';

/** The projection parameters of a request (GET query, SearchRequest, or a write's query). */
export type Projection = Pick<ListQuery, 'attributes' | 'excludedAttributes'>;

/** The key of `resource` matching `name` case-insensitively (SCIM attribute names are). */
export function keyOf(resource: Json, name: string): string | undefined {
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
  query: Projection,
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
export function wants(query: Projection, name: string) {
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
