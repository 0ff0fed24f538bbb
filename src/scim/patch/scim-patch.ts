/**
 * SCIM PATCH engine (RFC 7644 §3.5.2): pure, no Nest, no TypeORM.
 *
 * `applyPatch` lower-cases each `op`, splits a path-less add/replace into one operation per key,
 * applies every operation to a deep copy of the resource, keeps at most one `primary: true` per
 * multi-valued attribute, and returns the copy only when every operation succeeded (all or
 * nothing). Attributes marked `deltaOnly` (group `members`) are never read or written: their
 * operations come back as deltas the caller applies to its own store.
 *
 * Decisions where the RFC is silent, ambiguous, or where real clients (Okta, Microsoft Entra ID)
 * depart from it:
 * - `op` is matched case-insensitively (Entra sends `Add`/`Replace`/`Remove`); anything else is
 *   invalidSyntax. Booleans sent as strings (`"True"`, `"false"`: Entra without
 *   `?aadOptscim062020`) become booleans; both quirks are reported in `dialect`.
 * - `remove` without a path is noTarget, as RFC 7644 §3.5.2.2 says.
 * - `remove` is idempotent: removing an absent attribute, or with a filter that matches nothing,
 *   succeeds without change (Entra removes members that are already gone).
 * - `add`/`replace` with a value filter that matches nothing creates the element from the
 *   filter's `eq` parts (Entra's `emails[type eq "work"].value`), although §3.5.2.3 asks for
 *   noTarget on replace; a filter that is not a conjunction of `eq` (so no element can be built
 *   from it) is noTarget.
 * - `add`/`replace` of a complex single-valued attribute merges sub-attributes (§3.5.2.3); a
 *   `null` value unassigns (RFC 7643 §2.5): `replace` with `null` removes, `add` with `null` is
 *   a no-op.
 * - Names are case-insensitive; results use the schema's canonical names. An unknown attribute,
 *   sub-attribute (in a path or inside a value) or schema URN is invalidPath, extensions
 *   included: an attribute the resource layer does not declare would otherwise be dropped
 *   silently, and Entra shows the error in its provisioning logs. Two exceptions: unknown
 *   sub-attributes of a deltaOnly value are ignored (Microsoft's test collection sends members
 *   as `{"displayName": ..., "value": id}`), and so is a `schemas` key in an extension object.
 * - The PatchOp message's own names (`Operations`, `op`, `path`, `value`) are case-insensitive too.
 * - Writing `id`, `meta`, `schemas` or any readOnly attribute is mutability, except with the
 *   value it already has (Okta's group rename echoes `id`); a path-less `schemas` key is
 *   ignored. readOnly sub-attributes inside a value are dropped, as PUT does (RFC 7644 §3.5.1).
 *   An immutable attribute may be set once. Removing a required, readOnly or immutable attribute
 *   is mutability.
 * - A single-valued complex attribute given a bare primitive takes it as its `value`
 *   (Entra sends the enterprise `manager` as the manager's id).
 * - Adding to a multi-valued attribute skips values already there: complex values with the same
 *   `value` (and `type`) are merged into the existing element instead of being appended.
 * - Writing an extension attribute adds the extension URN to the resource's `schemas` (when it
 *   has a `schemas` array); an extension left empty is dropped, and its URN with it.
 */
import type { Filter } from 'scim2-parse-filter';
import { parseScimFilter } from '../filter/scim-filter.js';
import { ScimError, type ScimType } from '../scim-error.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

export interface PatchRequest {
  schemas: string[];
  Operations: PatchOperation[];
}

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

/** For a deltaOnly attribute. With `replaceWith`, the list becomes exactly that (add and remove are then empty); otherwise add `add` and drop `remove` (disjoint sets). */
export interface MemberDelta {
  add: string[];
  remove: string[];
  replaceWith?: string[];
}

/** Non-standard forms seen in the request, as hints of the client (both are Entra habits). */
export interface PatchDialect {
  /** An `op` that was not lower-case (`Add`, `Replace`, `Remove`). */
  capitalizedOps: boolean;
  /** A boolean attribute given as a string (`"True"`, `"false"`). */
  stringBooleans: boolean;
}

export interface PatchResult {
  /** A patched copy of the resource, canonical names; may hold writeOnly values (`password`) for the caller to take out. */
  resource: Record<string, unknown>;
  /** Keyed by attribute name (`members`), or `urn:attr` for an extension attribute. */
  deltas: Record<string, MemberDelta>;
  /** Whether the resource differs from the input or any delta was recorded. */
  changed: boolean;
  dialect: PatchDialect;
}

type Json = Record<string, unknown>;
type OpName = 'add' | 'replace' | 'remove';

interface Scope {
  urn: string;
  core: boolean;
  defs: Record<string, AttributeDef>;
}

interface Named {
  name: string;
  def: AttributeDef;
}

