/**
 * Who may change what signs a person in. An account (email, name, password) is shared by every
 * workspace the person belongs to, so a change one workspace makes is seen by all of them. These
 * pure rules decide which workspace, if any, holds authority over an account; docs/security.md
 * explains them. The internal API token (the platform operator) is not bound by them.
 */

/** What decides authority over one account, read in one query (AccountOwnershipService). */
export interface AccountFacts {
  userId: string;
  email: string;
  /** The workspace that verified the email's domain, if any. */
  domainWorkspaceId: string | null;
  /** The workspace whose SCIM connection manages the person, if any. */
  scimWorkspaceId: string | null;
  /** The workspace that created the account, if known. */
  createdByWorkspaceId: string | null;
  /** Every workspace the person is a member of (any status). */
  memberOf: string[];
}

/**
 * The workspace that owns the account, or null when none does:
 * 1. the workspace that verified the email's domain (DNS proves it controls the mailboxes);
 * 2. else the workspace whose SCIM connection manages the person (linking needed authority);
 * 3. else the workspace that created the account, while the person belongs to it alone.
 */
export function accountOwner(facts: AccountFacts): string | null {
  if (facts.domainWorkspaceId) return facts.domainWorkspaceId;
  if (facts.scimWorkspaceId) return facts.scimWorkspaceId;
  const creator = facts.createdByWorkspaceId;
  if (creator && facts.memberOf.every((workspaceId) => workspaceId === creator)) return creator;
  return null;
}

/** May `workspaceId` change the account's email or name (seen by every workspace)? */
export function mayEditAccount(workspaceId: string, facts: AccountFacts): boolean {
  return accountOwner(facts) === workspaceId;
}

/**
 * May `workspaceId` link the existing account to itself without the person's consent (SCIM, SAML
 * just-in-time)? Only its owner may, or any workspace while the account belongs to no other
 * workspace and no other workspace has authority over its email.
 */
export function mayLinkAccount(workspaceId: string, facts: AccountFacts): boolean {
  if (mayEditAccount(workspaceId, facts)) return true;
  return (
    facts.domainWorkspaceId === null &&
    (facts.scimWorkspaceId === null || facts.scimWorkspaceId === workspaceId) &&
    facts.memberOf.every((id) => id === workspaceId)
  );
}

/**
 * May `workspaceId` give an account an email (create one with it, or change one to it)? Not when
 * another workspace verified the email's domain: only that workspace may, or the person by
 * proving they control the mailbox (accepting an e-mailed invite).
 */
export function mayAssignEmail(
  workspaceId: string,
  emailDomainWorkspaceId: string | null,
): boolean {
  return emailDomainWorkspaceId === null || emailDomainWorkspaceId === workspaceId;
}
