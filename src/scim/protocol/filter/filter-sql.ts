/**
 * SCIM filter (RFC 7644 §3.4.2.2) → parameterised PostgreSQL boolean expression, through an
 * allow-list of attributes. Pure: no Nest, no TypeORM. Every value the client sends goes into
 * `SqlParams` as a `$n` placeholder; the SQL text only ever holds what the FilterSchema says.
 *
 * Semantics chosen here (the RFC leaves them open):
 * - Attribute and sub-attribute names compare case-insensitively; the core schema URN prefix
 *   (`urn:ietf:params:scim:schemas:core:2.0:User:userName`) may qualify any core attribute.
 * - Strings compare case-insensitively (`lower(x) = lower($n)`, ILIKE) unless `caseExact`;
 *   `reference` and `binary` are case-exact by default (RFC 7643 §2.3.6, §2.3.7).
 * - `ne` is `IS DISTINCT FROM`: a missing attribute is "not equal", so `a ne v` ≡ `not (a eq v)`
 *   on single-valued attributes. On multi-valued ones every operator means "some value matches".
 * - `pr`: not NULL (and, for strings, not empty); on a multi-valued attribute, at least one value.
 * - `not` is two-valued: a comparison with a missing attribute is false, so its negation is true.
 * - Booleans accept true/false and the strings "true"/"false" in any case (Entra sends
 *   `active eq "True"`). `null` is never a comparison value (use `not (attr pr)`).
 * - dateTime values must be ISO 8601 date-times (a time is required; no offset means UTC).
 * - String values are JSON strings (RFC 7644 ABNF): `\\`, `\"`, `\u00e9` are decoded.
 * - A value may also be a bare word (`userName sw O`): `true`, `false`, `null` and JSON numbers
 *   are themselves, any other word up to a space, parenthesis, bracket or quote is a string.
 */
import type { Filter } from 'scim2-parse-filter';
import { escapeLike } from '../../../common/sql.js';
import {
  type CompValue,
  invalid,
  MAX_FILTER_DEPTH,
  type Op,
  parseFilter,
  quote,
  type Scanned,
} from './filter-parse.js';

export { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseScimFilter } from './filter-parse.js';

export type ScimValueType =
  'string' | 'boolean' | 'integer' | 'decimal' | 'dateTime' | 'reference' | 'binary';

export interface SubAttribute {
  type: ScimValueType;
  caseExact?: boolean;
}

/** A single-valued attribute held by an SQL expression of the matching PostgreSQL type
 * (text for string/reference/binary, boolean, an integer type, numeric, timestamptz). */
export interface ScalarAttribute extends SubAttribute {
  kind: 'scalar';
  /** e.g. "coalesce(m.scim_user_name, u.email)" */
  sql: string;
  /** The SQL is already lower-case (a case-insensitive string stored normalised): values are
   * lowered instead, so an index on the column serves eq, ordering and sw (LIKE). */
  lowerCased?: boolean;
}

/** A multi-valued complex attribute stored as a jsonb array of objects (e.g. emails). */
export interface MultiValuedAttribute {
  kind: 'multi';
  /** An SQL expression yielding a jsonb array (anything else counts as no values), e.g. "m.scim_data->'emails'". */
  jsonArraySql: string;
  /** Keys are the JSON keys of each element: value, type, primary, display... */
  subAttributes: Record<string, SubAttribute>;
  /** The sub-attribute `emails eq "x"` compares ('value'). */
  defaultSubAttribute?: string;
}

/** A multi-valued attribute held in rows of another table (e.g. group members). */
export interface ExistsAttribute {
  kind: 'exists';
  subAttributes: Record<string, SubAttribute>;
  /** Builds `EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND <condition>)`. */
  exists: (condition: string) => string;
  /** Sub-attribute → SQL expression on the joined row, e.g. { value: 'gm.user_id::text' }. */
  columns: Record<string, string>;
  defaultSubAttribute?: string;
}

export type FilterAttribute = ScalarAttribute | MultiValuedAttribute | ExistsAttribute;

export interface FilterSchema {
  /** Attribute paths as SCIM writes them ('userName', 'name.givenName', 'emails',
   * 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber'), compared
   * case-insensitively. */
  attributes: Record<string, FilterAttribute>;
  /** e.g. 'urn:ietf:params:scim:schemas:core:2.0:User': accepted as a prefix of core attributes. */
  coreSchemaUrn: string;
  /** Extension schema URNs, named in errors about URN-qualified paths. */
  extensionUrns?: string[];
}

