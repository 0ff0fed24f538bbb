/**
 * Every action an audit event can record, and the webhook event each one sends: the one list
 * both are typed from. `docs/audit-events.md` is generated from it (`scripts/audit-events-doc.ts`)
 * and a test fails when the committed file differs.
 *
 * A new action does not compile until it is listed here with its webhook event, or `null` for
 * none: every change that records an audit event in its transaction gets its webhook deliveries
 * written by that same statement (AuditService), so no service knows about webhooks.
 */

/** The events a webhook endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = {
  'member.created':
    'A person became a member of the workspace (added, invited, signed in just in time, provisioned by SCIM).',
  'member.updated': "A member's name, email or SCIM userName changed.",
  'member.role_changed': "A member's role changed (admin or member).",
  'member.deactivated': 'A member was deactivated: out of every group, signed out.',
  'member.reactivated': 'A deactivated member was reactivated.',
  'member.removed': 'A membership was removed.',
  'group.created': 'A group was created.',
  'group.updated': 'A group was renamed or changed, or taken over by SCIM.',
  'group.deleted': 'A group was deleted.',
  'group.members_changed': 'People were added to or removed from a group.',
  'domain.added': 'A domain was claimed (pending verification).',
  'domain.verified': 'A claimed domain was verified.',
  'domain.removed': 'A claimed domain was removed.',
  'saml_provider.created': 'A SAML identity provider was added.',
  'saml_provider.updated': 'A SAML identity provider was changed.',
  'saml_provider.deleted': 'A SAML identity provider was deleted.',
  'oidc_configuration.created':
    "An OpenID Connect provider was set up for the workspace's sign-in.",
  'oidc_configuration.updated': 'The OpenID Connect provider of the workspace was changed.',
  'oidc_configuration.deleted': 'The OpenID Connect provider of the workspace was removed.',
  'scim.connection_created': 'SCIM provisioning was enabled.',
  'scim.connection_rotated': 'The SCIM token was rotated.',
  'scim.connection_deleted': 'SCIM provisioning was disabled.',
  'workspace.settings_updated': "The workspace's settings changed.",
  'workspace.no_active_admin': 'The identity provider left the workspace without an active admin.',
  'invite.created': 'An invite was sent.',
  'invite.revoked': 'An invite was revoked.',
  'invite.accepted': 'An invite was accepted.',
  'sign_in.failed': 'A SAML, Office365 or OpenID Connect sign-in was refused.',
} as const satisfies Record<string, string>;
export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES;
export const WEBHOOK_EVENT_NAMES = Object.keys(WEBHOOK_EVENT_TYPES) as WebhookEventType[];

/** What a mapping reads of an audit entry to choose its event. */
export interface AuditEntryChange {
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** An action whose event depends on what changed. */
export interface ConditionalWebhookEvent {
  /** Every event it may send (for the documentation). */
  events: readonly WebhookEventType[];
  /** When it sends which, in words. */
  rule: string;
  pick(entry: AuditEntryChange): WebhookEventType | null;
}

export interface AuditActionSpec {
  description: string;
  /** The webhook event this action sends, or null for none. */
  webhook: WebhookEventType | ConditionalWebhookEvent | null;
}

const changed = (entry: AuditEntryChange, key: string) =>
  entry.before?.[key] !== entry.after?.[key];

export const AUDIT_ACTIONS = {
  'workspace.created': {
    description: 'A workspace was created (internal token).',
    webhook: null,
  },
  'workspace.settings_updated': {
    description: 'Sign-in methods, session lifetimes or SCIM-only provisioning changed.',
    webhook: 'workspace.settings_updated',
  },
  'workspace.sessions_revoked': {
    description: 'Everyone was signed out of the workspace.',
    webhook: null,
  },
  'workspace.no_active_admin': {
    description: 'A SCIM change left the workspace without an active admin.',
    webhook: 'workspace.no_active_admin',
  },
  'member.added': {
    description: 'A person became a member (by hand, invite, just-in-time sign-in or SCIM).',
    webhook: 'member.created',
  },
  'member.linked': {
    description: 'SCIM provisioned a person who already had an account.',
    webhook: 'member.created',
  },
  'member.updated': {
    description: "A member's role, status or name was changed through the admin API or SCIM.",
    webhook: {
      events: ['member.role_changed', 'member.updated'],
      rule: '`member.role_changed` when the role changed, else `member.updated` when the name, email or SCIM userName changed; a status change alone sends nothing here (`member.deactivated` or `member.reactivated` is sent for it)',
      pick: (entry) =>
        changed(entry, 'role')
          ? 'member.role_changed'
          : ['fullName', 'email', 'userName'].some((key) => changed(entry, key))
            ? 'member.updated'
            : null,
    },
  },
  'member.roles_changed': {
    description: "SCIM group changes promoted or demoted members (an admin group's members).",
    webhook: 'member.role_changed',
  },
  'member.deactivated': {
    description: 'A member was deactivated (groups left, sessions ended).',
    webhook: 'member.deactivated',
  },
  'member.reactivated': {
    description: 'A deactivated member was reactivated.',
    webhook: 'member.reactivated',
  },
  'member.removed': {
    description: 'A membership was removed.',
    webhook: 'member.removed',
  },
  'member.removal_cleared': {
    description: 'A removed person may come back through just-in-time sign-in again.',
    webhook: null,
  },
  'member.sessions_revoked': {
    description: 'A member was signed out.',
    webhook: null,
  },
  'member.scim_link_moved': {
    description: "Another workspace's SCIM took over the provisioning of a person.",
    webhook: null,
  },
  'account.updated': {
    description:
      "A person's account (name, email) was changed by a workspace with authority over it.",
    webhook: 'member.updated',
  },
  'session.created': {
    description: 'A member signed in.',
    webhook: null,
  },
  'auth.sign_in_failed': {
    description: 'A SAML, Office365 or OpenID Connect sign-in was refused (reason in details).',
    webhook: 'sign_in.failed',
  },
  'auth.identity_linked': {
    description: 'An Office365 identity was bound to an account.',
    webhook: null,
  },
  'group.created': {
    description: 'A group was created (admin API or SCIM).',
    webhook: 'group.created',
  },
  'group.updated': {
    description: 'A group was renamed or changed.',
    webhook: 'group.updated',
  },
  'group.taken_over': {
    description: 'SCIM took over a group created by hand.',
    webhook: 'group.updated',
  },
  'group.deleted': {
    description: 'A group was deleted.',
    webhook: 'group.deleted',
  },
  'group.member_added': {
    description: 'People were added to a group.',
    webhook: 'group.members_changed',
  },
  'group.member_removed': {
    description: 'People were removed from a group.',
    webhook: 'group.members_changed',
  },
  'invite.created': {
    description: 'An invite was sent.',
    webhook: 'invite.created',
  },
  'invite.revoked': {
    description: 'An invite was revoked.',
    webhook: 'invite.revoked',
  },
  'invite.accepted': {
    description: 'An invite was accepted.',
    webhook: 'invite.accepted',
  },
  'domain.added': {
    description: 'A domain was claimed.',
    webhook: 'domain.added',
  },
  'domain.verified': {
    description: 'A claimed domain was verified (DNS, or forced by the internal token).',
    webhook: 'domain.verified',
  },
  'domain.removed': {
    description: 'A claimed domain was removed.',
    webhook: 'domain.removed',
  },
  'saml_provider.created': {
    description: 'A SAML identity provider was added.',
    webhook: 'saml_provider.created',
  },
  'saml_provider.updated': {
    description: 'A SAML identity provider was changed.',
    webhook: 'saml_provider.updated',
  },
  'saml_provider.deleted': {
    description: 'A SAML identity provider was deleted.',
    webhook: 'saml_provider.deleted',
  },
  'oidc_configuration.created': {
    description: 'A generic OpenID Connect provider was set up for the workspace.',
    webhook: 'oidc_configuration.created',
  },
  'oidc_configuration.updated': {
    description: 'The generic OpenID Connect provider of the workspace was changed.',
    webhook: 'oidc_configuration.updated',
  },
  'oidc_configuration.deleted': {
    description: 'The generic OpenID Connect provider of the workspace was removed.',
    webhook: 'oidc_configuration.deleted',
  },
  'scim.enabled': {
    description: 'SCIM provisioning was enabled.',
    webhook: 'scim.connection_created',
  },
  'scim.token_rotated': {
    description: 'The SCIM token was rotated.',
    webhook: 'scim.connection_rotated',
  },
  'scim.disabled': {
    description: 'SCIM provisioning was disabled.',
    webhook: 'scim.connection_deleted',
  },
  // Webhooks themselves send nothing: an endpoint would hear of its own secret rotation.
  'webhook.created': {
    description: 'A webhook endpoint was added.',
    webhook: null,
  },
  'webhook.updated': {
    description: 'A webhook endpoint was changed, enabled or disabled.',
    webhook: null,
  },
  'webhook.deleted': {
    description: 'A webhook endpoint was deleted.',
    webhook: null,
  },
  'webhook.secret_rotated': {
    description: "A webhook endpoint's signing secret was replaced.",
    webhook: null,
  },
} as const satisfies Record<string, AuditActionSpec>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;
export const AUDIT_ACTION_NAMES = Object.keys(AUDIT_ACTIONS) as AuditAction[];

/** The webhook event an audit entry sends, or null. */
export function webhookEventOf(
  action: AuditAction,
  entry: AuditEntryChange,
): WebhookEventType | null {
  const webhook: AuditActionSpec['webhook'] = AUDIT_ACTIONS[action].webhook;
  if (webhook === null || typeof webhook === 'string') return webhook;
  return webhook.pick(entry);
}

/** The events an action may send (all of them for a conditional one). */
export function webhookEventsOf(action: AuditAction): readonly WebhookEventType[] {
  const webhook: AuditActionSpec['webhook'] = AUDIT_ACTIONS[action].webhook;
  if (webhook === null) return [];
  return typeof webhook === 'string' ? [webhook] : webhook.events;
}