interface AttrTarget {
  kind: 'attr';
  text: string;
  scope: Scope;
  name: string;
  def: AttributeDef;
  filter?: Filter;
  sub?: Named;
}

type Target = { kind: 'resource' } | { kind: 'extension'; scope: Scope } | AttrTarget;

interface DeltaState {
  add: Set<string>;
  remove: Set<string>;
  replaceWith?: Set<string>;
}

const READ_ONLY = 'readOnly';

const META_DEF: AttributeDef = {
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
const FIXED_COMMON: Record<string, AttributeDef> = {
  id: { type: 'string', mutability: READ_ONLY, caseExact: true },
  meta: META_DEF,
  schemas: { type: 'reference', multiValued: true, mutability: READ_ONLY, caseExact: true },
};
const DEFAULT_COMMON: Record<string, AttributeDef> = {
  externalId: { type: 'string', caseExact: true },
};

const NAME_RE = /^[A-Za-z$][\w$-]*/;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

function fail(scimType: ScimType, detail: string): never {
  throw ScimError.of(scimType, detail);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Own key of `obj` equal to `name` ignoring case. */
function findKey(obj: object, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (Object.hasOwn(obj, name)) return name;
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function getAttr(obj: Json, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

function deleteAttr(obj: Json, name: string): void {
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) delete obj[k];
}

function setAttr(obj: Json, name: string, value: unknown): void {
  deleteAttr(obj, name);
  obj[name] = value;
}

function findDef(defs: Record<string, AttributeDef>, name: string): Named | undefined {
  const key = findKey(defs, name);
  const def = key === undefined ? undefined : defs[key];
  return key !== undefined && def ? { name: key, def } : undefined;
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? [...(v as unknown[])] : [v];
}

/** A copy of a stored complex value with its known sub-attributes under their canonical names. */
function canon(def: AttributeDef, v: unknown): Json {
  const out: Json = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const name = findDef(def.subAttributes ?? {}, k)?.name ?? k;
    out[name] = x;
  }
  return out;
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0)
  );
}

function deepEqual(a: unknown, b: unknown): boolean {
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
function sameValue(def: AttributeDef, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (def.type === 'dateTime') return Date.parse(a) === Date.parse(b);
    return def.caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
  }
  return deepEqual(a, b);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Index of the `]` closing the `[` at `open`, skipping quoted strings. */
function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ']') return i;
  }
  return -1;
}

/** Parses and checks a PatchOp message; `capitalizedOps` is set on `dialect`. */
function readOperations(request: unknown, dialect: PatchDialect): PatchOperation[] {
  if (!isObject(request)) return fail('invalidSyntax', 'The PatchOp request must be an object.');
  const schemas = getAttr(request, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())
  ) {
    fail('invalidSyntax', `The request "schemas" must contain "${PATCH_OP_SCHEMA}".`);
  }
  const operations = getAttr(request, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    fail('invalidSyntax', 'The request must have a non-empty "Operations" array.');
  }
  return (operations as unknown[]).map((raw, i) => {
    const where = `Operations[${i}]`;
    if (!isObject(raw)) return fail('invalidSyntax', `${where} must be an object.`);
    const [op, path, value] = ['op', 'path', 'value'].map((k) => getAttr(raw, k));
    if (typeof op !== 'string') return fail('invalidSyntax', `${where} has no "op".`);
    const name = op.toLowerCase();
    if (name !== 'add' && name !== 'replace' && name !== 'remove') {
      fail('invalidSyntax', `${where}: unknown op "${op}" (add, replace or remove).`);
    }
    if (op !== name) dialect.capitalizedOps = true;
    if (path !== undefined && path !== null && typeof path !== 'string') {
      fail('invalidSyntax', `${where}: "path" must be a string.`);
    }
    const trimmed = typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined;
    if (name === 'remove' && trimmed === undefined) {
      // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails ... noTarget".
      fail('noTarget', `${where}: remove needs a "path".`);
    }
    if (name !== 'remove' && value === undefined) {
      fail('invalidSyntax', `${where}: ${name} needs a "value".`);
    }
    return { op: name, ...(trimmed !== undefined && { path: trimmed }), value };
  });
}

class Patcher {
  readonly dialect: PatchDialect;
  readonly deltas = new Map<string, DeltaState>();
  private readonly core: Scope;
  private readonly scopes: Scope[];
  /** When each element was last set primary (later wins). */
  private readonly primaryStamps = new Map<object, number>();
  private stamp = 0;
  /** Multi-valued attributes written by this request: their `primary` is normalised at the end. */
  private readonly touchedLists = new Map<string, { scope: Scope; name: string }>();
  private readonly touchedExtensions = new Set<Scope>();

