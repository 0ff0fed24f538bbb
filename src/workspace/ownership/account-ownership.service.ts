import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AuditActor } from '../actor.js';
import { AuditService, type AuditEntry } from '../audit.service.js';
import { emailDomain } from '../email.js';
import { UserRepository } from '../repositories/user.repository.js';
import { WorkspaceException } from '../workspace.errors.js';
import {
  type AccountFacts,
  mayAssignEmail,
  mayEditAccount,
  mayLinkAccount,
} from './account-authority.js';

/** The workspace that verified `domain`, if any (one at most: a partial unique index). */
const DOMAIN_WORKSPACE = `(SELECT cd.workspace_id FROM claimed_domains cd
                            WHERE cd.domain = $1 AND cd.status = 'verified')`;

/**
 * Refusals that name no other workspace: a workspace learns that it lacks authority, not who has
 * it.
 */
export const accountNotAvailable = (email: string) =>
  new WorkspaceException(
    'ACCOUNT_NOT_AVAILABLE',
    `${email} already has a Gatehouse account that belongs to other workspaces; this workspace cannot add it directly. Invite the person (they accept it themselves), or verify the email's domain.`,
  );

export const accountManagedElsewhere = () =>
  new WorkspaceException(
    'ACCOUNT_MANAGED_ELSEWHERE',
    "This person's account is managed by another workspace (through their email's verified domain or their identity provider); this workspace cannot change their email or name.",
  );

export const emailDomainManagedElsewhere = (email: string) =>
  new WorkspaceException(
    'EMAIL_DOMAIN_MANAGED',
    `Addresses at ${emailDomain(email)} are managed by the organization that verified that domain; only it can give an account ${email}. Invite the person instead: accepting the e-mailed invite proves the address is theirs.`,
  );

/**
 * Reads the facts that decide authority over accounts and enforces the rules of
 * account-authority.ts inside the caller's transaction.
 */
@Injectable()
export class AccountOwnershipService {
  constructor(
    private readonly audit: AuditService,
    private readonly users: UserRepository,
  ) {}

  /** What decides authority over the account, as `workspaceId` (the one acting) sees it. */
  async facts(tx: EntityManager, workspaceId: string, userId: string): Promise<AccountFacts> {
    return this.users.accountFacts(tx, workspaceId, userId);
  }

  async domainWorkspaceOf(tx: EntityManager, email: string): Promise<string | null> {
    const [row] = await tx.query<{ workspace_id: string | null }[]>(
      `SELECT ${DOMAIN_WORKSPACE} AS workspace_id`,
      [emailDomain(email)],
    );
    return row?.workspace_id ?? null;
  }

  /** Refuses linking an existing account the workspace has no authority over. */
  assertMayLink(workspaceId: string, facts: AccountFacts): void {
    if (!mayLinkAccount(workspaceId, facts)) throw accountNotAvailable(facts.email);
  }

  assertMayEdit(workspaceId: string, facts: AccountFacts): void {
    if (!mayEditAccount(workspaceId, facts)) throw accountManagedElsewhere();
  }

  /** Refuses creating an account with, or changing one to, an email of another's domain. */
  async assertMayAssignEmail(tx: EntityManager, workspaceId: string, email: string) {
    this.assertMayAssignEmailOf(workspaceId, email, await this.domainWorkspaceOf(tx, email));
  }

  /** The same, when the caller read the workspace that verified the email's domain already. */
  assertMayAssignEmailOf(workspaceId: string, email: string, domainWorkspaceId: string | null) {
    if (!mayAssignEmail(workspaceId, domainWorkspaceId)) throw emailDomainManagedElsewhere(email);
  }

  /**
   * A change to an account is seen in every workspace the person belongs to: each of them (but
   * the one that made it, which records its own event) gets an `account.updated` event, in one
   * statement.
   */
  async recordAccountChange(
    tx: EntityManager,
    userId: string,
    changedBy: { workspaceId: string; actor: AuditActor },
    change: Pick<AuditEntry, 'before' | 'after'>,
  ): Promise<void> {
    await this.audit.recordInWorkspacesOf(tx, userId, changedBy.workspaceId, changedBy.actor, {
      action: 'account.updated',
      targetType: 'user',
      targetId: userId,
      before: change.before,
      after: change.after,
      details: { changedByWorkspaceId: changedBy.workspaceId },
    });
  }
}
