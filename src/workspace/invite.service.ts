import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { AuditActor } from './actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { randomToken, tokenDigest, tokenDigests } from '../common/secret-tokens.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { MailOutboxService } from '../mail/mail-outbox.service.js';
import { AuditService } from './audit.service.js';
import { inviteMail } from './invite-mail.js';
import { normalizeEmail } from './email.js';
import { Invite } from './entities/invite.entity.js';
import type { MemberRole } from './entities/membership.entity.js';
import { Workspace } from './entities/workspace.entity.js';
import { MemberService, MemberView } from './member.service.js';
import { MembershipRepository } from './repositories/membership.repository.js';
import { type AccountRecord, UserRepository } from './repositories/user.repository.js';
import { lockWorkspace } from './workspace-lock.js';
import { scimOnlyProvisioningError, WorkspaceException } from './workspace.errors.js';

export type InviteStatus = 'pending' | 'accepted' | 'expired';

/** An invite as the admin API lists it: never its token. */
export interface InviteView {
  id: string;
  email: string;
  role: MemberRole;
  status: InviteStatus;
  expiresAt: Date;
  createdAt: Date;
  acceptedAt: Date | null;
  acceptedByUserId: string | null;
  createdByUserId: string | null;
}

/** What the invitee's browser may see before accepting. */
export interface InvitePreview {
  workspace: WorkspaceSummary;
  email: string;
  role: MemberRole;
  expiresAt: Date;
  status: InviteStatus;
}

/** Who accepts: the browser's session, if any, decides for an email that has an account. */
export interface AcceptContext {
  ipAddress?: string;
  /** The account signed in in this browser (any workspace), if any. */
  signedInUserId?: string | null;
}

export interface AcceptedInvite {
  workspace: WorkspaceSummary;
  member: MemberView;
}

interface WorkspaceSummary {
  id: string;
  slug: string;
  name: string;
}

interface ClaimedInvite {
  id: string;
  email: string;
  role: MemberRole;
}

/** Tokens are 43 characters; anything much longer cannot be one. */
const MAX_TOKEN_LENGTH = 256;

function statusOf(invite: Pick<Invite, 'acceptedAt' | 'expiresAt'>): InviteStatus {
  if (invite.acceptedAt) return 'accepted';
  return invite.expiresAt.getTime() <= Date.now() ? 'expired' : 'pending';
}

function toView(invite: Invite): InviteView {
  return {
    id: invite.id,
    email: invite.email,
    role: invite.role,
    status: statusOf(invite),
    expiresAt: invite.expiresAt,
    createdAt: invite.createdAt,
    acceptedAt: invite.acceptedAt,
    acceptedByUserId: invite.acceptedByUserId,
    createdByUserId: invite.createdByUserId,
  };
}

function summaryOf(workspace: Workspace): WorkspaceSummary {
  return { id: workspace.id, slug: workspace.slug, name: workspace.name };
}

const notFound = () =>
  new WorkspaceException('INVITE_NOT_FOUND', 'This invite does not exist or was revoked.');

/**
 * Invites to join a workspace. The token is a bearer secret that reaches only the invitee: it is
 * e-mailed to the invited address (through the outbox, in the same transaction) and never shown
 * to the admin, so accepting proves control of the mailbox. It is stored as a keyed digest and
 * accepted at most once. Every write locks the workspace first, so the SCIM-only setting and
 * membership checks see a consistent workspace.
 */
