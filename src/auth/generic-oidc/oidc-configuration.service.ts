import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { SecretBox } from '../../common/secret-box.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import type { AuditActor } from '../../workspace/actor.js';
import { AuditService } from '../../workspace/audit.service.js';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import { SignInSetups } from '../../workspace/ports/sign-in-setups.port.js';
import { assertMayForceOrThrow } from '../../workspace/sign-in-methods.js';
import { lockWorkspace } from '../../workspace/workspace-lock.js';
import { type ForceOption, WorkspaceService } from '../../workspace/workspace.service.js';
import { AuthException } from '../auth.errors.js';
import { OidcSignInFlow } from '../oidc/oidc-sign-in.flow.js';
import type { PutOidcConfigurationDto } from './dto/oidc-configuration.dto.js';
import { issuerUrlOrThrow } from './issuer-url.js';
import { OidcConfiguration } from './oidc-configuration.entity.js';

export const OIDC_ROUTE_PREFIX = '/auth/oidc';
export const OIDC_CLIENT_SECRET_PURPOSE = 'gatehouse oidc client secret v1';

export interface OidcConfigurationView {
  issuer: string;
  clientId: string;
  /** The secret is write-only: this only says one is kept. */
  clientSecretSet: true;
  /** What to register at the provider as the redirect URI. */
  redirectUri: string;
  loginUrl: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What the sign-in needs: the provider and the secret, opened. */
export interface OidcClientSecrets {
  issuer: string;
  clientId: string;
  clientSecret: string;
  version: number;
}

const notFound = () =>
  new AuthException(
    'OIDC_CONFIGURATION_NOT_FOUND',
    'This workspace has no OpenID provider configured.',
  );

/**
 * Each workspace's own OpenID provider (issuer, client id, client secret) for the generic
 * OpenID Connect method. The secret is sealed with a key derived from SECRET_KEY for this use
 * only and never leaves the server again; the issuer is checked by reading its discovery
 * document before anything is saved.
 */
@Injectable()
export class OidcConfigurationService {
  private readonly secretBox: SecretBox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly workspaces: WorkspaceService,
    private readonly flow: OidcSignInFlow,
    signInSetups: SignInSetups,
  ) {
    this.secretBox = new SecretBox(
      config.secretKey,
      OIDC_CLIENT_SECRET_PURPOSE,
      config.previousSecretKeys,
    );
    signInSetups.register('oidc', { isSetUp: (tx, id) => this.isConfigured(tx, id) });
  }

  /** Whether the workspace has an OpenID provider, as seen inside `tx` (the method's setup). */
  async isConfigured(tx: EntityManager, workspaceId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `SELECT 1 FROM oidc_configurations WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows.length > 0;
  }

  view(workspace: Workspace, configuration: OidcConfiguration): OidcConfigurationView {
    const base = this.config.http.publicUrl;
    return {
      issuer: configuration.issuer,
      clientId: configuration.clientId,
      clientSecretSet: true,
      redirectUri: `${base}${OIDC_ROUTE_PREFIX}/callback`,
      loginUrl: `${base}${OIDC_ROUTE_PREFIX}/login?workspace=${encodeURIComponent(workspace.slug)}`,
      createdAt: configuration.createdAt,
      updatedAt: configuration.updatedAt,
    };
  }

  async get(workspaceId: string): Promise<OidcConfiguration> {
    const found = await this.dataSource.getRepository(OidcConfiguration).findOneBy({ workspaceId });
    if (!found) throw notFound();
    return found;
  }

  /** The provider and its secret for a sign-in, or null when the workspace has none. */
  async findForSignIn(workspaceId: string): Promise<OidcClientSecrets | null> {
    const found = await this.dataSource
      .getRepository(OidcConfiguration)
      .createQueryBuilder('c')
      .addSelect('c.clientSecretSealed')
      .where('c.workspace_id = :workspaceId', { workspaceId })
      .getOne();
    if (!found) return null;
    const clientSecret = this.secretBox.open(found.clientSecretSealed);
    if (clientSecret === null) {
      throw new Error(
        `The OpenID client secret of workspace ${workspaceId} cannot be opened (SECRET_KEY changed?)`,
      );
    }
    return {
      issuer: found.issuer,
      clientId: found.clientId,
      clientSecret,
      version: found.version,
    };
  }

  /**
   * Sets (or replaces) the workspace's provider: the issuer must be an https URL whose
   * discovery document answers for it, or nothing is saved.
   */
  async put(
    workspaceId: string,
    input: PutOidcConfigurationDto,
    actor: AuditActor,
  ): Promise<OidcConfiguration> {
    const issuer = issuerUrlOrThrow(input.issuer, {
      production: this.config.nodeEnv === 'production',
    });
    await this.flow.checkIssuer({
      issuer,
      clientId: input.clientId,
      clientSecret: input.clientSecret,
    });
    return this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      const before = await tx.findOneBy(OidcConfiguration, { workspaceId });
      await tx.query(
        `INSERT INTO oidc_configurations (workspace_id, issuer, client_id, client_secret_sealed)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) DO UPDATE
            SET issuer = excluded.issuer, client_id = excluded.client_id,
                client_secret_sealed = excluded.client_secret_sealed,
                version = oidc_configurations.version + 1, updated_at = now()`,
        [workspaceId, issuer, input.clientId, this.secretBox.seal(input.clientSecret)],
      );
      const saved = await tx.findOneByOrFail(OidcConfiguration, { workspaceId });
      await this.audit.record(tx, workspaceId, actor, {
        action: before ? 'oidc_configuration.updated' : 'oidc_configuration.created',
        targetType: 'oidc_configuration',
        targetId: workspaceId,
        before: before && auditSnapshot(before),
        after: auditSnapshot(saved),
      });
      return saved;
    });
  }

  /**
   * Removes the workspace's provider. Refused like deleting the last SAML provider when it
   * would leave nobody able to sign in, unless the internal token forces it.
   */
  async remove(workspaceId: string, actor: AuditActor, options: ForceOption = {}): Promise<void> {
    assertMayForceOrThrow(actor, options.force === true);
    await this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      const existing = await tx.findOneBy(OidcConfiguration, { workspaceId });
      if (!existing) throw notFound();
      await tx.delete(OidcConfiguration, { workspaceId });
      const forcedOver = workspace.signInMethods.oidc
        ? await this.workspaces.usableSignInOrThrow(
            tx,
            workspaceId,
            workspace.signInMethods,
            options,
          )
        : null;
      await this.audit.record(tx, workspaceId, actor, {
        action: 'oidc_configuration.deleted',
        targetType: 'oidc_configuration',
        targetId: workspaceId,
        before: auditSnapshot(existing),
        ...(forcedOver && { details: { forced: true, unusableMethods: forcedOver } }),
      });
    });
  }
}

/** What the audit log keeps of a configuration: never the secret. */
function auditSnapshot(configuration: OidcConfiguration): Record<string, unknown> {
  return { issuer: configuration.issuer, clientId: configuration.clientId };
}
