import { Injectable } from '@nestjs/common';
import { emailDomain } from '../email.js';
import type { AccountFacts } from '../ownership/account-authority.js';
import { affected, type Db, scoped, TOUCHED_AT } from './repository-support.js';

/** A person's account as the Workspace services read it (the password hash only when asked). */
export interface AccountRecord {
  id: string;
  email: string;
  fullName: string | null;
  scimWorkspaceId: string | null;
  passwordHash?: string | null;
}

export interface NewAccount {
  /** Normalised. */
  email: string;
  fullName: string | null;
  passwordHash: string | null;
  /** Provisioned by this workspace's SCIM connection. */
  scimLinked: boolean;
}

export interface AccountChanges {
  email?: string;
  fullName?: string | null;
  passwordHash?: string;
  /** `here`: this workspace's SCIM manages the person; `none`: it lets go (only its own link). */
  scimLink?: 'here' | 'none';
}

/** An account just created, and the workspace that verified its email's domain, if any. */
export interface CreatedAccount {
  id: string;
  domainWorkspaceId: string | null;
}

/** Which accounts an update writes: these, or every account this workspace's SCIM manages. */
export type AccountTarget = { userIds: readonly string[] } | { allScimLinkedHere: true };

interface FactsRow {
  id: string;
  email: string;
  scim_workspace_id: string | null;
  created_by_workspace_id: string | null;
  domain_workspace_id: string | null;
  member_of: string[];
}

/**
 * The users table. An account is shared by the workspaces its person belongs to, so a method's
 * workspace is the one acting: it is refused when missing, creates and links what it names, and
 * never lets go of another workspace's SCIM link. The one INSERT and the one UPDATE of an account
 * are here.
 */
@Injectable()
export class UserRepository {
  /** The account with this (normalised) email, locked until the transaction ends, or null. */
  async lockByEmail(
    db: Db,
    workspaceId: string,
    email: string,
    options: { withPasswordHash?: boolean } = {},
  ): Promise<AccountRecord | null> {
    scoped(workspaceId);
    const [row] = await db.query<AccountRecord[]>(
      `SELECT id, email, full_name AS "fullName", scim_workspace_id AS "scimWorkspaceId"
              ${options.withPasswordHash ? ', password_hash AS "passwordHash"' : ''}
         FROM users WHERE email = $1 FOR UPDATE`,
      [email],
    );
    return row ?? null;
  }

  /**
   * The one INSERT of an account, created by this workspace, answering with the workspace that
   * verified the email's domain (who may give it an address there is the caller's rule). Null
   * when the email is taken: nothing is written, and the transaction goes on.
   */
  async insert(db: Db, workspaceId: string, account: NewAccount): Promise<CreatedAccount | null> {
    const ws = scoped(workspaceId);
    const [row] = await db.query<CreatedAccount[]>(
      `INSERT INTO users (email, full_name, password_hash, created_by_workspace_id, scim_workspace_id)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email) DO NOTHING
       RETURNING id, (SELECT cd.workspace_id FROM claimed_domains cd
                       WHERE cd.domain = $6 AND cd.status = 'verified') AS "domainWorkspaceId"`,
      [
        account.email,
        account.fullName,
        account.passwordHash,
        ws,
        account.scimLinked ? ws : null,
        emailDomain(account.email),
      ],
    );
    return row ?? null;
  }

  /**
   * The one UPDATE of accounts: writes `changes`, bumps each row's version (part of the SCIM
   * User's ETag in every workspace the person belongs to) and moves lastModified, set-based.
   * Letting go of a SCIM link writes only accounts linked to this workspace. Returns how many it
   * wrote.
   */
  async update(
    db: Db,
    workspaceId: string,
    target: AccountTarget,
    changes: AccountChanges,
  ): Promise<number> {
    const ws = scoped(workspaceId);
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    let workspaceParam: string | undefined;
    const workspace = () => (workspaceParam ??= param(ws));
    const where: string[] = [];
    if ('userIds' in target) {
      if (target.userIds.length === 0) return 0;
      where.push(`id = ANY(${param(target.userIds)}::uuid[])`);
    }
    if ('allScimLinkedHere' in target || changes.scimLink === 'none') {
      where.push(`scim_workspace_id = ${workspace()}`);
    }
    const set: string[] = [];
    if (changes.email !== undefined) set.push(`email = ${param(changes.email)}`);
    if (changes.fullName !== undefined) set.push(`full_name = ${param(changes.fullName)}`);
    if (changes.passwordHash !== undefined) {
      set.push(`password_hash = ${param(changes.passwordHash)}`);
    }
    if (changes.scimLink === 'here') set.push(`scim_workspace_id = ${workspace()}`);
    if (changes.scimLink === 'none') set.push('scim_workspace_id = NULL');
    set.push('version = version + 1', `updated_at = ${TOUCHED_AT}`);
    return affected(db, `UPDATE users SET ${set.join(', ')} WHERE ${where.join(' AND ')}`, values);
  }

  /** What decides authority over the account (account-authority.ts), in one query. */
  async accountFacts(db: Db, workspaceId: string, userId: string): Promise<AccountFacts> {
    scoped(workspaceId);
    const [row] = await db.query<FactsRow[]>(
      `SELECT u.id, u.email, u.scim_workspace_id, u.created_by_workspace_id,
              (SELECT cd.workspace_id FROM claimed_domains cd
                WHERE cd.domain = substring(u.email from '@([^@]*)$') AND cd.status = 'verified')
                AS domain_workspace_id,
              ARRAY(SELECT m.workspace_id FROM memberships m WHERE m.user_id = u.id) AS member_of
         FROM users u WHERE u.id = $1`,
      [userId],
    );
    if (!row) throw new Error(`No account ${userId}`);
    return {
      userId: row.id,
      email: row.email,
      scimWorkspaceId: row.scim_workspace_id,
      createdByWorkspaceId: row.created_by_workspace_id,
      domainWorkspaceId: row.domain_workspace_id,
      memberOf: row.member_of,
    };
  }

  /** Whether the person belongs to any workspace (an account that does can sign in somewhere). */
  async belongsToAnyWorkspace(db: Db, workspaceId: string, userId: string): Promise<boolean> {
    scoped(workspaceId);
    const [row] = await db.query<{ found: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1) AS found`,
      [userId],
    );
    return row?.found ?? false;
  }
}
