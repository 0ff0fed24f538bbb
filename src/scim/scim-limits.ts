import type { NextFunction, Request, Response } from 'express';
import { REQUEST_LIMITS } from '../common/request-limits.js';
import type { ValueLimits } from '../common/request-values.js';
import { ScimError } from './protocol/scim-error.js';

/** Limits on what one SCIM request may carry; docs/scim-generic.md lists them. */
export const SCIM_LIMITS = {
  maxDepth: REQUEST_LIMITS.jsonDepth,
  maxStringLength: 64 * 1024,
  maxAttributes: 1000,
  /** Members named by one request: a group's `members`, or the values of PATCH operations. */
  membersPerRequest: 10_000,
  maxPayloadBytes: REQUEST_LIMITS.jsonBodyBytes,
} as const;

export const SCIM_VALUE_LIMITS: ValueLimits = SCIM_LIMITS;

/** Whether a request path is under the SCIM base (routes match case-insensitively). */
export function isScimPath(path: string): boolean {
  return /^\/scim\/v2(\/|$)/i.test(path);
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The value of `name` in an object, matched case-insensitively as SCIM attribute names are. */
function attribute(object: Json, name: string): unknown {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : object[key];
}

const countOf = (value: unknown) => (Array.isArray(value) ? value.length : value ? 1 : 0);
const MEMBERS_PATH = /^\s*(urn:ietf:params:scim:schemas:core:2\.0:group:)?members\b/i;

/** Members a Group body (POST, PUT) or PatchOp names. */
export function membersInRequest(body: unknown): number {
  if (!isObject(body)) return 0;
  let members = countOf(attribute(body, 'members'));
  const operations = attribute(body, 'operations');
  for (const operation of Array.isArray(operations) ? operations : []) {
    if (!isObject(operation)) continue;
    const path = attribute(operation, 'path');
    const value = attribute(operation, 'value');
    if (typeof path === 'string' && MEMBERS_PATH.test(path)) members += countOf(value);
    else if (path === undefined && isObject(value)) members += countOf(attribute(value, 'members'));
  }
  return members;
}

/** Refuses a request that names more members than SCIM_LIMITS allows (413: split it). */
export function scimMembersLimit(request: Request, _response: Response, next: NextFunction) {
  const members = membersInRequest(request.body);
  next(
    members > SCIM_LIMITS.membersPerRequest
      ? ScimError.status(
          413,
          `The request names ${members} members; at most ${SCIM_LIMITS.membersPerRequest} are accepted per request. Send them in several PATCH requests.`,
        )
      : undefined,
  );
}