  constructor(
    private readonly resource: Json,
    schema: PatchSchema,
    dialect: PatchDialect,
  ) {
    this.dialect = dialect;
    this.core = {
      urn: schema.coreSchemaUrn,
      core: true,
      defs: { ...DEFAULT_COMMON, ...schema.attributes, ...FIXED_COMMON },
    };
    this.scopes = [
      this.core,
      ...schema.extensionUrns.map((urn) => ({
        urn,
        core: false,
        defs: schema.extensions[findKey(schema.extensions, urn) ?? urn] ?? {},
      })),
    ];
  }

  // ---- paths -------------------------------------------------------------------------------

  /** Resolves a path (or a path-less key); `within` resolves keys of an extension's value. */
  resolve(raw: string, within?: Scope): Target {
    const text = raw.trim();
    let scope = within ?? this.core;
    let rest = text;
    const lower = text.toLowerCase();
    const candidates = within ? [within] : this.scopes;
    const prefixed = candidates
      .filter((s) => {
        const u = s.urn.toLowerCase();
        return lower === u || lower.startsWith(`${u}:`);
      })
      .sort((a, b) => b.urn.length - a.urn.length)[0];
    if (prefixed) {
      if (lower.length === prefixed.urn.length) {
        return prefixed.core ? { kind: 'resource' } : { kind: 'extension', scope: prefixed };
      }
      scope = prefixed;
      rest = text.slice(prefixed.urn.length + 1);
    }

    const head = NAME_RE.exec(rest);
    if (!head) return fail('invalidPath', `"${text}" is not a valid attribute path.`);
    const attr = findDef(scope.defs, head[0]);
    if (!attr) {
      return fail(
        'invalidPath',
        /^[a-z][\w.+-]*:/i.test(text) && !prefixed
          ? `"${text}" is not in a schema of this resource.`
          : `"${head[0]}" is not an attribute of ${scope.urn}.`,
      );
    }
    const target: AttrTarget = { kind: 'attr', text, scope, name: attr.name, def: attr.def };
    rest = rest.slice(head[0].length);

    if (rest.startsWith('[')) {
      const close = closingBracket(rest, 0);
      if (close < 0) fail('invalidPath', `"${text}": unclosed "[".`);
      if (!attr.def.multiValued || attr.def.type !== 'complex') {
        fail('invalidPath', `"${text}": only multi-valued complex attributes take a filter.`);
      }
      try {
        target.filter = parseScimFilter(rest.slice(1, close));
      } catch (e) {
        fail(
          'invalidPath',
          `"${text}": bad filter (${e instanceof Error ? e.message : 'syntax'}).`,
        );
      }
      this.checkFilter(target, target.filter);
      rest = rest.slice(close + 1);
    }
    if (rest.startsWith('.')) {
      const sub = NAME_RE.exec(rest.slice(1));
      if (!sub || sub[0].length !== rest.length - 1) {
        return fail('invalidPath', `"${text}" is not a valid attribute path.`);
      }
      if (attr.def.type !== 'complex') {
        fail('invalidPath', `"${text}": ${attr.name} has no sub-attributes.`);
      }
      const subAttr = findDef(attr.def.subAttributes ?? {}, sub[0]);
      if (!subAttr)
        return fail('invalidPath', `"${sub[0]}" is not a sub-attribute of ${attr.name}.`);
      target.sub = subAttr;
      rest = '';
    }
    if (rest !== '') fail('invalidPath', `"${text}" is not a valid attribute path.`);
    return target;
  }

  /** The sub-attribute a filter's attrPath names (`type`, or `emails.type`). */
  private filterAttr(t: AttrTarget, attrPath: string): Named {
    let name = attrPath;
    if (name.toLowerCase().startsWith(`${t.name.toLowerCase()}.`)) {
      name = name.slice(t.name.length + 1);
    }
    return (
      findDef(t.def.subAttributes ?? {}, name) ??
      fail('invalidPath', `"${t.text}": "${attrPath}" is not a sub-attribute of ${t.name}.`)
    );
  }

  private checkFilter(t: AttrTarget, f: Filter): void {
    switch (f.op) {
      case 'and':
      case 'or':
        return f.filters.forEach((x) => this.checkFilter(t, x));
      case 'not':
        return this.checkFilter(t, f.filter);
      case '[]':
        return fail('invalidPath', `"${t.text}": value filters cannot nest.`);
      default:
        this.filterAttr(t, f.attrPath);
    }
  }

  private matches(t: AttrTarget, element: unknown, f: Filter): boolean {
    switch (f.op) {
      case 'and':
        return f.filters.every((x) => this.matches(t, element, x));
      case 'or':
        return f.filters.some((x) => this.matches(t, element, x));
      case 'not':
        return !this.matches(t, element, f.filter);
      case '[]':
        return false;
      case 'pr': {
        if (!isObject(element)) return false;
        const v = getAttr(element, this.filterAttr(t, f.attrPath).name);
        return !isEmpty(v) && v !== '';
      }
      default: {
        if (!isObject(element)) return false;
        const sub = this.filterAttr(t, f.attrPath);
        const actual = getAttr(element, sub.name);
        const values = Array.isArray(actual) ? (actual as unknown[]) : [actual];
        const result = values.some((v) => compare(sub.def, v, f.op, f.compValue));
        return f.op === 'ne' ? values.every((v) => compare(sub.def, v, 'ne', f.compValue)) : result;
      }
    }
  }

