import { moduleException } from '../../common/app-exception.js';

/** Failures of a workspace's SCIM connection (the admin API's /scim routes), with their status. */
export const ScimConnectionErrorStatus = {
  SCIM_ALREADY_ENABLED: 409,
  SCIM_NOT_ENABLED: 404,
} as const satisfies Record<string, number>;
export type ScimConnectionErrorCode = keyof typeof ScimConnectionErrorStatus;

export class ScimConnectionException extends moduleException(ScimConnectionErrorStatus) {}
