/**
 * SCIM errors (RFC 7644 §3.12) from one place: each scimType with the HTTP status the RFC pairs
 * it with. Pure: no Nest, no TypeORM, so the protocol code that throws it stays testable alone.
 */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export const SCIM_TYPE_STATUS = {
  invalidFilter: 400,
  tooMany: 400,
  uniqueness: 409,
  mutability: 400,
  invalidSyntax: 400,
  invalidPath: 400,
  noTarget: 400,
  invalidValue: 400,
  invalidVers: 400,
  sensitive: 403,
} as const satisfies Record<string, number>;
export type ScimType = keyof typeof SCIM_TYPE_STATUS;

/**
 * Statuses a SCIM error may carry without a scimType. 409 too: a conflict with the resource's
 * state that is no duplicate (the last admin, a deactivated member) has no scimType of its own;
 * RFC 7644 §3.12 makes scimType OPTIONAL and gives 409 `uniqueness` only.
 */
export const SCIM_PLAIN_STATUSES = [
  401, 403, 404, 405, 409, 412, 413, 415, 429, 431, 500, 501, 503,
] as const;
export type ScimErrorStatus = (typeof SCIM_PLAIN_STATUSES)[number];

export function isScimPlainStatus(status: number): status is ScimErrorStatus {
  return (SCIM_PLAIN_STATUSES as readonly number[]).includes(status);
}

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  readonly status: number;

  private constructor(
    status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
  }

  /** An error with a scimType; its status is the one RFC 7644 §3.12 gives that type. */
  static of(scimType: ScimType, detail: string): ScimError {
    return new ScimError(SCIM_TYPE_STATUS[scimType], scimType, detail);
  }

  /** An error without a scimType: 401, 403, 404, 405, 412, 413, 431, 500, 501... */
  static status(status: ScimErrorStatus, detail: string) {
    return new ScimError(status, undefined, detail);
  }

  toBody(): ScimErrorBody {
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType && { scimType: this.scimType }),
      detail: this.message,
    };
  }
}