@Injectable()
export class InviteService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly members: MemberService,
    private readonly mail: MailOutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly memberships: MembershipRepository,
    private readonly users: UserRepository,
  ) {}

  /** Invites `email`; a pending (or expired, unaccepted) invite of the same email is replaced. */
  async create(
    workspaceId: string,
    input: { email: string; role: MemberRole },
    actor: AuditActor,
  ): Promise<InviteView> {
    const email = normalizeEmail(input.email);
    const token = randomToken();
    const invite = await this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      if (workspace.scimOnlyProvisioning) throw scimOnlyProvisioningError();

      const membership = await this.memberships.findByEmail(tx, workspaceId, email);
      if (membership?.status === 'active') {
        throw new WorkspaceException(
          'ALREADY_A_MEMBER',
          `${email} is already a member of this workspace.`,
          { userId: membership.userId },
        );
      }
      if (membership) {
        throw new WorkspaceException(
          'MEMBER_DEACTIVATED',
          `${email} is a deactivated member of this workspace; reactivate them instead of inviting them.`,
          { userId: membership.userId },
        );
      }

      const [replaced] = await tx.query<[{ id: string }[], number]>(
        `DELETE FROM invites
          WHERE workspace_id = $1 AND email = $2 AND accepted_at IS NULL
      RETURNING id`,
        [workspaceId, email],
      );
      const rows = await tx.query<{ id: string }[]>(
        `INSERT INTO invites (workspace_id, email, role, token_hash, expires_at, created_by_user_id)
         VALUES ($1, $2, $3, $4, now() + $5::integer * interval '1 second', $6)
      RETURNING id`,
        [
          workspaceId,
          email,
          input.role,
          tokenDigest(this.config.secretKey, token),
          this.config.invites.ttlSeconds,
          actor.type === 'user' ? (actor.id ?? null) : null,
        ],
      );
      const created = await tx.findOneByOrFail(Invite, { id: rows[0]!.id });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'invite.created',
        targetType: 'invite',
        targetId: created.id,
        after: { email, role: created.role, expiresAt: created.expiresAt.toISOString() },
        details: replaced.length > 0 ? { replacedInviteIds: replaced.map((row) => row.id) } : null,
      });
      await this.mail.enqueue(tx, inviteMail(workspace, created, token, this.config));
      return created;
    });
    return toView(invite);
  }

  /** The workspace's invites, newest first. */
  async list(
    workspaceId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<InviteView>> {
    const [rows, total] = await this.dataSource.getRepository(Invite).findAndCount({
      where: { workspaceId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items: rows.map(toView), total, ...page };
  }

  /** Deletes an unaccepted invite: its link stops working. */
  async revoke(workspaceId: string, inviteId: string, actor: AuditActor): Promise<void> {
    if (!isUuid(inviteId)) throw notFound();
    await this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      const invite = await tx.findOneBy(Invite, { id: inviteId, workspaceId });
      if (!invite) throw notFound();
      if (invite.acceptedAt) {
        throw new WorkspaceException(
          'INVITE_ALREADY_USED',
          'This invite was already accepted; remove the member instead.',
        );
      }
      await tx.delete(Invite, { id: invite.id });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'invite.revoked',
        targetType: 'invite',
        targetId: invite.id,
        before: { email: invite.email, role: invite.role, status: statusOf(invite) },
      });
    });
  }

  async preview(token: string): Promise<InvitePreview> {
    const invite = await this.findByToken(token);
    if (!invite) throw notFound();
    const workspace = await this.dataSource
      .getRepository(Workspace)
      .findOneByOrFail({ id: invite.workspaceId });
    return {
      workspace: summaryOf(workspace),
      email: invite.email,
      role: invite.role,
      expiresAt: invite.expiresAt,
      status: statusOf(invite),
    };
  }

  /**
   * Joins the invited person to the workspace, creating their account when the email is new. An
   * email that already has an account joins as that account only from a browser signed in to it
   * (the token proves the mailbox, the session proves the account); an account that belongs to
   * no workspace has no way to sign in, so the mailbox is proof enough. Single use: the invite is
   * claimed with a conditional UPDATE in the same transaction, so of two concurrent accepts
   * exactly one succeeds; on any failure nothing is written.
   */
  async accept(
    token: string,
    input: { password?: string; fullName?: string },
    context: AcceptContext = {},
  ): Promise<AcceptedInvite> {
    const ipAddress = context.ipAddress;
    const found = await this.findByToken(token);
    if (!found) throw notFound();
    return this.dataSource.transaction(async (tx) => {
      // Workspace first, then the invite: the same lock order as create and revoke.
      const workspace = await lockWorkspace(tx, found.workspaceId);
      if (workspace.scimOnlyProvisioning) throw scimOnlyProvisioningError();

      const [claimed] = await tx.query<[ClaimedInvite[], number]>(
        `UPDATE invites SET accepted_at = now()
          WHERE id = $1 AND accepted_at IS NULL AND expires_at > now()
      RETURNING id, email, role`,
        [found.id],
      );
      const invite = claimed[0];
      if (!invite) {
        const current = await tx.findOneBy(Invite, { id: found.id });
        if (!current) throw notFound();
        if (current.acceptedAt) {
          throw new WorkspaceException('INVITE_ALREADY_USED', 'This invite was already accepted.');
        }
        throw new WorkspaceException(
          'INVITE_EXPIRED',
          'This invite has expired; ask an admin of the workspace for a new one.',
        );
      }

      const existing = await this.users.lockByEmail(tx, workspace.id, invite.email, {
        withPasswordHash: true,
      });
      if (existing) {
        await this.assertAcceptedByAccount(tx, workspace.id, existing, context.signedInUserId);
      }
      // An invite never sets the password of an account that already exists (addInTransaction
      // refuses it when one is set): that would be a password reset by e-mail, which this is not.
      if (existing && !existing.passwordHash && input.password !== undefined) {
        throw new WorkspaceException(
          'EMAIL_TAKEN',
          `${invite.email} already has a Gatehouse account; accept the invite without a password and sign in as you already do.`,
        );
      }

      const actor: AuditActor = {
        channel: 'admin',
        type: 'user',
        id: existing?.id ?? null,
        label: invite.email,
        ipAddress,
      };
      const member = await this.members.addInTransaction(tx, workspace, {
        email: invite.email,
        fullName: input.fullName,
        password: input.password,
        role: invite.role,
        source: 'invite',
        actor,
      });
      await tx.update(Invite, { id: invite.id }, { acceptedByUserId: member.userId });
      await this.audit.record(
        tx,
        workspace.id,
        { ...actor, id: member.userId },
        {
          action: 'invite.accepted',
          targetType: 'invite',
          targetId: invite.id,
          details: { userId: member.userId, role: invite.role, newAccount: !existing },
        },
      );
      return { workspace: summaryOf(workspace), member };
    });
  }

  private async assertAcceptedByAccount(
    tx: EntityManager,
    workspaceId: string,
    account: AccountRecord,
    signedInUserId: string | null | undefined,
  ): Promise<void> {
    if (signedInUserId === account.id) return;
    if (signedInUserId) {
      throw new WorkspaceException(
        'INVITE_FOR_ANOTHER_ACCOUNT',
        'This invite is for another account than the one signed in here. Sign out, then sign in with the invited email to accept it.',
      );
    }
    const belongsSomewhere = await this.users.belongsToAnyWorkspace(tx, workspaceId, account.id);
    if (belongsSomewhere) {
      throw new WorkspaceException(
        'INVITE_SIGN_IN_REQUIRED',
        'The invited email already has a Gatehouse account: sign in to it first, then accept the invite.',
      );
    }
  }

  private async findByToken(token: string): Promise<Invite | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    return this.dataSource
      .getRepository(Invite)
      .findOneBy({ tokenHash: In(tokenDigests(this.config, token)) });
  }
}
