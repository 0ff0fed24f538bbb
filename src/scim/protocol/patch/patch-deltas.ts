/**
 * Deltas of `deltaOnly` attributes (a group's `members`): the engine never holds their values,
 * it turns add/remove/replace operations into sets of ids the store applies set-based.
 */
import type { Filter } from 'scim2-parse-filter';
import {
  type AttributeDef,
  describe,
  fail,
  findDef,
  getAttr,
  isObject,
  READ_ONLY,
} from './attributes.js';
import { type AttrTarget, filterAttribute } from './patch-path.js';

/** For a deltaOnly attribute. With `replaceWith`, the list becomes exactly that (add and remove are then empty); otherwise add `add` and drop `remove` (disjoint sets). */
export interface MemberDelta {
  add: string[];
  remove: string[];
  replaceWith?: string[];
}

export type OpName = 'add' | 'replace' | 'remove';

export interface DeltaState {
  add: Set<string>;
  remove: Set<string>;
  replaceWith?: Set<string>;
}

/** Checks a value against its definition, as the engine does for every value it is given. */
export type NormalizeAny = (def: AttributeDef, v: unknown, where: string) => unknown;

export function applyDelta(
  deltas: Map<string, DeltaState>,
  op: OpName,
  t: AttrTarget,
  value: unknown,
  normalizeAny: NormalizeAny,
): void {
  if (t.def.mutability === READ_ONLY) fail('mutability', `${t.text} is read-only.`);
  if (t.sub) fail('invalidPath', `${t.text}: sub-attributes of ${t.name} cannot be patched.`);
  const key = t.scope.core ? t.name : `${t.scope.urn}:${t.name}`;
  let d = deltas.get(key);
  if (!d) {
    d = { add: new Set(), remove: new Set() };
    deltas.set(key, d);
  }
  if (op === 'remove') {
    if (t.filter) return removeIds(d, filterIds(t, t.filter));
    if (value === undefined || value === null) return replaceIds(d, []);
    return removeIds(d, deltaIds(t, value, normalizeAny));
  }
  if (t.filter) fail('invalidPath', `${t.text}: ${op} takes "${t.name}" without a filter.`);
  if (value === null) return op === 'replace' ? replaceIds(d, []) : undefined;
  const ids = deltaIds(t, value, normalizeAny);
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
function deltaIds(t: AttrTarget, value: unknown, normalizeAny: NormalizeAny): string[] {
  const subs = t.def.subAttributes ?? {};
  const known = (v: unknown) =>
    isObject(v)
      ? Object.fromEntries(Object.entries(v).filter(([k]) => findDef(subs, k) !== undefined))
      : v;
  const values = normalizeAny(
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
function filterIds(t: AttrTarget, f: Filter): string[] {
  if (f.op === 'or') return f.filters.flatMap((x) => filterIds(t, x));
  if (f.op === 'eq' && filterAttribute(t, f.attrPath).name.toLowerCase() === 'value') {
    if (typeof f.compValue !== 'string' || f.compValue === '') {
      return fail('invalidValue', `${t.text}: ids are strings, not ${describe(f.compValue)}.`);
    }
    return [f.compValue];
  }
  return fail('invalidPath', `${t.text}: only value eq "id" (joined by or) selects ${t.name}.`);
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

/** The deltas as the engine returns them. */
export function memberDeltas(deltas: Map<string, DeltaState>): Record<string, MemberDelta> {
  const out: Record<string, MemberDelta> = {};
  for (const [name, d] of deltas) {
    out[name] = {
      add: [...d.add],
      remove: [...d.remove],
      ...(d.replaceWith && { replaceWith: [...d.replaceWith] }),
    };
  }
  return out;
}
