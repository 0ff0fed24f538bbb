import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuthException } from './auth.errors.js';

export type ExternalIdentityProvider = 'office365';

/** An identity by its provider's immutable ids (Office365: tenant `tid`, subject `oid`). */
export interface ExternalIdentityKey {
  provider: ExternalIdentityProvider;
  tenantId: string;
  subject: string;
}

/** Table `external_identities`: which account an external identity signs in as. */
@Injectable()
export class ExternalIdentityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findUserId(key: ExternalIdentityKey): Promise<string | null> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT user_id FROM external_identities
        WHERE provider = $1 AND tenant_id = $2 AND subject = $3`,
      [key.provider, key.tenantId, key.subject],
    );
    return rows[0]?.user_id ?? null;
  }

  /**
   * Binds `key` to `userId` (or notes its use when already bound to it). An account bound to an
   * identity of another tenant is not bound again by email: that tenant's admins would otherwise
   * silently gain a second way into it. The account row is locked so two tenants cannot race.
   * Returns true when a new binding was made.
   */
  async bindInTransaction(
    tx: EntityManager,
    key: ExternalIdentityKey,
    userId: string,
  ): Promise<boolean> {
    await tx.query(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    const elsewhere: unknown[] = await tx.query(
      `SELECT 1 FROM external_identities
        WHERE user_id = $1 AND provider = $2 AND tenant_id <> $3 LIMIT 1`,
      [userId, key.provider, key.tenantId],
    );
    if (elsewhere.length > 0) {
      throw new AuthException(
        'OFFICE365_ACCOUNT_BOUND_TO_OTHER_TENANT',
        'This account already signs in with a Microsoft account of another organization, so it cannot be linked to yours. Please check with your administrator.',
      );
    }
    const inserted: unknown[] = await tx.query(
      `INSERT INTO external_identities (provider, tenant_id, subject, user_id)
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING user_id`,
      [key.provider, key.tenantId, key.subject, userId],
    );
    if (inserted.length > 0) return true;
    const rows: { user_id: string }[] = await tx.query(
      `UPDATE external_identities SET last_used_at = now()
        WHERE provider = $1 AND tenant_id = $2 AND subject = $3 RETURNING user_id`,
      [key.provider, key.tenantId, key.subject],
    );
    if (rows[0]?.user_id !== userId) {
      // Bound to another account by a concurrent sign-in: that binding decides from now on.
      throw new AuthException(
        'OIDC_CALLBACK_FAILED',
        'Your Microsoft account was linked at the same moment by another sign-in. Please try signing in again.',
      );
    }
    return false;
  }

  async touchInTransaction(tx: EntityManager, key: ExternalIdentityKey): Promise<void> {
    await tx.query(
      `UPDATE external_identities SET last_used_at = now()
        WHERE provider = $1 AND tenant_id = $2 AND subject = $3`,
      [key.provider, key.tenantId, key.subject],
    );
  }
}
