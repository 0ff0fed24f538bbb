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
import { matchesFilter } from '../filter/filter-match.js';
import { ScimError } from '../scim-error.js';
import {
  type AttributeDef,
  asList,
  canon,
  DEFAULT_COMMON,
  deepEqual,
  deleteAttr,
  describe,
  fail,
  findDef,
  findKey,
  FIXED_COMMON,
  getAttr,
  isEmpty,
  isObject,
  type Json,
  type Named,
  type PatchSchema,
  READ_ONLY,
  sameValue,
  type Scope,
  setAttr,
} from './attributes.js';
import {
  applyDelta,
  type DeltaState,
  type MemberDelta,
  memberDeltas,
  type OpName,
} from './patch-deltas.js';
import {
  type AttrTarget,
  filterAttribute,
  resolvePath,
  scopesOf,
  type Target,
} from './patch-path.js';

export type { AttributeDef, PatchSchema } from './attributes.js';
export type { MemberDelta } from './patch-deltas.js';

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

const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

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
    this.scopes = scopesOf(schema);
  }

  // ---- paths -------------------------------------------------------------------------------

  /** Resolves a path (or a path-less key); `within` resolves keys of an extension's value. */
  resolve(raw: string, within?: Scope): Target {
    return resolvePath(raw, this.scopes, within);
  }

  /** The element a filter describes when it is `a eq x and b eq y`; undefined otherwise. */
  private filterParts(t: AttrTarget, f: Filter): Json | undefined {
    if (f.op === 'eq') {
      if (f.compValue === null) return undefined;
      const sub = filterAttribute(t, f.attrPath);
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
      const matched = list.filter((e) => matchesFilter(t, e, filter));
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
    const hit = (e: unknown) => (filter ? matchesFilter(t, e, filter) : true);
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
    applyDelta(this.deltas, op, t, value, (def, v, where) => this.normalizeAny(def, v, where));
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
 * `resource` (names canonical) without the readOnly attributes and sub-attributes its schema
 * declares, at every level, extensions included: RFC 7644 §3.3 and §3.5.1 ask a server to ignore
 * readOnly values a client sends (`manager.displayName`, RFC 7643 §4.3). `id`, `meta` and
 * `schemas` stay for the caller to check. Never mutates `resource`.
 */
export function withoutReadOnly(
  resource: Record<string, unknown>,
  schema: PatchSchema,
): Record<string, unknown> {
  const out = writable(resource, { ...DEFAULT_COMMON, ...schema.attributes });
  for (const urn of schema.extensionUrns) {
    const extension = out[urn];
    const defs = schema.extensions[findKey(schema.extensions, urn) ?? urn] ?? {};
    if (isObject(extension)) put(out, urn, writable(extension, defs));
  }
  return out;
}

function writable(value: Json, defs: Record<string, AttributeDef>): Json {
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    const named = findDef(defs, key);
    if (named?.def.mutability === READ_ONLY) continue;
    const subs = named?.def.subAttributes;
    const keep = (x: unknown) => (subs && isObject(x) ? writable(x, subs) : x);
    put(out, key, Array.isArray(v) ? v.map(keep) : keep(v));
  }
  return out;
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

  const deltas = memberDeltas(patcher.deltas);
  const changed =
    !deepEqual(resource, working) ||
    Object.values(deltas).some((d) => d.add.length > 0 || d.remove.length > 0 || d.replaceWith);
  return { resource: working, deltas, changed, dialect };
}
