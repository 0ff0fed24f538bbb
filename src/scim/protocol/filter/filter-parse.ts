/**
 * SCIM filter text (RFC 7644 §3.4.2.2) → scim2-parse-filter's tree, with every comparison value
 * decoded. Pure. filter-sql.ts translates the tree to SQL, filter-match.ts matches it in memory.
 */
import { parse, type Filter } from 'scim2-parse-filter';
import { isStorableText } from '../../../common/request-values.js';
import { ScimError } from '../scim-error.js';

export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 50;

export type Op = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = boolean | null | number | string;

export function invalid(detail: string): ScimError {
  return ScimError.of('invalidFilter', detail);
}

/** The client's text, quoted and shortened for an error detail. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** What `scan` learns from the filter text, besides the tree scim2-parse-filter parses. */
export interface Scanned {
  /** The filter with its i-th value (quoted string or bare word) replaced by `"i"`. */
  text: string;
  /** The values: quoted strings decoded as JSON strings, bare words read by `bareValue`. */
  values: CompValue[];
  /** For each '[' in source order: whether its ']' is followed by '.'. */
  subAttributeAfterValuePath: boolean[];
}

/**
 * Parses a filter as RFC 7644 §3.4.2.2 writes it, and with bare-word values (see `scan`), into
 * scim2-parse-filter's tree with every comparison value decoded. Throws ScimError invalidFilter.
 */
export function parseScimFilter(filter: string): Filter {
  return parseFilter(filter).ast;
}

