/**
 * A value filter (`emails[type eq "work"]`) matched against the elements of a multi-valued
 * attribute in memory, as the PATCH engine selects them; filter-sql.ts translates the same
 * filters to SQL for list requests. Same semantics: strings compare case-insensitively unless
 * caseExact, `ne` holds when every value differs, `pr` needs a non-empty value.
 */
import type { Filter } from 'scim2-parse-filter';
import { type AttributeDef, getAttr, isEmpty, isObject } from '../patch/attributes.js';
import { type AttrTarget, filterAttribute } from '../patch/patch-path.js';

/** Whether `element` (one value of `t`'s attribute) matches `f`. */
export function matchesFilter(t: AttrTarget, element: unknown, f: Filter): boolean {
  switch (f.op) {
    case 'and':
      return f.filters.every((x) => matchesFilter(t, element, x));
    case 'or':
      return f.filters.some((x) => matchesFilter(t, element, x));
    case 'not':
      return !matchesFilter(t, element, f.filter);
    case '[]':
      return false;
    case 'pr': {
      if (!isObject(element)) return false;
      const v = getAttr(element, filterAttribute(t, f.attrPath).name);
      return !isEmpty(v) && v !== '';
    }
    default: {
      if (!isObject(element)) return false;
      const sub = filterAttribute(t, f.attrPath);
      const actual = getAttr(element, sub.name);
      const values = Array.isArray(actual) ? (actual as unknown[]) : [actual];
      const result = values.some((v) => compare(sub.def, v, f.op, f.compValue));
      return f.op === 'ne' ? values.every((v) => compare(sub.def, v, 'ne', f.compValue)) : result;
    }
  }
}

export function compare(def: AttributeDef, actual: unknown, op: string, comp: unknown): boolean {
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
