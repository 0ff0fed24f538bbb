/** Checks of a request body every SCIM write makes. Pure. */
import type { Json } from './list-query.js';
import { keyOf } from './projection.js';
import { ScimError } from './scim-error.js';

/** A value the IdP may send as a boolean or as "True"/"False" (Entra's legacy dialect). */
export function asBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true';
  throw ScimError.of('invalidValue', `${name} must be a boolean.`);
}

export function requireObject(body: unknown): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ScimError.of('invalidSyntax', 'The request body must be a JSON object.');
  }
  return body as Json;
}

export function requireSchema(body: Json, schema: string): void {
  const schemas = body[keyOf(body, 'schemas') ?? 'schemas'];
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === schema.toLowerCase())
  ) {
    throw ScimError.of('invalidSyntax', `The request must list the schema ${schema} in "schemas".`);
  }
}
