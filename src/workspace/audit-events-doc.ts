import {
  AUDIT_ACTION_NAMES,
  AUDIT_ACTIONS,
  type AuditActionSpec,
  WEBHOOK_EVENT_NAMES,
  WEBHOOK_EVENT_TYPES,
  webhookEventsOf,
} from './audit-actions.js';

export const AUDIT_EVENTS_DOC_PATH = 'docs/audit-events.md';

function webhookCell(spec: AuditActionSpec): string {
  const webhook = spec.webhook;
  if (webhook === null) return 'none';
  if (typeof webhook === 'string') return `\`${webhook}\``;
  return webhook.rule;
}

/**
 * The text of docs/audit-events.md, from the one list of actions (src/workspace/audit-actions.ts).
 * Lists, not tables, so the file is already as prettier writes it.
 */
export function renderAuditEventsDoc(): string {
  const lines = [
    '# Audit actions and webhook events',
    '',
    '<!-- Generated from src/workspace/audit-actions.ts by `node dist/scripts/audit-events-doc.js`',
    '     (after `npm run build`). Do not edit: a test fails when this file differs from the list. -->',
    '',
    'Every change Gatehouse makes records an audit event (`GET /api/workspaces/:ws/audit-events`,',
    'filter with `?action=`) in the same transaction as the change. Some actions also send a',
    'webhook event to the endpoints subscribed to it ([webhooks.md](webhooks.md)).',
    '',
    '## Audit actions',
    '',
  ];
  for (const action of AUDIT_ACTION_NAMES) {
    const spec: AuditActionSpec = AUDIT_ACTIONS[action];
    lines.push(`- \`${action}\`: ${spec.description} Webhook event: ${webhookCell(spec)}.`);
  }
  lines.push('', '## Webhook events', '');
  for (const event of WEBHOOK_EVENT_NAMES) {
    const sources = AUDIT_ACTION_NAMES.filter((action) =>
      webhookEventsOf(action).includes(event),
    ).map((action) => `\`${action}\``);
    lines.push(`- \`${event}\`: ${WEBHOOK_EVENT_TYPES[event]} From ${sources.join(', ')}.`);
  }
  lines.push('');
  return lines.join('\n');
}