export function parseFilter(filter: string): { ast: Filter; scanned: Scanned } {
  if (typeof filter !== 'string' || filter.trim() === '') throw invalid('The filter is empty');
  if (filter.length > MAX_FILTER_LENGTH) {
    throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const scanned = scan(filter);
  let ast: Filter;
  try {
    ast = parse(scanned.text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /"(\d+)"/g,
      (placeholder, i: string) => {
        const value = scanned.values[Number(i)];
        return value === undefined ? placeholder : quote(String(value));
      },
    );
    throw invalid(`Invalid filter syntax: ${reason.slice(0, 300)}`);
  }
  return { ast: withValues(ast, scanned.values, 0), scanned };
}

/** The tree with each `"i"` the parser read as a comparison value replaced by value i. */
function withValues(node: Filter, values: CompValue[], depth: number): Filter {
  if (depth > MAX_FILTER_DEPTH) {
    throw invalid(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels`);
  }
  switch (node.op) {
    case 'and':
    case 'or':
      return { ...node, filters: node.filters.map((f) => withValues(f, values, depth + 1)) };
    case 'not':
      return { ...node, filter: withValues(node.filter, values, depth + 1) };
    case '[]':
      return { ...node, valFilter: withValues(node.valFilter, values, depth + 1) };
    case 'pr':
      return node;
    default: {
      if (typeof node.compValue !== 'string') return node;
      const value = values[Number(node.compValue)];
      if (value === undefined) throw invalid('Unsupported value in the filter');
      return { ...node, compValue: value };
    }
  }
}

const COMPARISON_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
/** Where a word ends: white space, a bracket, a parenthesis or a quote. */
const WORD = /[^\s()[\]"]+/y;

/**
 * A value written without quotes: `true`, `false`, `null` and JSON numbers are themselves; any
 * other word is a string, as API tools send (`userName sw O`, `meta.created gt
 * 2015-10-10T14:38:21.8617979-07:00`) and as Microsoft's reference SCIM server reads them.
 */
function bareValue(word: string): CompValue {
  if (word === 'true' || word === 'false' || word === 'null' || JSON_NUMBER.test(word)) {
    return JSON.parse(word) as CompValue;
  }
  return word;
}

/** Where the scanner is in the grammar: what the next word is. */
type Expecting = 'attribute' | 'operator' | 'value' | 'logical' | 'nothing';

/**
 * Reads the values, brackets and nesting the parser gets wrong or reports without a position:
 * - scim2-parse-filter decodes only `\"` in a quoted value, and fails on one ending in `\\`; the
 *   RFC's compValue is a JSON string, so each is decoded here and handed to the parser as `"i"`.
 * - a word after a comparison operator is a value, not only the RFC's JSON literals (the
 *   parser refuses `O`, and misreads `-3` before a space or `)`): each is read by `bareValue`
 *   and handed over as `"i"` too. Elsewhere words reach the parser as they are.
 * - it turns `emails[type eq "work"].value eq "x"` into `and(emails[type eq "work"],
 *   emails.value eq "x")`, the tree of the explicit `emails[type eq "work"] and emails.value eq
 *   "x"`, whose two conditions may hold on different emails: the ']' followed by '.' tells them apart.
 */
function scan(filter: string): Scanned {
  const values: CompValue[] = [];
  const subAttributeAfterValuePath: boolean[] = [];
  const open: { char: string; at: number; valuePath?: number }[] = [];
  let expecting: Expecting = 'attribute';
  let text = '';
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i] as string;
    if (char === '"') {
      const start = i;
      for (i++; i < filter.length && filter[i] !== '"'; i++) {
        if (filter[i] === '\\') i++;
      }
      if (i >= filter.length) throw invalid(`Unterminated string at character ${start + 1}`);
      let value: string;
      try {
        value = JSON.parse(filter.slice(start, i + 1)) as string;
      } catch {
        throw invalid(`Invalid JSON string (escape sequence) at character ${start + 1}`);
      }
      // The request guard sees `\u0000` as six characters; decoded, no column can hold it.
      if (!isStorableText(value)) {
        throw invalid(`The string at character ${start + 1} holds a NUL or an unpaired surrogate`);
      }
      values.push(value);
      text += `"${values.length - 1}"`;
      expecting = expecting === 'value' ? 'logical' : 'nothing';
      continue;
    }
    if (/\s/.test(char)) {
      text += char;
      continue;
    }
    if (char === '(' || char === '[') {
      if (open.length >= MAX_FILTER_DEPTH) {
        throw invalid(
          `The filter nests deeper than ${MAX_FILTER_DEPTH} levels at character ${i + 1}`,
        );
      }
      const valuePath = char === '[' ? subAttributeAfterValuePath.push(false) - 1 : undefined;
      open.push({ char, at: i, valuePath });
      text += char;
      expecting = expecting === 'attribute' || char === '[' ? 'attribute' : 'nothing';
      continue;
    }
    if (char === ')' || char === ']') {
      const top = open.pop();
      if (top?.char !== (char === ')' ? '(' : '[')) {
        throw invalid(`Unexpected '${char}' at character ${i + 1}`);
      }
      text += char;
      expecting = 'logical';
      if (top.valuePath !== undefined && filter[i + 1] === '.') {
        subAttributeAfterValuePath[top.valuePath] = true;
        text += '.';
        i++;
        expecting = 'attribute';
      }
      continue;
    }
    WORD.lastIndex = i;
    const word = (WORD.exec(filter) as RegExpExecArray)[0];
    i += word.length - 1;
    const lower = word.toLowerCase();
    switch (expecting) {
      case 'value':
        values.push(bareValue(word));
        text += `"${values.length - 1}"`;
        expecting = 'logical';
        continue;
      case 'attribute':
        expecting = lower === 'not' ? 'attribute' : 'operator';
        break;
      case 'operator':
        expecting = COMPARISON_OPERATORS.has(lower)
          ? 'value'
          : lower === 'pr'
            ? 'logical'
            : 'nothing';
        break;
      case 'logical':
        expecting = lower === 'and' || lower === 'or' ? 'attribute' : 'nothing';
        break;
      case 'nothing':
        break;
    }
    text += word;
  }
  const unclosed = open.pop();
  if (unclosed) throw invalid(`Unclosed '${unclosed.char}' at character ${unclosed.at + 1}`);
  return { text, values, subAttributeAfterValuePath };
}
