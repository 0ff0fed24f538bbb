import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { OidcConfiguration } from '../auth/generic-oidc/oidc-configuration.entity.js';
import { SamlProvider } from '../auth/saml/saml-provider.entity.js';
import { Session } from '../workspace/sessions/session.entity.js';
import { ScimConnection } from '../scim/connection/scim-connection.entity.js';
import { AuditEvent } from '../workspace/entities/audit-event.entity.js';
import { ClaimedDomain } from '../workspace/entities/claimed-domain.entity.js';
import { Group, GroupMember } from '../workspace/entities/group.entity.js';
import { Invite } from '../workspace/entities/invite.entity.js';
import { Membership } from '../workspace/entities/membership.entity.js';
import { User } from '../workspace/entities/user.entity.js';
import { Workspace } from '../workspace/entities/workspace.entity.js';

export const entities = [
  Workspace,
  User,
  Membership,
  Group,
  GroupMember,
  Invite,
  ClaimedDomain,
  AuditEvent,
  Session,
  SamlProvider,
  OidcConfiguration,
  ScimConnection,
];

/** Timeouts of the service's own sessions, so a lost or stuck database costs seconds, not minutes. */
export interface SessionTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export function dataSourceOptions(
  url: string,
  poolSize: number,
  timeouts?: SessionTimeouts,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // A where value of undefined or null silently widens a query to every row (typeorm#2500).
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
    extra: {
      max: poolSize,
      connectionTimeoutMillis: timeouts?.connectTimeoutMs ?? 10_000,
      // The embedded database is one backend session behind its socket: a new connection would
      // find the named prepared statements of the old one (rate-limiter-flexible's) and fail.
      // So its single connection is kept instead of being closed when idle.
      ...(poolSize === 1 && { idleTimeoutMillis: 0 }),
      ...(timeouts && {
        keepAlive: true,
        statement_timeout: timeouts.statementTimeoutMs,
        // A server that stops answering (a network partition sends no reset) fails the query too.
        query_timeout: timeouts.statementTimeoutMs + 2000,
      }),
    },
  };
}