  /** The element a filter describes when it is `a eq x and b eq y`; undefined otherwise. */
  private filterParts(t: AttrTarget, f: Filter): Json | undefined {
    if (f.op === 'eq') {
      if (f.compValue === null) return undefined;
      const sub = this.filterAttr(t, f.attrPath);
      return { [sub.name]: this.normalize(sub.def, f.compValue, `${t.name}.${sub.name}`) };
    }
    if (f.op !== 'and') return undefined;
    const parts: Json = {};
    for (const x of f.filters) {
      const p = this.filterParts(t, x);
      if (!p) return undefined;
      for (const [k, v] of Object.entries(p)) {
        if (Object.hasOwn(parts, k) && !deepEqual(parts[k], v)) return undefined;
        parts[k] = v;
      }
    }
    return parts;
  }

  // ---- values ------------------------------------------------------------------------------

  /** Checks one (non-array) value against `def`, returning it in canonical form. */
  private normalize(def: AttributeDef, v: unknown, where: string): unknown {
    const expected = def.type === 'complex' ? 'an object' : `of type ${def.type}`;
    const bad = (): never =>
      fail('invalidValue', `${where} must be ${expected}, not ${describe(v)}.`);
    switch (def.type) {
      case 'string':
      case 'reference':
        return typeof v === 'string' ? v : bad();
      case 'boolean':
        if (typeof v === 'boolean') return v;
        if (typeof v === 'string' && /^(true|false)$/i.test(v)) {
          this.dialect.stringBooleans = true;
          return v.toLowerCase() === 'true';
        }
        return bad();
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v) ? v : bad();
      case 'decimal':
        return typeof v === 'number' && Number.isFinite(v) ? v : bad();
      case 'dateTime':
        return typeof v === 'string' && DATE_TIME_RE.test(v) && !Number.isNaN(Date.parse(v))
          ? v
          : bad();
      case 'complex':
        return isObject(v) ? this.normalizeComplex(def, v, where).set : bad();
    }
  }

  /** A complex value: canonical sub-attribute names; `null` ones listed in `unset`; readOnly ones dropped. */
  private normalizeComplex(def: AttributeDef, v: Json, where: string) {
    const set: Json = {};
    const unset: string[] = [];
    for (const [key, raw] of Object.entries(v)) {
      const sub =
        findDef(def.subAttributes ?? {}, key) ??
        fail('invalidPath', `"${key}" is not a sub-attribute of ${where}.`);
      delete set[sub.name];
      if (raw === null || raw === undefined) {
        unset.push(sub.name);
        continue;
      }
      if (sub.def.mutability === READ_ONLY) continue;
      set[sub.name] = this.normalizeAny(sub.def, raw, `${where}.${sub.name}`);
    }
    return { set, unset };
  }

  /** A value of `def`, an array when multi-valued (a lone value is wrapped). */
  private normalizeAny(def: AttributeDef, v: unknown, where: string): unknown {
    if (!def.multiValued) {
      if (Array.isArray(v)) fail('invalidValue', `${where} is single-valued, not an array.`);
      return this.normalize(def, v, where);
    }
    return asList(v).map((x, i) =>
      x === null ? fail('invalidValue', `${where}[${i}] is null.`) : this.normalize(def, x, where),
    );
  }

  private sameElement(def: AttributeDef, a: unknown, b: unknown): boolean {
    if (def.type !== 'complex' || !isObject(a) || !isObject(b)) return sameValue(def, a, b);
    const subs = def.subAttributes ?? {};
    const valueDef = findDef(subs, 'value');
    if (valueDef && b[valueDef.name] !== undefined) {
      const typeDef = findDef(subs, 'type');
      const ta = typeDef ? getAttr(a, typeDef.name) : undefined;
      const tb = typeDef ? b[typeDef.name] : undefined;
      return (
        sameValue(valueDef.def, getAttr(a, valueDef.name), b[valueDef.name]) &&
        (ta === undefined || tb === undefined
          ? ta === tb
          : sameValue(typeDef?.def ?? valueDef.def, ta, tb))
      );
    }
    return deepEqual(a, b);
  }

  private markPrimary(element: unknown, update?: unknown): void {
    const source = update ?? element;
    if (isObject(element) && isObject(source) && source.primary === true) {
      this.primaryStamps.set(element, ++this.stamp);
    }
  }

  /** Adds values to a list, merging those already there. */
  private mergeInto(def: AttributeDef, list: unknown[], values: unknown[]): unknown[] {
    for (const v of values) {
      const i = list.findIndex((e) => this.sameElement(def, e, v));
      if (i < 0) {
        list.push(v);
        this.markPrimary(v);
      } else if (isObject(v) && isObject(list[i])) {
        const merged = { ...canon(def, list[i]), ...v };
        list[i] = merged;
        this.markPrimary(merged, v);
      }
    }
    return list;
  }

  // ---- containers --------------------------------------------------------------------------

  /** The object a scope's attributes live in: the resource, or its extension object. */
  private container(scope: Scope, create: boolean): Json | undefined {
    if (scope.core) return this.resource;
    const existing = getAttr(this.resource, scope.urn);
    if (isObject(existing)) {
      if (create) setAttr(this.resource, scope.urn, existing);
      return existing;
    }
    if (!create) return undefined;
    const made: Json = {};
    setAttr(this.resource, scope.urn, made);
    const schemas = this.resource.schemas;
    if (
      Array.isArray(schemas) &&
      !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === scope.urn.toLowerCase())
    ) {
      schemas.push(scope.urn);
    }
    this.touchedExtensions.add(scope);
    return made;
  }

  private touchList(t: AttrTarget): void {
    this.touchedLists.set(`${t.scope.urn}\u0000${t.name}`, { scope: t.scope, name: t.name });
  }

  // ---- operations --------------------------------------------------------------------------

  apply(op: OpName, target: Target, value: unknown): void {
    if (target.kind === 'resource' || target.kind === 'extension') {
      if (op === 'remove') return this.removeExtension(target);
      if (!isObject(value)) {
        return fail(
          target.kind === 'resource' ? 'invalidSyntax' : 'invalidValue',
          `${target.kind === 'resource' ? 'A path-less operation' : target.scope.urn} needs an object value, not ${describe(value)}.`,
        );
      }
      for (const [key, v] of Object.entries(value)) {
        // An extension object may carry its own "schemas" (some clients copy the resource's).
        if (key.toLowerCase() === 'schemas') continue;
        const scope = target.kind === 'extension' ? target.scope : undefined;
        this.apply(op, this.resolve(key, scope), v);
      }
      return;
    }
    if (target.def.deltaOnly) return this.applyDelta(op, target, value);
    if (op === 'remove') return this.remove(target, value);
    if (value === null) return op === 'add' ? undefined : this.remove(target, undefined);
    return this.write(op, target, value);
  }

  private removeExtension(target: Target): void {
    if (target.kind !== 'extension') return fail('noTarget', 'remove needs a path.');
    const { scope } = target;
    const required = Object.entries(scope.defs).find(([, d]) => d.required);
    if (required) fail('mutability', `${scope.urn}:${required[0]} is required.`);
    if (getAttr(this.resource, scope.urn) === undefined) return;
    deleteAttr(this.resource, scope.urn);
    this.touchedExtensions.add(scope);
  }

  private write(op: 'add' | 'replace', t: AttrTarget, value: unknown): void {
    const { def, sub, filter } = t;
    const container = this.container(t.scope, false);
    const current = container ? getAttr(container, t.name) : undefined;

    if (def.mutability === READ_ONLY || (sub && sub.def.mutability === READ_ONLY)) {
      const existing = sub && isObject(current) ? getAttr(current, sub.name) : current;
      if (!filter && deepEqual(value, existing)) return;
      fail('mutability', `${t.text} is read-only.`);
    }

    if (filter) {
      const list = asList(current);
      const matched = list.filter((e) => this.matches(t, e, filter));
      const base = (): Json => ({ ...(this.filterParts(t, filter) ?? {}) });
      if (matched.length === 0) {
        if (!this.filterParts(t, filter)) {
          fail('noTarget', `${t.text} matches no value, and its filter does not describe one.`);
        }
        const element = base();
        if (sub) this.setSub(element, sub, value, t);
        else Object.assign(element, this.elementValue(t, value));
        list.push(element);
        this.markPrimary(element);
      } else {
        for (const element of matched) {
          const i = list.indexOf(element);
          if (sub) {
            const copy = canon(def, element);
            this.setSub(copy, sub, value, t);
            list[i] = copy;
            this.carryStamp(element, copy);
          } else {
            const v = this.elementValue(t, value);
            const next = op === 'add' ? { ...canon(def, element), ...v } : { ...base(), ...v };
            list[i] = next;
            if (op === 'add') this.carryStamp(element, next);
            this.markPrimary(next, v);
          }
        }
      }
      this.store(t, list);
      return;
    }

    if (sub) {
      if (def.multiValued) {
        const list = asList(current);
        if (list.length === 0) fail('noTarget', `${t.text}: ${t.name} has no values.`);
        const next = list.map((e) => {
          const copy = canon(def, e);
          this.setSub(copy, sub, value, t);
          this.carryStamp(e, copy);
          return copy;
        });
        return this.store(t, next);
      }
      const copy = canon(def, current);
      this.setSub(copy, sub, value, t);
      return this.store(t, copy);
    }

    if (def.multiValued) {
      const values = this.normalizeAny(def, value, t.text) as unknown[];
      const list = op === 'add' ? asList(current) : [];
      return this.store(t, this.mergeInto(def, list, values));
    }

    if (def.type === 'complex') {
      const valueSub = findDef(def.subAttributes ?? {}, 'value');
      const input =
        !isObject(value) && !Array.isArray(value) && valueSub ? { [valueSub.name]: value } : value;
      if (!isObject(input)) {
        return fail('invalidValue', `${t.text} must be an object, not ${describe(value)}.`);
      }
      const { set, unset } = this.normalizeComplex(def, input, t.name);
      const next = canon(def, current);
      for (const k of unset) deleteAttr(next, k);
      for (const [k, v] of Object.entries(set)) setAttr(next, k, v);
      return this.store(t, next);
    }

    const v = this.normalize(def, value, t.text);
    if (def.mutability === 'immutable' && current !== undefined && !sameValue(def, current, v)) {
      fail('mutability', `${t.text} is immutable.`);
    }
    this.store(t, v);
  }

  /** A value written at a filtered path without sub-attribute: one element. */
  private elementValue(t: AttrTarget, value: unknown): Json {
    if (!isObject(value)) {
      return fail('invalidValue', `${t.text} must be an object, not ${describe(value)}.`);
    }
    return this.normalizeComplex(t.def, value, t.name).set;
  }

  private setSub(element: Json, sub: Named, value: unknown, t: AttrTarget): void {
    const existing = getAttr(element, sub.name);
    if (value === null) return deleteAttr(element, sub.name);
    const v = this.normalizeAny(sub.def, value, `${t.name}.${sub.name}`);
    if (
      sub.def.mutability === 'immutable' &&
      existing !== undefined &&
      !sameValue(sub.def, existing, v)
    ) {
      fail('mutability', `${t.text} is immutable.`);
    }
    setAttr(element, sub.name, v);
    if (sub.name === 'primary' && v === true) this.primaryStamps.set(element, ++this.stamp);
  }

  private carryStamp(from: unknown, to: Json): void {
    if (!isObject(from)) return;
    const s = this.primaryStamps.get(from);
    if (s !== undefined && !this.primaryStamps.has(to)) this.primaryStamps.set(to, s);
  }

  /** Writes an attribute's new value (removing it when empty). */
  private store(t: AttrTarget, value: unknown): void {
    if (t.def.multiValued) this.touchList(t);
    if (isEmpty(value)) {
      const container = this.container(t.scope, false);
      if (container) deleteAttr(container, t.name);
      if (!t.scope.core) this.touchedExtensions.add(t.scope);
      return;
    }
    setAttr(this.container(t.scope, true) as Json, t.name, value);
  }

  private remove(t: AttrTarget, value: unknown): void {
    const { def, sub, filter } = t;
    if (def.mutability === READ_ONLY || (sub && sub.def.mutability === READ_ONLY)) {
      fail('mutability', `${t.text} is read-only.`);
    }
    if (!sub && !filter && def.required) fail('mutability', `${t.text} is required.`);
    if (sub && sub.def.required) fail('mutability', `${t.text} is required.`);
    const container = this.container(t.scope, false);
    const current = container ? getAttr(container, t.name) : undefined;
    if (current === undefined || current === null) return;
    if (!sub && !filter && def.mutability === 'immutable')
      fail('mutability', `${t.text} is immutable.`);

    if (!sub && !filter) {
      if (def.multiValued && value !== undefined && value !== null) {
        // Entra: {"op":"Remove","path":"emails","value":[{...}]} removes those values only.
        const gone = this.normalizeAny(def, value, t.text) as unknown[];
        const kept = asList(current).filter(
          (e) => !gone.some((g) => this.sameElement(def, e, g) || containsAll(def, e, g)),
        );
        return this.store(t, kept);
      }
      return this.store(t, undefined);
    }

    const list = def.multiValued ? asList(current) : [current];
    const hit = (e: unknown) => (filter ? this.matches(t, e, filter) : true);
    if (!sub)
      return this.store(
        t,
        list.filter((e) => !hit(e)),
      );
    const next = list.map((e) => {
      if (!hit(e) || !isObject(e)) return e;
      const copy = canon(def, e);
      deleteAttr(copy, sub.name);
      this.carryStamp(e, copy);
      return copy;
    });
    const kept = def.multiValued ? next.filter((e) => !isEmpty(e)) : next[0];
    this.store(t, kept);
  }

  // ---- deltaOnly attributes ----------------------------------------------------------------

  private applyDelta(op: OpName, t: AttrTarget, value: unknown): void {
    if (t.def.mutability === READ_ONLY) fail('mutability', `${t.text} is read-only.`);
    if (t.sub) fail('invalidPath', `${t.text}: sub-attributes of ${t.name} cannot be patched.`);
    const key = t.scope.core ? t.name : `${t.scope.urn}:${t.name}`;
    let d = this.deltas.get(key);
    if (!d) {
      d = { add: new Set(), remove: new Set() };
      this.deltas.set(key, d);
    }
    if (op === 'remove') {
      if (t.filter) return removeIds(d, this.filterIds(t, t.filter));
      if (value === undefined || value === null) return replaceIds(d, []);
      return removeIds(d, this.deltaIds(t, value));
    }
    if (t.filter) fail('invalidPath', `${t.text}: ${op} takes "${t.name}" without a filter.`);
    if (value === null) return op === 'replace' ? replaceIds(d, []) : undefined;
    const ids = this.deltaIds(t, value);
    if (op === 'replace') return replaceIds(d, ids);
    for (const id of ids) {
      if (d.replaceWith) d.replaceWith.add(id);
      else {
        d.add.add(id);
        d.remove.delete(id);
      }
    }
  }

  /** Ids of `[{"value": id, ...}]` (or one such object); sub-attributes the schema lacks are
   * ignored (Microsoft's test collection sends `{"displayName": ..., "value": id}`). */
  private deltaIds(t: AttrTarget, value: unknown): string[] {
    const subs = t.def.subAttributes ?? {};
    const known = (v: unknown) =>
      isObject(v)
        ? Object.fromEntries(Object.entries(v).filter(([k]) => findDef(subs, k) !== undefined))
        : v;
    const values = this.normalizeAny(
      t.def,
      Array.isArray(value) ? value.map(known) : known(value),
      t.text,
    ) as unknown[];
    return values.map((v, i) => {
      const id = isObject(v) ? getAttr(v, 'value') : v;
      if (typeof id !== 'string' || id === '') {
        return fail('invalidValue', `${t.text}[${i}] needs a string "value".`);
      }
      return id;
    });
  }

  /** Ids of `value eq "a" or value eq "b"`. */
  private filterIds(t: AttrTarget, f: Filter): string[] {
    if (f.op === 'or') return f.filters.flatMap((x) => this.filterIds(t, x));
    if (f.op === 'eq' && this.filterAttr(t, f.attrPath).name.toLowerCase() === 'value') {
      if (typeof f.compValue !== 'string' || f.compValue === '') {
        return fail('invalidValue', `${t.text}: ids are strings, not ${describe(f.compValue)}.`);
      }
      return [f.compValue];
    }
    return fail('invalidPath', `${t.text}: only value eq "id" (joined by or) selects ${t.name}.`);
  }

  // ---- finishing ---------------------------------------------------------------------------

  finish(): void {
    for (const { scope, name } of this.touchedLists.values()) {
      const container = this.container(scope, false);
      const list = container ? getAttr(container, name) : undefined;
      if (!Array.isArray(list)) continue;
      const primaries = list.filter((e): e is Json => isObject(e) && e.primary === true);
      if (primaries.length < 2) continue;
      let winner = primaries[primaries.length - 1] as Json;
      let best = -1;
      for (const e of primaries) {
        const s = this.primaryStamps.get(e) ?? -1;
        if (s > best) {
          best = s;
          winner = e;
        }
      }
      for (const e of primaries) if (e !== winner) e.primary = false;
    }
    for (const scope of this.touchedExtensions) {
      const ext = getAttr(this.resource, scope.urn);
      if (ext !== undefined && !isEmpty(ext)) continue;
      deleteAttr(this.resource, scope.urn);
      const schemas = this.resource.schemas;
      if (Array.isArray(schemas)) {
        this.resource.schemas = schemas.filter(
          (s) => typeof s !== 'string' || s.toLowerCase() !== scope.urn.toLowerCase(),
        );
      }
    }
  }
}

