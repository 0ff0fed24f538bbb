/** Versions and preconditions (RFC 7644 §3.14): weak ETags and If-Match. Pure. */
import { ScimError } from './scim-error.js';

/**
 * A weak ETag (and meta.version) from the versions of the rows a resource is made of: a counter
 * every write bumps, never a clock (ARCHITECTURE.md §13).
 */
export function etagOf(...versions: (string | number)[]): string {
  return `W/"${versions.join('-')}"`;
}

/** If-Match: `*`, or one of the listed ETags must be the current one; else 412. */
export function assertIfMatch(header: string | undefined, current: string): void {
  if (!header) return;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw ScimError.status(412, `The resource changed: its version is ${current}, not ${header}.`);
}
