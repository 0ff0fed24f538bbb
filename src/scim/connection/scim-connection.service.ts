import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditActor } from '../../workspace/actor.js';
import { randomToken, tokenDigest, tokenDigests } from '../../common/secret-tokens.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import { isUniqueViolation } from '../../database/database-errors.js';
import { PreparedStatements, preparedStatement } from '../../database/prepared-statements.js';
import { AuditService } from '../../workspace/audit.service.js';
import { ScimConnections } from '../../workspace/ports/scim-connection.port.js';
import { SignInSetups } from '../../workspace/ports/sign-in-setups.port.js';
import {
  methodsRefusedWithScim,
  type ScimConflict,
  scimConflict,
  signInMethodLabel,
  type SignInMethods,
} from '../../workspace/sign-in-methods.js';
import { ProvisioningService } from '../../workspace/provisioning.service.js';
import { lockWorkspace } from '../../workspace/workspace-lock.js';
import { WorkspaceException } from '../../workspace/workspace.errors.js';
import { scimBaseUrl } from '../protocol/schemas.js';
import { ScimConnection, ScimProvider } from './scim-connection.entity.js';
import { ScimConnectionException } from './scim-connection.errors.js';

/**
 * The workspace of a token's digest: the current token, or the previous one in its grace period.
 * $1 is the digest under each accepted key (SECRET_KEY, then SECRET_KEY_PREVIOUS).
 */
const WORKSPACE_BY_TOKEN = preparedStatement(
  'gatehouse_scim_workspace_by_token',
  `SELECT workspace_id, token_hash FROM scim_connections
    WHERE token_hash = ANY($1::text[])
       OR (previous_token_hash = ANY($1::text[]) AND previous_token_expires_at > now())`,
);

export interface ScimConnectionStatus {
  enabled: boolean;
  provider?: ScimProvider;
  baseUrl: string;
  createdAt?: Date;
  previousTokenValidUntil?: Date | null;
  lastRequestAt?: Date | null;
  /** Entra sent requests without ?aadOptscim062020: the admin should add it to the tenant URL. */
  entraHint?: { legacyRequests: number; lastSeenAt: Date | null; message: string } | null;
}

/**
 * One SCIM connection per workspace. The bearer token (256 random bits) is shown once and kept
 * as a keyed digest; rotation keeps the previous token valid for a grace period so the IdP can
 * be updated without failures; disabling revokes both.
 */