/** Whether element `e` has every sub-attribute value that `g` gives. */
function containsAll(def: AttributeDef, e: unknown, g: unknown): boolean {
  if (!isObject(e) || !isObject(g) || Object.keys(g).length === 0) return false;
  return Object.entries(g).every(([k, v]) => {
    const sub = findDef(def.subAttributes ?? {}, k);
    return sub !== undefined && sameValue(sub.def, getAttr(e, k), v);
  });
}

function compare(def: AttributeDef, actual: unknown, op: string, comp: unknown): boolean {
  let a = actual;
  let c = comp;
  if (def.type === 'boolean' && typeof c === 'string' && /^(true|false)$/i.test(c)) {
    c = c.toLowerCase() === 'true';
  }
  if (def.type === 'dateTime' && typeof a === 'string' && typeof c === 'string') {
    a = Date.parse(a);
    c = Date.parse(c);
  } else if (typeof a === 'string' && typeof c === 'string' && !def.caseExact) {
    a = a.toLowerCase();
    c = c.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === c;
    case 'ne':
      return a !== c;
    case 'co':
      return typeof a === 'string' && typeof c === 'string' && a.includes(c);
    case 'sw':
      return typeof a === 'string' && typeof c === 'string' && a.startsWith(c);
    case 'ew':
      return typeof a === 'string' && typeof c === 'string' && a.endsWith(c);
  }
  const ordered =
    (typeof a === 'number' && typeof c === 'number') ||
    (typeof a === 'string' && typeof c === 'string');
  if (!ordered) return false;
  const [x, y] = [a as number | string, c as number | string];
  switch (op) {
    case 'gt':
      return x > y;
    case 'ge':
      return x >= y;
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    default:
      return false;
  }
}

