/**
 * What the PATCH engine knows of a resource's attributes (RFC 7643 §2, §7 characteristics), and
 * the helpers that read and write them by name, case-insensitively as SCIM names are. Pure.
 */
import { ScimError, type ScimType } from '../scim-error.js';

export interface AttributeDef {
  type: 'string' | 'boolean' | 'integer' | 'decimal' | 'dateTime' | 'reference' | 'complex';
  multiValued?: boolean;
  mutability?: 'readWrite' | 'readOnly' | 'immutable' | 'writeOnly';
  /** Removing it (or replacing it with null) is mutability. */
  required?: boolean;
  subAttributes?: Record<string, AttributeDef>;
  /** Strings compare case-insensitively (filters, duplicate detection) unless this is true. */
  caseExact?: boolean;
  /** Multi-valued attributes too large to hold (group members): the engine does not touch the resource for them and reports deltas instead. */
  deltaOnly?: boolean;
}

export interface PatchSchema {
  /** urn:ietf:params:scim:schemas:core:2.0:User or ...:Group */
  coreSchemaUrn: string;
  /** Extension schema URNs whose attributes live under that URN key of the resource. */
  extensionUrns: string[];
  /** Top-level core attributes keyed by canonical SCIM name; `id`, `externalId`, `meta` and `schemas` are built in. */
  attributes: Record<string, AttributeDef>;
  /** Attributes of each extension, keyed by extension URN. */
  extensions: Record<string, Record<string, AttributeDef>>;
}

export type Json = Record<string, unknown>;

export interface Scope {
  urn: string;
  core: boolean;
  defs: Record<string, AttributeDef>;
}

export interface Named {
  name: string;
  def: AttributeDef;
}

export const READ_ONLY = 'readOnly';

export const META_DEF: AttributeDef = {
  type: 'complex',
  mutability: READ_ONLY,
  subAttributes: {
    resourceType: { type: 'string', mutability: READ_ONLY, caseExact: true },
    created: { type: 'dateTime', mutability: READ_ONLY },
    lastModified: { type: 'dateTime', mutability: READ_ONLY },
    location: { type: 'reference', mutability: READ_ONLY, caseExact: true },
    version: { type: 'string', mutability: READ_ONLY, caseExact: true },
  },
};

/** RFC 7643 §3.1 common attributes: always present, never writable except externalId. */
export const FIXED_COMMON: Record<string, AttributeDef> = {
  id: { type: 'string', mutability: READ_ONLY, caseExact: true },
  meta: META_DEF,
  schemas: { type: 'reference', multiValued: true, mutability: READ_ONLY, caseExact: true },
};
export const DEFAULT_COMMON: Record<string, AttributeDef> = {
  externalId: { type: 'string', caseExact: true },
};

export function fail(scimType: ScimType, detail: string): never {
  throw ScimError.of(scimType, detail);
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Own key of `obj` equal to `name` ignoring case. */
export function findKey(obj: object, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (Object.hasOwn(obj, name)) return name;
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function getAttr(obj: Json, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

export function deleteAttr(obj: Json, name: string): void {
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) delete obj[k];
}

export function setAttr(obj: Json, name: string, value: unknown): void {
  deleteAttr(obj, name);
  obj[name] = value;
}

export function findDef(defs: Record<string, AttributeDef>, name: string): Named | undefined {
  const key = findKey(defs, name);
  const def = key === undefined ? undefined : defs[key];
  return key !== undefined && def ? { name: key, def } : undefined;
}

export function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? [...(v as unknown[])] : [v];
}

/** A copy of a stored complex value with its known sub-attributes under their canonical names. */
export function canon(def: AttributeDef, v: unknown): Json {
  const out: Json = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const name = findDef(def.subAttributes ?? {}, k)?.name ?? k;
    out[name] = x;
  }
  return out;
}

export function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0)
  );
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Equality of two values of one attribute: strings ignore case unless caseExact. */
export function sameValue(def: AttributeDef, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (def.type === 'dateTime') return Date.parse(a) === Date.parse(b);
    return def.caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
  }
  return deepEqual(a, b);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}