/** Positional parameters of one statement: `add` returns the placeholder of its value. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly start = 1) {}

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.start + this.values.length - 1}`;
  }
}

/**
 * Translates a SCIM filter into a boolean SQL expression for a WHERE clause (NULL means no
 * match), adding its values to `params`. Throws only `ScimError` invalidFilter; on error,
 * `params` is left as it was.
 */
export function translateFilter(filter: string, schema: FilterSchema, params: SqlParams): string {
  const before = params.values.length;
  try {
    const { ast, scanned } = parseFilter(filter);
    return new Translator(schema, params, scanned).filter(ast);
  } catch (error) {
    params.values.splice(before);
    throw error;
  }
}

/** A typed SQL value expression and the name the client used for it (for errors). */
interface Operand {
  sql: string;
  type: ScimValueType;
  caseExact: boolean;
  lowerCased?: boolean;
  name: string;
}

/** The values of a multi-valued attribute: conditions on one value, wrapped into "some value". */
interface Collection {
  name: string;
  attribute: MultiValuedAttribute | ExistsAttribute;
  /** `condition` on one value (undefined: any value) → "some value satisfies it". */
  some(condition: string | undefined): string;
  operand(subAttribute: string, name: string): Operand;
}

/** A translated condition; `nullable` when SQL may yield NULL for it (a missing attribute). */
interface Sql {
  sql: string;
  nullable: boolean;
}

type Resolved =
  | { kind: 'scalar'; operand: Operand }
  | { kind: 'collection'; collection: Collection; subAttribute?: string };