function removeIds(d: DeltaState, ids: string[]): void {
  for (const id of ids) {
    if (d.replaceWith) d.replaceWith.delete(id);
    else {
      d.remove.add(id);
      d.add.delete(id);
    }
  }
}

function replaceIds(d: DeltaState, ids: string[]): void {
  d.replaceWith = new Set(ids);
  d.add.clear();
  d.remove.clear();
}

/**
 * `resource` (a POST or PUT body, or a stored resource) with every attribute name the schema
 * declares in the schema's spelling, at every level: common, core and extension attributes and
 * their sub-attributes (RFC 7643 §2.1: names are case-insensitive, and clients read answers with
 * the canonical names). Names the schema lacks keep the client's spelling; a `schemas` key in an
 * extension object is dropped. Of two keys naming one attribute, the later wins, as in a PATCH.
 * Values are not checked. Never mutates `resource`.
 */
export function canonicalNames(
  resource: Record<string, unknown>,
  schema: PatchSchema,
): Record<string, unknown> {
  const core = { ...DEFAULT_COMMON, ...schema.attributes, ...FIXED_COMMON };
  const out: Json = {};
  for (const [key, value] of Object.entries(resource)) {
    const urn = schema.extensionUrns.find((u) => u.toLowerCase() === key.toLowerCase());
    if (urn === undefined) {
      putNamed(out, findDef(core, key), key, value);
      continue;
    }
    const defs = schema.extensions[findKey(schema.extensions, urn) ?? urn] ?? {};
    const extension = isObject(value)
      ? Object.fromEntries(Object.entries(value).filter(([k]) => k.toLowerCase() !== 'schemas'))
      : value;
    put(out, urn, isObject(extension) ? canonicalObject(extension, defs) : extension);
  }
  return out;
}

