import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import { randomToken, tokenDigest, tokenDigests } from '../../common/secret-tokens.js';
import { PreparedStatements, preparedStatement } from '../../database/prepared-statements.js';
import type { MemberRole } from '../entities/membership.entity.js';
import { Session, SignInMethod } from './session.entity.js';

/** A live session as the access guard and `GET /auth/session` see it. */
export interface ActiveSession {
  id: string;
  userId: string;
  email: string;
  fullName: string | null;
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  role: MemberRole;
  method: SignInMethod;
  createdAt: Date;
  /** When the session ends if it stays in use: the lifetime, shortened by the idle timeout. */
  expiresAt: Date;
  /** The end of its lifetime regardless of activity (the cookie's expiry). */
  lifetimeEndsAt: Date;
}

interface SessionRow {
  id: string;
  user_id: string;
  email: string;
  full_name: string | null;
  workspace_id: string;
  slug: string;
  name: string;
  role: MemberRole;
  status: string;
  method: SignInMethod;
  created_at: Date;
  last_seen_at: Date;
  session_lifetime_seconds: number;
  session_idle_timeout_seconds: number | null;
}

/** Don't write last_seen_at on every request: once this much time has passed is enough. */
const TOUCH_AFTER_MS = 15_000;

/**
 * A live session by its token's digest, with everything a check needs: one indexed lookup. $1 is
 * the digest under each accepted key (SECRET_KEY, then SECRET_KEY_PREVIOUS during a rotation).
 */
const SESSION_BY_TOKEN = preparedStatement(
  'gatehouse_session_by_token',
  `SELECT s.id, s.user_id, u.email, u.full_name, s.workspace_id, w.slug, w.name,
          m.role, m.status, s.method, s.created_at, s.last_seen_at,
          w.session_lifetime_seconds, w.session_idle_timeout_seconds
     FROM sessions s
     JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
     JOIN users u ON u.id = s.user_id
     JOIN workspaces w ON w.id = s.workspace_id
    WHERE s.token_hash = ANY($1::text[]) AND s.revoked_at IS NULL`,
);

const TOUCH_SESSION = preparedStatement(
  'gatehouse_session_touch',
  `UPDATE sessions SET last_seen_at = now() WHERE id = $1`,
);

/**
 * Session storage. The cookie carries 256 random bits; only their keyed digest is stored. Expiry
 * is computed from the workspace's settings at every check, so a shortened lifetime or idle
 * timeout applies to live sessions at once.
 */
@Injectable()
export class SessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly statements: PreparedStatements,
  ) {}

  async create(
    tx: EntityManager,
    input: {
      workspaceId: string;
      userId: string;
      method: SignInMethod;
      ipAddress?: string;
      userAgent?: string;
    },
  ): Promise<{ token: string; session: Session }> {
    const token = randomToken(32);
    const now = new Date();
    const session = await tx.save(
      tx.create(Session, {
        ...input,
        ipAddress: input.ipAddress ?? null,
        userAgent: input.userAgent?.slice(0, 512) ?? null,
        tokenHash: tokenDigest(this.config.secretKey, token),
        lastSeenAt: now,
      }),
    );
    return { token, session };
  }

  /**
   * A session for the person with this email if they are an active member of the workspace, in
   * one statement (the sign-in's common case); null, and nothing written, when they are not.
   */
  async createForActiveMember(
    tx: EntityManager,
    input: {
      workspaceId: string;
      email: string;
      method: SignInMethod;
      ipAddress?: string;
      userAgent?: string;
    },
  ): Promise<{ token: string; session: Pick<Session, 'id' | 'userId' | 'createdAt'> } | null> {
    const token = randomToken(32);
    const rows: { id: string; user_id: string; created_at: Date }[] = await tx.query(
      `INSERT INTO sessions
         (token_hash, workspace_id, user_id, method, last_seen_at, ip_address, user_agent)
       SELECT $1, m.workspace_id, m.user_id, $3, $4, $5, $6
         FROM users u JOIN memberships m ON m.workspace_id = $2 AND m.user_id = u.id
        WHERE u.email = $7 AND m.status = 'active'
       RETURNING id, user_id, created_at`,
      [
        tokenDigest(this.config.secretKey, token),
        input.workspaceId,
        input.method,
        new Date(),
        input.ipAddress ?? null,
        input.userAgent?.slice(0, 512) ?? null,
        input.email,
      ],
    );
    const row = rows[0];
    return row
      ? { token, session: { id: row.id, userId: row.user_id, createdAt: row.created_at } }
      : null;
  }

  /** The session a cookie token names, if it is live; refreshes its idle clock. One query. */
  async authenticate(token: string): Promise<ActiveSession | null> {
    if (!token || token.length > 128) return null;
    const [row] = await this.statements.rows<SessionRow>(SESSION_BY_TOKEN, [
      tokenDigests(this.config, token),
    ]);
    if (!row || row.status !== 'active') return null;
    const now = Date.now();
    const expiresAt = sessionExpiry(row, now);
    if (expiresAt.getTime() <= now) return null;
    if (now - row.last_seen_at.getTime() > TOUCH_AFTER_MS) {
      await this.statements.rows(TOUCH_SESSION, [row.id]);
    }
    return {
      id: row.id,
      userId: row.user_id,
      email: row.email,
      fullName: row.full_name,
      workspaceId: row.workspace_id,
      workspaceSlug: row.slug,
      workspaceName: row.name,
      role: row.role,
      method: row.method,
      createdAt: row.created_at,
      expiresAt: sessionExpiry(row, now, true),
      lifetimeEndsAt: new Date(row.created_at.getTime() + row.session_lifetime_seconds * 1000),
    };
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
        WHERE id = $1 AND revoked_at IS NULL`,
      [sessionId, reason],
    );
  }

  /** Ends every live session of one member of a workspace; returns how many. */
  async revokeForMember(
    tx: EntityManager,
    workspaceId: string,
    userId: string,
    reason: string,
  ): Promise<number> {
    const [, count]: [unknown, number] = await tx.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $3
        WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [workspaceId, userId, reason],
    );
    return count;
  }

  /** Ends every live session of a workspace made with one sign-in method; returns how many. */
  async revokeForMethod(
    tx: EntityManager,
    workspaceId: string,
    method: SignInMethod,
    reason: string,
  ): Promise<number> {
    const [, count]: [unknown, number] = await tx.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $3
        WHERE workspace_id = $1 AND method = $2 AND revoked_at IS NULL`,
      [workspaceId, method, reason],
    );
    return count;
  }

  /** Ends every live session of a workspace ("sign out everyone"); returns how many. */
  async revokeForWorkspace(tx: EntityManager, workspaceId: string, reason: string) {
    const [, count]: [unknown, number] = await tx.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
        WHERE workspace_id = $1 AND revoked_at IS NULL`,
      [workspaceId, reason],
    );
    return count;
  }
}

/**
 * When a session ends: its lifetime from sign-in, or earlier when idle for longer than the idle
 * timeout. `refreshed` counts the request being served as activity.
 */
export function sessionExpiry(
  row: Pick<
    SessionRow,
    'created_at' | 'last_seen_at' | 'session_lifetime_seconds' | 'session_idle_timeout_seconds'
  >,
  now: number,
  refreshed = false,
): Date {
  const absolute = row.created_at.getTime() + row.session_lifetime_seconds * 1000;
  if (row.session_idle_timeout_seconds === null) return new Date(absolute);
  const lastSeen = refreshed ? now : row.last_seen_at.getTime();
  return new Date(Math.min(absolute, lastSeen + row.session_idle_timeout_seconds * 1000));
}
