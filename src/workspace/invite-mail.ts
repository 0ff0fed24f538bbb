import { escapeHtml } from '../common/html.js';
import type { AppConfig } from '../config/configuration.js';
import type { Invite } from './entities/invite.entity.js';
import type { Workspace } from './entities/workspace.entity.js';

export interface InviteMail {
  kind: 'invite';
  workspaceId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The invite as the invitee receives it: the only place its token ever appears. */
export function inviteMail(
  workspace: Pick<Workspace, 'id' | 'name'>,
  invite: Pick<Invite, 'email' | 'role' | 'expiresAt'>,
  token: string,
  config: Pick<AppConfig, 'http'>,
): InviteMail {
  const link = `${config.http.frontendUrl}/invites/${token}`;
  const role = invite.role === 'admin' ? 'an admin' : 'a member';
  const expires = invite.expiresAt.toUTCString();
  return {
    kind: 'invite',
    workspaceId: workspace.id,
    to: invite.email,
    subject: `You are invited to join ${workspace.name}`,
    text: [
      `You are invited to join ${workspace.name} as ${role}.`,
      '',
      `Accept the invite: ${link}`,
      '',
      `The link works once and expires on ${expires}. If you did not expect this invite, ignore this e-mail.`,
    ].join('\n'),
    html: `<p>You are invited to join <strong>${escapeHtml(workspace.name)}</strong> as ${role}.</p>
<p><a href="${escapeHtml(link)}">Accept the invite</a></p>
<p>The link works once and expires on ${escapeHtml(expires)}. If you did not expect this invite, ignore this e-mail.</p>`,
  };
}
