import { CommonException } from './app-exception.js';

/**
 * NUL, or a UTF-16 surrogate without its pair: text no PostgreSQL column or jsonb value can
 * hold, and no client has a reason to send.
 */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** `%` not followed by two hex digits is a literal percent sign, as querystring reads it. */
const LONE_PERCENT = /%(?![0-9a-f]{2})/gi;

/** A raw URL (path and query) decoded, or undefined when a %XX sequence is not UTF-8. */
export function decodeUrl(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(LONE_PERCENT, '%25').replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export interface ValueLimits {
  /** Objects and arrays inside one another; the value itself is level 1. */
  maxDepth: number;
  /** Characters of one string (keys included). */
  maxStringLength?: number;
  /** Attributes (keys) of one object. */
  maxAttributes?: number;
}

const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

function pathName(name: string, path: (string | number)[]): string {
  const printable = (key: string) => key.replace(UNSTORABLE_ALL, '\ufffd').slice(0, 100);
  return (
    name +
    path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${printable(part)}`)).join('')
  );
}

function checkText(text: string, where: () => string, limits: ValueLimits) {
  if (!isStorableText(text)) {
    return new CommonException(
      'INVALID_CHARACTERS',
      `${where()} contains a NUL character or an unpaired UTF-16 surrogate.`,
    );
  }
  if (limits.maxStringLength !== undefined && text.length > limits.maxStringLength) {
    return new CommonException(
      'VALUE_TOO_LONG',
      `${where()} is longer than ${limits.maxStringLength} characters.`,
    );
  }
  return undefined;
}

interface Frame {
  node: object;
  keys: string[] | undefined;
  size: number;
  next: number;
}

/**
 * The first problem of a parsed request value (JSON body, form, query), or undefined. Walks
 * depth-first without recursion and never below the depth limit, so its memory is bounded by
 * that limit and no nesting can overflow the stack.
 */
export function findValueProblem(
  value: unknown,
  name: string,
  limits: ValueLimits,
): CommonException | undefined {
  const frames: Frame[] = [];
  const path: (string | number)[] = [];
  const where = () => pathName(name, path);

  const visit = (current: unknown): CommonException | undefined => {
    if (typeof current === 'string') return checkText(current, where, limits);
    if (current === null || typeof current !== 'object') return undefined;
    if (frames.length >= limits.maxDepth) {
      return new CommonException(
        'NESTED_TOO_DEEP',
        `${where()} nests objects or arrays more than ${limits.maxDepth} levels deep.`,
      );
    }
    if (Array.isArray(current)) {
      frames.push({ node: current, keys: undefined, size: current.length, next: 0 });
      return undefined;
    }
    const keys = Object.keys(current);
    if (limits.maxAttributes !== undefined && keys.length > limits.maxAttributes) {
      return new CommonException(
        'TOO_MANY_ATTRIBUTES',
        `${where()} has ${keys.length} attributes; at most ${limits.maxAttributes} are accepted.`,
      );
    }
    frames.push({ node: current, keys, size: keys.length, next: 0 });
    return undefined;
  };

  let problem = visit(value);
  while (!problem && frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame.next >= frame.size) {
      frames.pop();
      continue;
    }
    const index = frame.next++;
    path.length = frames.length - 1;
    if (frame.keys) {
      const key = frame.keys[index]!;
      path.push(key);
      problem =
        checkText(key, where, limits) ?? visit((frame.node as Record<string, unknown>)[key]);
    } else {
      path.push(index);
      problem = visit((frame.node as unknown[])[index]);
    }
  }
  return problem;
}