function canonicalObject(value: Json, defs: Record<string, AttributeDef>): Json {
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) putNamed(out, findDef(defs, key), key, v);
  return out;
}

function putNamed(out: Json, named: Named | undefined, key: string, value: unknown): void {
  if (!named) return put(out, key, value);
  const subs = named.def.subAttributes;
  const canonical = (v: unknown) => (subs && isObject(v) ? canonicalObject(v, subs) : v);
  put(out, named.name, Array.isArray(value) ? value.map(canonical) : canonical(value));
}

/** Sets an own property, whatever the key (`__proto__` included), replacing other casings. */
function put(out: Json, key: string, value: unknown): void {
  deleteAttr(out, key);
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies a SCIM PatchOp request to `resource` (plain JSON, as the service would return it)
 * and returns the patched copy; never mutates its arguments. Throws a ScimError (naming the
 * failing operation) before returning anything if any operation fails.
 */
export function applyPatch(
  resource: Record<string, unknown>,
  request: unknown,
  schema: PatchSchema,
): PatchResult {
  const dialect: PatchDialect = { capitalizedOps: false, stringBooleans: false };
  const operations = readOperations(request, dialect);
  const working = structuredClone(resource);
  const patcher = new Patcher(working, schema, dialect);
  operations.forEach((operation, i) => {
    try {
      const target: Target =
        operation.path === undefined ? { kind: 'resource' } : patcher.resolve(operation.path);
      patcher.apply(operation.op as OpName, target, operation.value);
    } catch (e) {
      if (e instanceof ScimError && e.scimType) {
        const where = `Operations[${i}] (${operation.op}${operation.path ? ` ${operation.path}` : ''})`;
        throw ScimError.of(e.scimType, `${where}: ${e.message}`);
      }
      throw e;
    }
  });
  patcher.finish();

  const deltas: Record<string, MemberDelta> = {};
  for (const [name, d] of patcher.deltas) {
    deltas[name] = {
      add: [...d.add],
      remove: [...d.remove],
      ...(d.replaceWith && { replaceWith: [...d.replaceWith] }),
    };
  }
  const changed =
    !deepEqual(resource, working) ||
    Object.values(deltas).some((d) => d.add.length > 0 || d.remove.length > 0 || d.replaceWith);
  return { resource: working, deltas, changed, dialect };
}
