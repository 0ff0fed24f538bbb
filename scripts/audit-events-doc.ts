/**
 * Writes docs/audit-events.md from the list of audit actions and webhook events
 * (src/workspace/audit-actions.ts): `npm run build && node dist/scripts/audit-events-doc.js`.
 * src/workspace/audit-actions.spec.ts fails when the committed file differs.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AUDIT_EVENTS_DOC_PATH, renderAuditEventsDoc } from '../src/workspace/audit-events-doc.js';

// dist/scripts/ or scripts/: the repository root is two or one levels up.
const root = new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url);
const path = fileURLToPath(new URL(AUDIT_EVENTS_DOC_PATH, root));
writeFileSync(path, renderAuditEventsDoc());
process.stdout.write(`Wrote ${path}\n`);
