import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AUDIT_ACTION_NAMES,
  WEBHOOK_EVENT_NAMES,
  webhookEventOf,
  webhookEventsOf,
} from './audit-actions.js';
import { AUDIT_EVENTS_DOC_PATH, renderAuditEventsDoc } from './audit-events-doc.js';

describe('the list of audit actions', () => {
  it('is what docs/audit-events.md says (regenerate it: node dist/scripts/audit-events-doc.js)', () => {
    const committed = readFileSync(
      fileURLToPath(new URL(`../../${AUDIT_EVENTS_DOC_PATH}`, import.meta.url)),
      'utf8',
    );
    expect(committed).toBe(renderAuditEventsDoc());
  });

  it('sends every webhook event from some action', () => {
    const sent = new Set(AUDIT_ACTION_NAMES.flatMap((action) => webhookEventsOf(action)));
    expect(WEBHOOK_EVENT_NAMES.filter((event) => !sent.has(event))).toEqual([]);
  });

  it('sends member.role_changed for a role change and member.updated for a name change', () => {
    const before = { role: 'member', status: 'active', fullName: 'Ada' };
    expect(webhookEventOf('member.updated', { before, after: { ...before, role: 'admin' } })).toBe(
      'member.role_changed',
    );
    expect(
      webhookEventOf('member.updated', { before, after: { ...before, fullName: 'Ada L.' } }),
    ).toBe('member.updated');
  });

  it('sends member.updated for a SCIM change of email or userName', () => {
    const before = { email: 'ada@example.com', userName: 'ada', fullName: 'Ada', active: true };
    for (const change of [{ email: 'ada@example.org' }, { userName: 'ada.l' }]) {
      expect(webhookEventOf('member.updated', { before, after: { ...before, ...change } })).toBe(
        'member.updated',
      );
    }
  });

  it('sends nothing for member.updated when only the status changed (its own event does)', () => {
    const before = { role: 'member', status: 'active', fullName: 'Ada' };
    expect(
      webhookEventOf('member.updated', { before, after: { ...before, status: 'deactivated' } }),
    ).toBeNull();
  });

  it('sends nothing for webhook management or sign-ins', () => {
    expect(webhookEventOf('webhook.secret_rotated', {})).toBeNull();
    expect(webhookEventOf('session.created', {})).toBeNull();
  });
});
