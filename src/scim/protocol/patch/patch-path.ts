/**
 * PATCH paths (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:...:attr`, `attr[filter]`,
 * `attr[filter].sub`, resolved against a resource's schemas. Unknown names are invalidPath.
 */
import type { Filter } from 'scim2-parse-filter';
import { parseScimFilter } from '../filter/filter-parse.js';
import {
  type AttributeDef,
  DEFAULT_COMMON,
  fail,
  findDef,
  findKey,
  FIXED_COMMON,
  type Named,
  type PatchSchema,
  type Scope,
} from './attributes.js';

export interface AttrTarget {
  kind: 'attr';
  text: string;
  scope: Scope;
  name: string;
  def: AttributeDef;
  filter?: Filter;
  sub?: Named;
}

export type Target = { kind: 'resource' } | { kind: 'extension'; scope: Scope } | AttrTarget;

const NAME_RE = /^[A-Za-z$][\w$-]*/;

/** The resource's scopes: the core schema (common attributes included) first, then each extension. */
export function scopesOf(schema: PatchSchema): Scope[] {
  const core: Scope = {
    urn: schema.coreSchemaUrn,
    core: true,
    defs: { ...DEFAULT_COMMON, ...schema.attributes, ...FIXED_COMMON },
  };
  return [
    core,
    ...schema.extensionUrns.map((urn) => ({
      urn,
      core: false,
      defs: schema.extensions[findKey(schema.extensions, urn) ?? urn] ?? {},
    })),
  ];
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

/** Resolves a path (or a path-less key); `within` resolves keys of an extension's value. */
export function resolvePath(raw: string, scopes: readonly Scope[], within?: Scope): Target {
  const text = raw.trim();
  const core = scopes[0] as Scope;
  let scope = within ?? core;
  let rest = text;
  const lower = text.toLowerCase();
  const candidates = within ? [within] : scopes;
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
      fail('invalidPath', `"${text}": bad filter (${e instanceof Error ? e.message : 'syntax'}).`);
    }
    checkFilter(target, target.filter);
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
    if (!subAttr) return fail('invalidPath', `"${sub[0]}" is not a sub-attribute of ${attr.name}.`);
    target.sub = subAttr;
    rest = '';
  }
  if (rest !== '') fail('invalidPath', `"${text}" is not a valid attribute path.`);
  return target;
}

/** The sub-attribute a filter's attrPath names (`type`, or `emails.type`). */
export function filterAttribute(t: AttrTarget, attrPath: string): Named {
  let name = attrPath;
  if (name.toLowerCase().startsWith(`${t.name.toLowerCase()}.`)) {
    name = name.slice(t.name.length + 1);
  }
  return (
    findDef(t.def.subAttributes ?? {}, name) ??
    fail('invalidPath', `"${t.text}": "${attrPath}" is not a sub-attribute of ${t.name}.`)
  );
}

function checkFilter(t: AttrTarget, f: Filter): void {
  switch (f.op) {
    case 'and':
    case 'or':
      return f.filters.forEach((x) => checkFilter(t, x));
    case 'not':
      return checkFilter(t, f.filter);
    case '[]':
      return fail('invalidPath', `"${t.text}": value filters cannot nest.`);
    default:
      filterAttribute(t, f.attrPath);
  }
}
