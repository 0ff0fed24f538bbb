import { SetMetadata } from '@nestjs/common';

/**
 * Who may call a route. Routes without the decorator are refused to everyone but the internal
 * token, so a forgotten decorator fails closed.
 * - public: anyone (health, sign-in, invite acceptance)
 * - internal: the internal API token only
 * - admin: the internal token, or a session of an active admin of the `:ws` workspace
 * - self: like admin, or a session of the member named by `:userId` in `:ws`
 */
export type Access = 'public' | 'internal' | 'admin' | 'self';
export const ACCESS_KEY = 'gatehouse:access';
export const RequireAccess = (access: Access) => SetMetadata(ACCESS_KEY, access);
export const Public = () => RequireAccess('public');