@Injectable()
export class ScimConnectionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly provisioning: ProvisioningService,
    private readonly statements: PreparedStatements,
    private readonly signInSetups: SignInSetups,
    scimConnections: ScimConnections,
  ) {
    scimConnections.register({ isEnabled: (tx, id) => this.isEnabled(tx, id) });
  }

  /** Whether the workspace has a SCIM connection, as seen inside `tx`. */
  async isEnabled(tx: EntityManager, workspaceId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `SELECT 1 FROM scim_connections WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows.length > 0;
  }

  get baseUrl(): string {
    return scimBaseUrl(this.config.http.publicUrl);
  }

  async status(workspaceId: string): Promise<ScimConnectionStatus> {
    const connection = await this.dataSource
      .getRepository(ScimConnection)
      .findOneBy({ workspaceId });
    if (!connection) return { enabled: false, baseUrl: this.baseUrl };
    return {
      enabled: true,
      provider: connection.provider,
      baseUrl: this.baseUrl,
      createdAt: connection.createdAt,
      previousTokenValidUntil:
        connection.previousTokenExpiresAt && connection.previousTokenExpiresAt > new Date()
          ? connection.previousTokenExpiresAt
          : null,
      lastRequestAt: connection.lastRequestAt,
      entraHint:
        connection.entraLegacyRequests > 0
          ? {
              legacyRequests: connection.entraLegacyRequests,
              lastSeenAt: connection.entraLegacyLastSeenAt,
              message:
                'Microsoft Entra ID sent requests in its legacy SCIM dialect. Append ?aadOptscim062020 to the Tenant URL in the Entra provisioning settings.',
            }
          : null,
    };
  }

  /**
   * Enables SCIM: needs an enabled SAML provider and SAML as the only enabled sign-in method,
   * so that people provisioned by the IdP also sign in through it.
   */
  async enable(
    workspaceId: string,
    provider: ScimProvider,
    actor: AuditActor,
  ): Promise<{ baseUrl: string; token: string }> {
    const token = randomToken(32);
    await this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      const methods = workspace.signInMethods;
      const samlReady = await this.signInSetups.isSetUp(tx, workspaceId, 'saml');
      const unmet = scimPrerequisitesUnmet(methods, samlReady);
      if (unmet.length > 0) {
        throw new WorkspaceException(
          'SCIM_REQUIRES_SAML_ONLY',
          `SCIM provisioning needs an enabled SAML provider and SAML as the only enabled sign-in method: ${unmet
            .map((reason) => prerequisiteSentence(reason, methods))
            .join('; ')}.`,
          { reasons: unmet },
        );
      }
      try {
        await tx.insert(ScimConnection, {
          workspaceId,
          provider,
          tokenHash: tokenDigest(this.config.secretKey, token),
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ScimConnectionException(
            'SCIM_ALREADY_ENABLED',
            'SCIM is already enabled for this workspace: rotate its token instead.',
          );
        }
        throw error;
      }
      await this.audit.record(tx, workspaceId, actor, {
        action: 'scim.enabled',
        targetType: 'scim_connection',
        targetId: workspaceId,
        after: { provider },
      });
    });
    return { baseUrl: this.baseUrl, token };
  }

  async rotateToken(
    workspaceId: string,
    actor: AuditActor,
  ): Promise<{ baseUrl: string; token: string; previousTokenValidUntil: Date }> {
    const token = randomToken(32);
    const graceSeconds = this.config.scim.tokenGraceSeconds;
    const validUntil = await this.dataSource.transaction(async (tx) => {
      const [rows]: [{ previous_token_expires_at: Date }[], number] = await tx.query(
        `UPDATE scim_connections
            SET previous_token_hash = token_hash,
                previous_token_expires_at = now() + make_interval(secs => $3),
                token_hash = $2,
                updated_at = now()
          WHERE workspace_id = $1
      RETURNING previous_token_expires_at`,
        [workspaceId, tokenDigest(this.config.secretKey, token), graceSeconds],
      );
      if (!rows[0]) throw notEnabled();
      await this.audit.record(tx, workspaceId, actor, {
        action: 'scim.token_rotated',
        targetType: 'scim_connection',
        targetId: workspaceId,
        details: { previousTokenValidUntil: rows[0].previous_token_expires_at },
      });
      return rows[0].previous_token_expires_at;
    });
    return { baseUrl: this.baseUrl, token, previousTokenValidUntil: validUntil };
  }

  async disable(workspaceId: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const [rows]: [unknown[], number] = await tx.query(
        `DELETE FROM scim_connections WHERE workspace_id = $1 RETURNING provider`,
        [workspaceId],
      );
      if (rows.length === 0) throw notEnabled();
      await this.provisioning.release(tx, workspaceId);
      await this.audit.record(tx, workspaceId, actor, {
        action: 'scim.disabled',
        targetType: 'scim_connection',
        targetId: workspaceId,
      });
    });
  }

  /**
   * The workspace a bearer token opens, or null. One indexed lookup of the token's keyed digest:
   * the current token, or the previous one during its grace period.
   */
  async authenticate(token: string): Promise<string | null> {
    if (!token || token.length > 256) return null;
    const digests = tokenDigests(this.config, token);
    const [row] = await this.statements.rows<{ workspace_id: string; token_hash: string }>(
      WORKSPACE_BY_TOKEN,
      [digests],
    );
    if (!row) return null;
    if (row.token_hash !== digests[0] && digests.includes(row.token_hash)) {
      await this.redigest(row.workspace_id, row.token_hash, digests[0]!);
    }
    return row.workspace_id;
  }

  /**
   * The current token was digested under a previous SECRET_KEY: store its digest under the
   * current key, once (SCIM tokens do not expire, so without this the previous key could never
   * be dropped). A rotation in between wins: the row is only written if it still holds `from`.
   */
  private async redigest(workspaceId: string, from: string, to: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE scim_connections SET token_hash = $3 WHERE workspace_id = $1 AND token_hash = $2`,
      [workspaceId, from, to],
    );
  }

  /**
   * Notes a request, and whether it spoke Entra's legacy dialect. A request carrying
   * `?aadOptscim062020` shows the admin has fixed the Tenant URL: it clears the hint.
   */
  async noteRequest(
    workspaceId: string,
    entra: { legacy: boolean; flagged: boolean } = { legacy: false, flagged: false },
  ): Promise<void> {
    const legacy = entra.legacy;
    const cleared = !legacy && entra.flagged;
    await this.dataSource.query(
      `UPDATE scim_connections
          SET last_request_at = now(),
              entra_legacy_requests = CASE
                WHEN $2::boolean THEN entra_legacy_requests + 1
                WHEN $3::boolean THEN 0
                ELSE entra_legacy_requests END,
              entra_legacy_last_seen_at = CASE
                WHEN $2::boolean THEN now()
                WHEN $3::boolean THEN NULL
                ELSE entra_legacy_last_seen_at END
        WHERE workspace_id = $1`,
      [workspaceId, legacy, cleared],
    );
  }
}

type ScimPrerequisite = 'SAML_DISABLED' | 'NO_ENABLED_SAML_PROVIDER' | ScimConflict;

function prerequisiteSentence(reason: ScimPrerequisite, methods: SignInMethods): string {
  if (reason === 'SAML_DISABLED') return 'SAML sign-in is off (turn it on)';
  if (reason === 'NO_ENABLED_SAML_PROVIDER') {
    return 'this workspace has no enabled SAML provider (add or enable one)';
  }
  const method = methodsRefusedWithScim(methods).find((m) => scimConflict(m) === reason)!;
  return `${signInMethodLabel(method)} sign-in is still on (turn it off)`;
}

/** What keeps a workspace from SCIM, in the order an admin would fix it. */
function scimPrerequisitesUnmet(methods: SignInMethods, samlReady: boolean): ScimPrerequisite[] {
  const unmet: ScimPrerequisite[] = [];
  if (!methods.saml) unmet.push('SAML_DISABLED');
  if (!samlReady) unmet.push('NO_ENABLED_SAML_PROVIDER');
  unmet.push(...methodsRefusedWithScim(methods).map(scimConflict));
  return unmet;
}

const notEnabled = () =>
  new ScimConnectionException('SCIM_NOT_ENABLED', 'SCIM is not enabled for this workspace.');
