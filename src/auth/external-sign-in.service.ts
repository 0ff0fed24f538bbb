import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../workspace/actor.js';
import { AuditService } from '../workspace/audit.service.js';
import { DomainService } from '../workspace/domain.service.js';
import { emailDomain, normalizeEmail } from '../workspace/email.js';
import type { MemberStatus } from '../workspace/entities/membership.entity.js';
import type { Workspace } from '../workspace/entities/workspace.entity.js';
import { MemberService } from '../workspace/member.service.js';
import { AuthException } from './auth.errors.js';
import { SessionService } from '../workspace/sessions/session.service.js';
import type { SignInMethod } from '../workspace/sign-in-methods.js';
import {
  assertMembershipActiveOrThrow,
  assertSignInMethodEnabledOrThrow,
} from './sign-in-policy.js';

/** The person an identity provider vouched for. */
export interface ExternalIdentity {
  email: string;
  fullName?: string | null;
}

export interface ExternalSignInContext {
  method: Exclude<SignInMethod, 'password'>;
  /**
   * The account, when the provider's identity already decided it (Office365: a bound `tid` +
   * `oid`): the email is then not used to find anyone.
   */
  userId?: string;
  /**
   * Runs in the sign-in's transaction (e.g. to bind an identity), so it commits with the session
   * or not at all; before the session is created, or just after for an active member found by
   * email (whose session insert is what finds them).
   */
  beforeSession?: (tx: EntityManager, userId: string) => Promise<void>;
  /** Who vouched, for audit events (e.g. the SAML provider's name). */
  actor: AuditActor;
  /** Whether an unknown person may get an account just in time (SAML only). */
  justInTime: boolean;
  ipAddress?: string;
  userAgent?: string;
}

export interface ExternalSignInResult {
  token: string;
  sessionId: string;
  userId: string;
  createdJustInTime: boolean;
  /** The end of the session's lifetime regardless of activity (the cookie's expiry). */
  lifetimeEndsAt: Date;
}

/** A session just created, with its cookie token. */
interface CreatedSession {
  token: string;
  session: { id: string; userId: string; createdAt: Date };
}

/** The account an identity names and its membership of the workspace, if any. */
interface Person {
  userId: string;
  email: string;
  membership: { status: MemberStatus } | null;
}

/**
 * What every identity-provider sign-in does once the IdP's answer is verified: the method is
 * still enabled, the person is an active member (or may become one just in time: SAML, an email
 * in a verified claimed domain, never under SCIM-only provisioning, never a person an admin
 * removed by hand until an admin lets them back in), then a session.
 */
@Injectable()
export class ExternalSignInService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly members: MemberService,
    private readonly domains: DomainService,
    private readonly audit: AuditService,
  ) {}

  async complete(
    workspace: Workspace,
    identity: ExternalIdentity,
    context: ExternalSignInContext,
  ): Promise<ExternalSignInResult> {
    assertSignInMethodEnabledOrThrow(workspace.signInMethods, context.method);
    // Most sign-ins are of active members: one statement finds them and inserts the session.
    if (context.userId === undefined) {
      const signedIn = await this.signInActiveMember(workspace, identity, context);
      if (signedIn) return signedIn;
    }
    const person = await this.findPerson(workspace.id, context.userId, identity.email);
    const email = person?.email ?? normalizeEmail(identity.email);
    const membership = person?.membership ?? null;
    const mayCreateJustInTime =
      membership === null &&
      context.userId === undefined &&
      context.justInTime &&
      !workspace.scimOnlyProvisioning &&
      (await this.domains.isVerifiedDomainOf(workspace.id, emailDomain(email)));
    if (
      mayCreateJustInTime &&
      person &&
      (await this.members.wasRemoved(workspace.id, person.userId))
    ) {
      throw new AuthException(
        'MEMBER_REMOVED',
        'An admin removed you from this workspace. Please ask an admin to add you again or to send you an invite.',
      );
    }
    assertMembershipActiveOrThrow(membership, { mayCreateJustInTime });

    return this.dataSource.transaction(async (tx) => {
      let userId = person?.userId;
      if (!membership) {
        const added = await this.members.addInTransaction(tx, workspace, {
          email,
          fullName: identity.fullName ?? undefined,
          role: 'member',
          source: context.method,
          actor: context.actor,
        });
        userId = added.userId;
      }
      await context.beforeSession?.(tx, userId!);
      const created = await this.sessions.create(tx, {
        workspaceId: workspace.id,
        userId: userId!,
        method: context.method,
        ipAddress: context.ipAddress,
        userAgent: context.userAgent,
      });
      return this.recordSession(tx, workspace, context, created, {
        email,
        justInTime: !membership,
      });
    });
  }

  /**
   * The common case: the email names an active member, and the statement that finds them is the
   * session insert. Null (nothing written) for anyone else: complete() then finds out why.
   */
  private signInActiveMember(
    workspace: Workspace,
    identity: ExternalIdentity,
    context: ExternalSignInContext,
  ): Promise<ExternalSignInResult | null> {
    const email = normalizeEmail(identity.email);
    return this.dataSource.transaction(async (tx) => {
      const created = await this.sessions.createForActiveMember(tx, {
        workspaceId: workspace.id,
        email,
        method: context.method,
        ipAddress: context.ipAddress,
        userAgent: context.userAgent,
      });
      if (!created) return null;
      await context.beforeSession?.(tx, created.session.userId);
      return this.recordSession(tx, workspace, context, created, { email, justInTime: false });
    });
  }

  /** The session's audit event, in its transaction; what the caller needs for the cookie. */
  private async recordSession(
    tx: EntityManager,
    workspace: Workspace,
    context: ExternalSignInContext,
    { token, session }: CreatedSession,
    person: { email: string; justInTime: boolean },
  ): Promise<ExternalSignInResult> {
    await this.audit.record(tx, workspace.id, context.actor, {
      action: 'session.created',
      targetType: 'session',
      targetId: session.id,
      details: {
        method: context.method,
        userId: session.userId,
        email: person.email,
        justInTime: person.justInTime,
      },
    });
    return {
      token,
      sessionId: session.id,
      userId: session.userId,
      createdJustInTime: person.justInTime,
      lifetimeEndsAt: new Date(
        session.createdAt.getTime() + workspace.sessionLifetimeSeconds * 1000,
      ),
    };
  }

  /** The account (by id when the provider decided it, else by email) and its membership. */
  private async findPerson(
    workspaceId: string,
    userId: string | undefined,
    email: string,
  ): Promise<Person | null> {
    const rows: { id: string; email: string; status: MemberStatus | null }[] =
      await this.dataSource.query(
        `SELECT u.id, u.email, m.status
           FROM users u
           LEFT JOIN memberships m ON m.workspace_id = $1 AND m.user_id = u.id
          WHERE ${userId !== undefined ? 'u.id = $2' : 'u.email = $2'}`,
        [workspaceId, userId ?? normalizeEmail(email)],
      );
    const row = rows[0];
    if (!row) return null;
    return {
      userId: row.id,
      email: row.email,
      membership: row.status === null ? null : { status: row.status },
    };
  }
}