const COMPARISON_SQL: Record<Exclude<Op, 'co' | 'sw' | 'ew'>, string> = {
  eq: '=',
  ne: 'IS DISTINCT FROM',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

const ELEMENT = 'scim_el.v';

class Translator {
  private readonly attributes = new Map<string, FilterAttribute>();
  private readonly corePrefix: string;
  private valuePaths = 0;

  constructor(
    private readonly schema: FilterSchema,
    private readonly params: SqlParams,
    private readonly scanned: Scanned,
  ) {
    this.corePrefix = `${schema.coreSchemaUrn.toLowerCase()}:`;
    for (const [path, attribute] of Object.entries(schema.attributes)) {
      this.attributes.set(this.canonical(path), attribute);
    }
  }

  filter(node: Filter): string {
    return this.node(node, 0, undefined).sql;
  }

  /** `scope`: the multi-valued attribute whose value filter (`emails[...]`) holds `node`. */
  private node(node: Filter, depth: number, scope: Collection | undefined): Sql {
    if (depth > MAX_FILTER_DEPTH) {
      throw invalid(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels`);
    }
    switch (node.op) {
      case 'and':
      case 'or': {
        if (!scope && node.op === 'and' && this.isSubAttributeOfValuePath(node.filters)) {
          return this.valuePathSubAttribute(node.filters, depth);
        }
        const parts = node.filters.map((f) => this.node(f, depth + 1, scope));
        return {
          sql: `(${parts.map((p) => p.sql).join(node.op === 'and' ? ' AND ' : ' OR ')})`,
          nullable: parts.some((p) => p.nullable),
        };
      }
      case 'not': {
        const inner = this.node(node.filter, depth + 1, scope);
        return {
          sql: inner.nullable
            ? `NOT coalesce(${inner.sql}, false)`
            : `NOT ${parenthesized(inner.sql)}`,
          nullable: false,
        };
      }
      case '[]': {
        if (scope) {
          throw invalid(
            `A value filter cannot be nested inside the value filter of ${quote(scope.name)}`,
          );
        }
        if (this.scanned.subAttributeAfterValuePath[this.valuePaths++]) {
          throw invalid(`Expected a sub-attribute after ${quote(`${node.attrPath}[...].`)}`);
        }
        const collection = this.valuePathCollection(node.attrPath);
        const condition = this.node(node.valFilter, depth + 1, collection);
        return { sql: collection.some(condition.sql), nullable: false };
      }
      case 'pr':
        return this.presence(node.attrPath, scope);
      default:
        return this.comparison(node.op, node.attrPath, node.compValue, scope);
    }
  }

  /** True for the parser's shape of `emails[type eq "work"].value eq "x"` (see `scan`). */
  private isSubAttributeOfValuePath(filters: Filter[]): boolean {
    return (
      filters[0]?.op === '[]' && this.scanned.subAttributeAfterValuePath[this.valuePaths] === true
    );
  }

  /** `emails[type eq "work"].value eq "x"`: one email satisfies both conditions. */
  private valuePathSubAttribute(filters: Filter[], depth: number): Sql {
    const [valuePath, comparison] = filters;
    this.valuePaths++;
    if (
      valuePath?.op !== '[]' ||
      filters.length !== 2 ||
      !comparison ||
      !('attrPath' in comparison) ||
      !comparison.attrPath.startsWith(`${valuePath.attrPath}.`)
    ) {
      throw invalid('Unsupported filter after a value filter');
    }
    const collection = this.valuePathCollection(valuePath.attrPath);
    const name = comparison.attrPath.slice(valuePath.attrPath.length + 1);
    if (comparison.op === '[]') {
      throw invalid(`A value filter cannot follow the sub-attribute ${quote(comparison.attrPath)}`);
    }
    const condition = this.node(valuePath.valFilter, depth + 1, collection);
    const subCondition =
      comparison.op === 'pr'
        ? this.presence(name, collection)
        : this.comparison(comparison.op, name, comparison.compValue, collection);
    return { sql: collection.some(`${condition.sql} AND ${subCondition.sql}`), nullable: false };
  }

  private valuePathCollection(path: string): Collection {
    const resolved = this.resolve(path);
    if (resolved.kind === 'scalar') {
      throw invalid(`${quote(path)} is single-valued and cannot have a value filter`);
    }
    if (resolved.subAttribute !== undefined) {
      throw invalid(`A value filter cannot follow the sub-attribute ${quote(path)}`);
    }
    return resolved.collection;
  }

  private presence(path: string, scope: Collection | undefined): Sql {
    if (scope) {
      return this.present(scope.operand(this.subAttribute(scope, path), `${scope.name}.${path}`));
    }
    const resolved = this.resolve(path);
    if (resolved.kind === 'scalar') return this.present(resolved.operand);
    const { collection, subAttribute } = resolved;
    if (subAttribute === undefined) return { sql: collection.some(undefined), nullable: false };
    const condition = this.present(collection.operand(subAttribute, path));
    return { sql: collection.some(condition.sql), nullable: false };
  }

  private present(operand: Operand): Sql {
    const value = parenthesized(operand.sql);
    return {
      sql: isText(operand.type)
        ? `(${value} IS NOT NULL AND ${value} <> '')`
        : `${value} IS NOT NULL`,
      nullable: false,
    };
  }

  private comparison(op: Op, path: string, value: CompValue, scope: Collection | undefined): Sql {
    if (scope) {
      const operand = scope.operand(this.subAttribute(scope, path), `${scope.name}.${path}`);
      return this.compare(op, operand, value);
    }
    const resolved = this.resolve(path);
    if (resolved.kind === 'scalar') return this.compare(op, resolved.operand, value);
    const { collection } = resolved;
    const subAttribute = resolved.subAttribute ?? collection.attribute.defaultSubAttribute;
    if (subAttribute === undefined) {
      throw invalid(`${quote(path)} is multi-valued: compare one of its sub-attributes`);
    }
    const condition = this.compare(op, collection.operand(subAttribute, path), value);
    return { sql: collection.some(condition.sql), nullable: false };
  }

  private compare(op: Op, operand: Operand, value: CompValue): Sql {
    const { name, type } = operand;
    if (value === null) {
      throw invalid(`${quote(name)} cannot be compared with null; use "not (${name} pr)"`);
    }
    if (op === 'co' || op === 'sw' || op === 'ew') {
      if (type !== 'string' && type !== 'reference') {
        throw invalid(
          `The operator "${op}" does not apply to the ${type} attribute ${quote(name)}`,
        );
      }
      const text = escapeLike(this.string(operand, value));
      const pattern = op === 'co' ? `%${text}%` : op === 'sw' ? `${text}%` : `%${text}`;
      const like = operand.caseExact ? 'LIKE' : 'ILIKE';
      if (operand.lowerCased && !operand.caseExact) {
        return {
          sql: `${parenthesized(operand.sql)} LIKE lower(${this.params.add(pattern)}::text) ESCAPE '\\'`,
          nullable: true,
        };
      }
      return {
        sql: `${parenthesized(operand.sql)} ${like} ${this.params.add(pattern)}::text ESCAPE '\\'`,
        nullable: true,
      };
    }
    const sqlOp = COMPARISON_SQL[op];
    const nullable = op !== 'ne';
    const ordering = op !== 'eq' && op !== 'ne';
    if (ordering && (type === 'boolean' || type === 'binary')) {
      throw invalid(`The operator "${op}" does not apply to the ${type} attribute ${quote(name)}`);
    }
    const left = parenthesized(operand.sql);
    switch (type) {
      case 'string':
      case 'reference':
      case 'binary': {
        const placeholder = `${this.params.add(this.string(operand, value))}::text`;
        return {
          sql: operand.caseExact
            ? `${left} ${sqlOp} ${placeholder}`
            : operand.lowerCased
              ? `${left} ${sqlOp} lower(${placeholder})`
              : `lower(${operand.sql}) ${sqlOp} lower(${placeholder})`,
          nullable,
        };
      }
      case 'boolean':
        return {
          sql: `${left} ${sqlOp} ${this.params.add(boolean(name, value))}::boolean`,
          nullable,
        };
      case 'integer':
        return {
          sql: `${left} ${sqlOp} ${this.params.add(integer(name, value))}::bigint`,
          nullable,
        };
      case 'decimal':
        return {
          sql: `${left} ${sqlOp} ${this.params.add(decimal(name, value))}::numeric`,
          nullable,
        };
      case 'dateTime':
        return {
          sql: `${left} ${sqlOp} ${this.params.add(dateTime(name, value))}::timestamptz`,
          nullable,
        };
    }
  }

  private string(operand: Operand, value: Exclude<CompValue, null>): string {
    if (typeof value !== 'string') {
      throw invalid(
        `${quote(operand.name)} is a ${operand.type}: compare it with a quoted string, not ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  private canonical(path: string): string {
    const lower = path.toLowerCase();
    return lower.startsWith(this.corePrefix) ? lower.slice(this.corePrefix.length) : lower;
  }

  private resolve(path: string): Resolved {
    const canonical = this.canonical(path);
    const exact = this.attributes.get(canonical);
    if (exact) return this.resolved(exact, path, undefined);
    // The name after the last ':' (URNs hold dots, "2.0") may carry a sub-attribute.
    const dot = canonical.indexOf('.', canonical.lastIndexOf(':') + 1);
    const parent = dot > 0 ? this.attributes.get(canonical.slice(0, dot)) : undefined;
    if (parent) return this.resolved(parent, path, canonical.slice(dot + 1));
    const colon = canonical.lastIndexOf(':');
    if (canonical.startsWith('urn:') && colon > 0) {
      const urn = canonical.slice(0, colon);
      const known = (this.schema.extensionUrns ?? []).some((u) => u.toLowerCase() === urn);
      if (!known) throw invalid(`Unknown schema ${quote(path.slice(0, colon))} in the filter`);
    }
    throw invalid(`Unknown attribute ${quote(path)} in the filter`);
  }

  private resolved(attribute: FilterAttribute, path: string, sub: string | undefined): Resolved {
    if (attribute.kind === 'scalar') {
      if (sub !== undefined) throw invalid(`${quote(path)}: the attribute has no sub-attributes`);
      const caseExact = attribute.caseExact ?? defaultCaseExact(attribute.type);
      return {
        kind: 'scalar',
        operand: {
          sql: attribute.sql,
          type: attribute.type,
          caseExact,
          lowerCased: attribute.lowerCased,
          name: path,
        },
      };
    }
    const name = sub === undefined ? path : path.slice(0, path.length - sub.length - 1);
    const collection = this.collection(attribute, name);
    return {
      kind: 'collection',
      collection,
      subAttribute: sub === undefined ? undefined : this.subAttribute(collection, sub, path),
    };
  }

  /** The schema's spelling of a sub-attribute the client named in any case. */
  private subAttribute(collection: Collection, sub: string, path = sub): string {
    const lower = sub.toLowerCase();
    const key = Object.keys(collection.attribute.subAttributes).find(
      (k) => k.toLowerCase() === lower,
    );
    if (key === undefined) {
      throw invalid(`Unknown sub-attribute ${quote(path)} of ${quote(collection.name)}`);
    }
    return key;
  }

  private collection(attribute: MultiValuedAttribute | ExistsAttribute, name: string): Collection {
    const operand = (sub: string, path: string): Operand => {
      const { type, caseExact } = attribute.subAttributes[sub] as SubAttribute;
      return {
        sql: attribute.kind === 'multi' ? jsonElement(sub, type) : column(attribute, sub),
        type,
        caseExact: caseExact ?? defaultCaseExact(type),
        name: path,
      };
    };
    if (attribute.kind === 'exists') {
      return {
        name,
        attribute,
        operand,
        some: (condition) => attribute.exists(condition ?? 'TRUE'),
      };
    }
    const array = attribute.jsonArraySql;
    const elements = `jsonb_array_elements(CASE jsonb_typeof(${array}) WHEN 'array' THEN ${array} END) AS scim_el(v)`;
    return {
      name,
      attribute,
      operand,
      some: (condition) =>
        `EXISTS (SELECT 1 FROM ${elements}${condition === undefined ? '' : ` WHERE ${condition}`})`,
    };
  }
}

function column(attribute: ExistsAttribute, sub: string): string {
  const sql = attribute.columns[sub];
  // A FilterSchema mistake, not the client's: let it fail loudly.
  if (sql === undefined) throw new TypeError(`FilterSchema: no column for sub-attribute ${sub}`);
  return sql;
}

/** One jsonb array element's sub-attribute as an SQL value of its type (NULL if another JSON type). */
function jsonElement(key: string, type: ScimValueType): string {
  const literal = `'${key.replace(/'/g, "''")}'`;
  const text = `${ELEMENT}->>${literal}`;
  switch (type) {
    case 'boolean':
      return `CASE jsonb_typeof(${ELEMENT}->${literal}) WHEN 'boolean' THEN (${text})::boolean END`;
    case 'integer':
    case 'decimal':
      return `CASE jsonb_typeof(${ELEMENT}->${literal}) WHEN 'number' THEN (${text})::numeric END`;
    case 'dateTime':
      return `(${text})::timestamptz`;
    default:
      return text;
  }
}

function isText(type: ScimValueType): boolean {
  return type === 'string' || type === 'reference' || type === 'binary';
}

function defaultCaseExact(type: ScimValueType): boolean {
  return type === 'reference' || type === 'binary';
}

/** `sql` as the operand of an operator: bare when it is a column, a call or a parenthesised
 * expression (each optionally cast), else in parentheses. */
function parenthesized(sql: string): string {
  const expression = sql.replace(/(::[A-Za-z_]\w*)+$/, '');
  if (/^[A-Za-z_][\w.]*$/.test(expression)) return sql;
  const open = /^([A-Za-z_][\w.]*)?\(/.exec(expression);
  if (open) {
    let depth = 0;
    let quoted = false;
    for (let i = open[0].length - 1; i < expression.length; i++) {
      const char = expression[i];
      if (char === "'") quoted = !quoted;
      else if (!quoted && char === '(') depth++;
      else if (!quoted && char === ')' && --depth === 0) {
        return i === expression.length - 1 ? sql : `(${sql})`;
      }
    }
  }
  return `(${sql})`;
}

function boolean(name: string, value: Exclude<CompValue, null>): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  throw invalid(`${quote(name)} is a boolean: compare it with true or false`);
}

function integer(name: string, value: Exclude<CompValue, null>): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw invalid(`${quote(name)} is an integer: ${quote(String(value))} is not one`);
}

function decimal(name: string, value: Exclude<CompValue, null>): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalid(`${quote(name)} is a number: ${quote(String(value))} is not one`);
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-](\d{2}):(\d{2}))?$/;

/** An ISO 8601 date-time PostgreSQL reads as timestamptz; without an offset, UTC. */
function dateTime(name: string, value: Exclude<CompValue, null>): string {
  const match = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (match) {
    const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
      .slice(1, 7)
      .map((part) => Number(part ?? 0));
    const [offsetHour = 0, offsetMinute = 0] = match.slice(8, 10).map((part) => Number(part ?? 0));
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const daysInMonth =
      [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
    if (
      year >= 1 &&
      day >= 1 &&
      day <= daysInMonth &&
      hour <= 23 &&
      minute <= 59 &&
      second <= 59 &&
      offsetHour <= 15 &&
      offsetMinute <= 59
    ) {
      return match[7] === undefined ? `${match[0]}Z` : match[0];
    }
  }
  throw invalid(
    `${quote(name)} is a dateTime: ${quote(String(value))} is not an ISO 8601 date-time`,
  );
}
