import type { DataSource } from 'typeorm';
import { OIDC_CLIENT_SECRET_PURPOSE } from '../auth/generic-oidc/oidc-configuration.service.js';
import { SAML_SP_KEY_PURPOSE } from '../auth/saml/saml-provider.service.js';
import { SecretBox } from '../common/secret-box.js';
import type { SecretKeys } from '../common/secret-tokens.js';
import { WEBHOOK_SECRET_PURPOSE } from '../webhooks/webhook.service.js';

/**
 * Every column holding a value sealed with SecretBox under SECRET_KEY, by its purpose. Flow
 * cookies (OIDC, Office365) are sealed too but live in browsers for minutes: nothing to do.
 * A new sealed column belongs here, or retiring a previous key would make it unreadable.
 */
export const SEALED_COLUMNS = [
  {
    table: 'saml_providers',
    key: 'id',
    column: 'sp_private_key_sealed',
    purpose: SAML_SP_KEY_PURPOSE,
  },
  {
    table: 'oidc_configurations',
    key: 'workspace_id',
    column: 'client_secret_sealed',
    purpose: OIDC_CLIENT_SECRET_PURPOSE,
  },
  {
    table: 'webhook_endpoints',
    key: 'id',
    column: 'secret_sealed',
    purpose: WEBHOOK_SECRET_PURPOSE,
  },
] as const;

export interface ResealCount {
  table: string;
  column: string;
  /** Rows with a value. */
  total: number;
  /** Were sealed under a previous key, now under SECRET_KEY. */
  resealed: number;
  /** Already under SECRET_KEY. */
  current: number;
  /** Opened by no accepted key (sealed under a key no longer configured): left as they are. */
  unreadable: number;
  /** The keys (id, or workspace id) of the unreadable rows, for the operator to look at. */
  unreadableIds: string[];
}

/**
 * Seals every sealed value again under the current SECRET_KEY, so that SECRET_KEY_PREVIOUS can be
 * dropped. Idempotent: values already under the current key are left alone. Each row is written
 * only if it still holds the value that was read (a concurrent change wins; it was sealed under
 * the current key by whoever wrote it).
 */
export async function resealAll(dataSource: DataSource, keys: SecretKeys): Promise<ResealCount[]> {
  const counts: ResealCount[] = [];
  for (const { table, key, column, purpose } of SEALED_COLUMNS) {
    const box = new SecretBox(keys.secretKey, purpose, keys.previousSecretKeys);
    const rows: { id: string; sealed: string }[] = await dataSource.query(
      `SELECT ${key} AS id, ${column} AS sealed FROM ${table} ORDER BY ${key}`,
    );
    const count: ResealCount = {
      table,
      column,
      total: rows.length,
      resealed: 0,
      current: 0,
      unreadable: 0,
      unreadableIds: [],
    };
    for (const row of rows) {
      const result = box.reseal(row.sealed);
      if (!result) {
        count.unreadable += 1;
        count.unreadableIds.push(row.id);
      } else if (!result.changed) {
        count.current += 1;
      } else {
        await dataSource.query(
          `UPDATE ${table} SET ${column} = $2 WHERE ${key} = $1 AND ${column} = $3`,
          [row.id, result.sealed, row.sealed],
        );
        count.resealed += 1;
      }
    }
    counts.push(count);
  }
  return counts;
}
