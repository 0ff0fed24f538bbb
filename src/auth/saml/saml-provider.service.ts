import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomInt } from 'node:crypto';
import { DataSource, type EntityManager, type ObjectLiteral, type Repository } from 'typeorm';
import type { AuditActor } from '../../workspace/actor.js';
import { isUuid } from '../../common/ids.js';
import { SecretBox } from '../../common/secret-box.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import { isUniqueViolation } from '../../database/database-errors.js';
import { PreparedStatements, preparedStatement } from '../../database/prepared-statements.js';
import { AuditService } from '../../workspace/audit.service.js';
import { Workspace } from '../../workspace/entities/workspace.entity.js';
import { SignInSetups } from '../../workspace/ports/sign-in-setups.port.js';
import {
  assertMayForceOrThrow,
  SIGN_IN_METHODS,
  signInMethodColumn,
} from '../../workspace/sign-in-methods.js';
import { lockWorkspace } from '../../workspace/workspace-lock.js';
import { type ForceOption, WorkspaceService } from '../../workspace/workspace.service.js';
import type { SamlProviderFieldsDto } from './dto/saml-provider.dto.js';
import {
  CertificateSummary,
  generateSpKeyPair,
  InvalidCertificateError,
  normalizeCertificate,
  summarizeCertificate,
} from './saml-certificates.js';
import { assertHttpUrl, InvalidMetadataError, parseIdpMetadata } from './saml-metadata.js';
import { SamlBinding, SamlProvider } from './saml-provider.entity.js';
import { samlUrls } from './saml-urls.js';
import { SamlException } from './saml.errors.js';

export interface SamlProviderView {
  id: string;
  name: string;
  enabled: boolean;
  idpEntityId: string;
  idpSsoUrl: string;
  idpSsoBinding: SamlBinding;
  idpCertificates: (CertificateSummary & { pem: string })[];
  allowIdpInitiated: boolean;
  signAuthnRequests: boolean;
  wantEncryptedAssertions: boolean;
  providerToken: string;
  acsUrl: string;
  spEntityId: string;
  spMetadataUrl: string;
  loginUrl: string;
  spCertificate: string;
  createdAt: Date;
  updatedAt: Date;
}

type IdpFields = Pick<
  SamlProvider,
  'idpEntityId' | 'idpSsoUrl' | 'idpSsoBinding' | 'idpCertificates'
>;

const notFound = () =>
  new SamlException('SAML_PROVIDER_NOT_FOUND', 'No such SAML provider in this workspace.');

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 40 characters of 62: 238 bits, more than the 192 of the older base64url tokens. */
const TOKEN_LENGTH = 40;

/**
 * A provider token of letters and digits only: Okta's App Integration Wizard refuses a Single
 * sign-on URL with `_` (and base64url has `_` and `-`). Older tokens with them keep working.
 */
export function newProviderToken(): string {
  let token = '';
  for (let i = 0; i < TOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
}

/** Provider tokens: letters, digits, and the `_` and `-` of older base64url tokens. */
const PROVIDER_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/** The workspace's sign-in switches, aliased "w.signInMethods.<method>" for entityFrom. */
const WORKSPACE_SIGN_IN_METHODS = SIGN_IN_METHODS.map(
  (method) => `w.${signInMethodColumn(method)} AS "w.signInMethods.${method}"`,
).join(', ');

/**
 * The provider a token names (with its sealed key) and its workspace: what the ACS needs before
 * it looks at the response, in one statement run by name. Columns are aliased "p.<property path>"
 * and "w.<property path>" for entityFrom.
 */
const PROVIDER_FOR_SIGN_IN = preparedStatement(
  'gatehouse_saml_provider_for_sign_in',
  `SELECT p.id AS "p.id", p.workspace_id AS "p.workspaceId", p.name AS "p.name",
          p.provider_token AS "p.providerToken", p.enabled AS "p.enabled",
          p.idp_entity_id AS "p.idpEntityId", p.idp_sso_url AS "p.idpSsoUrl",
          p.idp_sso_binding AS "p.idpSsoBinding", p.idp_certificates AS "p.idpCertificates",
          p.allow_idp_initiated AS "p.allowIdpInitiated",
          p.sign_authn_requests AS "p.signAuthnRequests",
          p.want_encrypted_assertions AS "p.wantEncryptedAssertions",
          p.sp_private_key_sealed AS "p.spPrivateKeySealed",
          p.sp_certificate AS "p.spCertificate", p.created_at AS "p.createdAt",
          p.updated_at AS "p.updatedAt",
          w.id AS "w.id", w.slug AS "w.slug", w.name AS "w.name",
          ${WORKSPACE_SIGN_IN_METHODS},
          w.session_lifetime_seconds AS "w.sessionLifetimeSeconds",
          w.session_idle_timeout_seconds AS "w.sessionIdleTimeoutSeconds",
          w.scim_only_provisioning AS "w.scimOnlyProvisioning", w.created_at AS "w.createdAt",
          w.updated_at AS "w.updatedAt"
     FROM saml_providers p JOIN workspaces w ON w.id = p.workspace_id
    WHERE p.provider_token = $1`,
);

/** The entity whose columns `row` holds as "<alias>.<property path>" (embedded ones too). */
function entityFrom<T extends ObjectLiteral>(
  repository: Repository<T>,
  row: Record<string, unknown>,
  alias: string,
): T {
  const entity = repository.create();
  for (const column of repository.metadata.columns) {
    column.setEntityValue(entity, row[`${alias}.${column.propertyPath}`]);
  }
  return entity;
}

/** What the SP private keys are sealed for (SecretBox), also for `secrets:reseal`. */
export const SAML_SP_KEY_PURPOSE = 'saml-sp-private-key';

/** SAML providers of a workspace: any number, each with its own URLs, token and SP key pair. */
@Injectable()
export class SamlProviderService {
  private readonly keyBox: SecretBox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly workspaces: WorkspaceService,
    private readonly statements: PreparedStatements,
    signInSetups: SignInSetups,
  ) {
    this.keyBox = new SecretBox(config.secretKey, SAML_SP_KEY_PURPOSE, config.previousSecretKeys);
    signInSetups.register('saml', { isSetUp: (tx, id) => this.hasEnabledProvider(tx, id) });
  }

  /** Whether the workspace has an enabled SAML provider, as seen inside `tx` (SAML's setup). */
  async hasEnabledProvider(tx: EntityManager, workspaceId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `SELECT 1 FROM saml_providers WHERE workspace_id = $1 AND enabled LIMIT 1`,
      [workspaceId],
    );
    return rows.length > 0;
  }

  view(provider: SamlProvider): SamlProviderView {
    return {
      id: provider.id,
      name: provider.name,
      enabled: provider.enabled,
      idpEntityId: provider.idpEntityId,
      idpSsoUrl: provider.idpSsoUrl,
      idpSsoBinding: provider.idpSsoBinding,
      idpCertificates: provider.idpCertificates.map((pem) => ({
        ...summarizeCertificate(pem),
        pem,
      })),
      allowIdpInitiated: provider.allowIdpInitiated,
      signAuthnRequests: provider.signAuthnRequests,
      wantEncryptedAssertions: provider.wantEncryptedAssertions,
      providerToken: provider.providerToken,
      ...samlUrls(this.config.http.publicUrl, provider.providerToken),
      spCertificate: provider.spCertificate,
      createdAt: provider.createdAt,
      updatedAt: provider.updatedAt,
    };
  }

  async list(workspaceId: string): Promise<SamlProvider[]> {
    return this.dataSource.getRepository(SamlProvider).find({
      where: { workspaceId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async get(workspaceId: string, id: string): Promise<SamlProvider> {
    const provider = isUuid(id)
      ? await this.dataSource
          .getRepository(SamlProvider)
          .findOneBy({ workspaceId, id: id.toLowerCase() })
      : null;
    if (!provider) throw notFound();
    return provider;
  }

  /** The provider a token names (with its sealed key), for the sign-in routes. */
  async findByToken(token: string): Promise<SamlProvider | null> {
    if (!PROVIDER_TOKEN.test(token)) return null;
    return this.dataSource
      .getRepository(SamlProvider)
      .createQueryBuilder('p')
      .addSelect('p.spPrivateKeySealed')
      .where('p.provider_token = :token', { token })
      .getOne();
  }

  /** The provider a token names (with its sealed key) and its workspace, for the ACS. */
  async findForSignIn(
    token: string,
  ): Promise<{ provider: SamlProvider; workspace: Workspace } | null> {
    if (!PROVIDER_TOKEN.test(token)) return null;
    const [row] = await this.statements.rows<Record<string, unknown>>(PROVIDER_FOR_SIGN_IN, [
      token,
    ]);
    if (!row) return null;
    return {
      provider: entityFrom(this.dataSource.getRepository(SamlProvider), row, 'p'),
      workspace: entityFrom(this.dataSource.getRepository(Workspace), row, 'w'),
    };
  }

  spPrivateKey(provider: Pick<SamlProvider, 'id' | 'spPrivateKeySealed'>): string {
    const key = this.keyBox.open(provider.spPrivateKeySealed);
    if (!key)
      throw new Error(
        `The SP key of SAML provider ${provider.id} cannot be opened (SECRET_KEY changed?)`,
      );
    return key;
  }

  async create(
    workspaceId: string,
    input: SamlProviderFieldsDto & { name: string },
    actor: AuditActor,
  ): Promise<SamlProvider> {
    const idp = this.idpFieldsFrom(input, null);
    const providerToken = newProviderToken();
    const keys = await generateSpKeyPair(`Gatehouse SAML SP ${providerToken.slice(0, 8)}`);
    return this.dataSource.transaction(async (tx) => {
      let provider: SamlProvider;
      try {
        provider = await tx.save(
          tx.create(SamlProvider, {
            workspaceId,
            name: input.name.trim(),
            providerToken,
            ...idp,
            enabled: input.enabled ?? true,
            allowIdpInitiated: input.allowIdpInitiated ?? true,
            signAuthnRequests: input.signAuthnRequests ?? false,
            wantEncryptedAssertions: input.wantEncryptedAssertions ?? false,
            spPrivateKeySealed: this.keyBox.seal(keys.privateKeyPem),
            spCertificate: keys.certificatePem,
          }),
        );
      } catch (error) {
        throw this.translate(error, input.name);
      }
      await this.audit.record(tx, workspaceId, actor, {
        action: 'saml_provider.created',
        targetType: 'saml_provider',
        targetId: provider.id,
        after: auditSnapshot(provider),
      });
      return provider;
    });
  }

  /**
   * Disabling the workspace's last enabled provider while no other method can sign anyone in
   * is refused (409 NO_USABLE_SIGN_IN_METHOD) unless the internal token forces it.
   */
  async update(
    workspaceId: string,
    id: string,
    input: SamlProviderFieldsDto & { name?: string },
    actor: AuditActor,
    options: ForceOption = {},
  ): Promise<SamlProvider> {
    assertMayForceOrThrow(actor, options.force === true);
    const found = await this.get(workspaceId, id);
    const idp = this.idpFieldsFrom(input, found);
    return this.dataSource.transaction(async (tx) => {
      // The settings change takes the same lock: the two cannot together leave no method.
      const workspace = await lockWorkspace(tx, workspaceId);
      const current = await tx.findOneBy(SamlProvider, { id: found.id, workspaceId });
      if (!current) throw notFound();
      const before = auditSnapshot(current);
      const changes: Partial<SamlProvider> = {
        ...idp,
        ...(input.name !== undefined && { name: input.name.trim() }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        ...(input.allowIdpInitiated !== undefined && {
          allowIdpInitiated: input.allowIdpInitiated,
        }),
        ...(input.signAuthnRequests !== undefined && {
          signAuthnRequests: input.signAuthnRequests,
        }),
        ...(input.wantEncryptedAssertions !== undefined && {
          wantEncryptedAssertions: input.wantEncryptedAssertions,
        }),
      };
      try {
        await tx.update(SamlProvider, { id: current.id, workspaceId }, changes);
      } catch (error) {
        throw this.translate(error, input.name ?? current.name);
      }
      const updated = await tx.findOneByOrFail(SamlProvider, { id: current.id });
      const forcedOver =
        current.enabled && !updated.enabled
          ? await this.workspaces.usableSignInOrThrow(
              tx,
              workspaceId,
              workspace.signInMethods,
              options,
            )
          : null;
      await this.audit.record(tx, workspaceId, actor, {
        action: 'saml_provider.updated',
        targetType: 'saml_provider',
        targetId: current.id,
        before,
        after: auditSnapshot(updated),
        ...(forcedOver && { details: { forced: true, unusableMethods: forcedOver } }),
      });
      return updated;
    });
  }

  /** Deleting the last enabled provider is refused like disabling it (see update). */
  async remove(
    workspaceId: string,
    id: string,
    actor: AuditActor,
    options: ForceOption = {},
  ): Promise<void> {
    assertMayForceOrThrow(actor, options.force === true);
    const found = await this.get(workspaceId, id);
    await this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      const provider = await tx.findOneBy(SamlProvider, { id: found.id, workspaceId });
      if (!provider) throw notFound();
      await tx.delete(SamlProvider, { id: provider.id, workspaceId });
      const forcedOver = provider.enabled
        ? await this.workspaces.usableSignInOrThrow(
            tx,
            workspaceId,
            workspace.signInMethods,
            options,
          )
        : null;
      await this.audit.record(tx, workspaceId, actor, {
        action: 'saml_provider.deleted',
        targetType: 'saml_provider',
        targetId: provider.id,
        before: auditSnapshot(provider),
        ...(forcedOver && { details: { forced: true, unusableMethods: forcedOver } }),
      });
    });
  }

  /**
   * The IdP fields from either `metadataXml` or the explicit fields (on update: merged into the
   * current ones). Throws 400s that say which input is wrong.
   */
  private idpFieldsFrom(
    input: SamlProviderFieldsDto,
    current: SamlProvider | null,
  ): Partial<IdpFields> {
    const explicit = [input.idpEntityId, input.idpSsoUrl, input.idpCertificates].filter(
      (v) => v !== undefined,
    ).length;
    if (input.metadataXml !== undefined) {
      if (explicit > 0) {
        throw new SamlException(
          'SAML_INVALID_PROVIDER_INPUT',
          'Give either metadataXml or idpEntityId, idpSsoUrl and idpCertificates, not both.',
        );
      }
      try {
        const metadata = parseIdpMetadata(input.metadataXml);
        return {
          idpEntityId: metadata.entityId,
          idpSsoUrl: metadata.ssoUrl,
          idpSsoBinding: metadata.ssoBinding,
          idpCertificates: metadata.certificates,
        };
      } catch (error) {
        if (error instanceof InvalidMetadataError || error instanceof InvalidCertificateError) {
          throw new SamlException('SAML_INVALID_METADATA', error.message);
        }
        throw error;
      }
    }
    if (current === null && explicit < 3) {
      throw new SamlException(
        'SAML_INVALID_PROVIDER_INPUT',
        'Give metadataXml, or all of idpEntityId, idpSsoUrl and idpCertificates.',
      );
    }
    const fields: Partial<IdpFields> = {};
    if (input.idpEntityId !== undefined) fields.idpEntityId = input.idpEntityId.trim();
    if (input.idpSsoUrl !== undefined) {
      try {
        assertHttpUrl(input.idpSsoUrl, 'idpSsoUrl');
      } catch (error) {
        throw new SamlException('SAML_INVALID_PROVIDER_INPUT', (error as Error).message);
      }
      fields.idpSsoUrl = input.idpSsoUrl;
      fields.idpSsoBinding = 'HTTP-Redirect';
    }
    if (input.idpCertificates !== undefined) {
      try {
        fields.idpCertificates = [
          ...new Set(
            input.idpCertificates.map((c, i) => normalizeCertificate(c, `idpCertificates[${i}]`)),
          ),
        ];
      } catch (error) {
        if (error instanceof InvalidCertificateError) {
          throw new SamlException('SAML_INVALID_CERTIFICATE', error.message);
        }
        throw error;
      }
    }
    return fields;
  }

  private translate(error: unknown, name: string): unknown {
    if (isUniqueViolation(error, 'saml_providers_name_key')) {
      return new SamlException(
        'SAML_PROVIDER_NAME_TAKEN',
        `A SAML provider named "${name}" already exists in this workspace.`,
      );
    }
    return error;
  }
}

function auditSnapshot(provider: SamlProvider): Record<string, unknown> {
  return {
    name: provider.name,
    enabled: provider.enabled,
    idpEntityId: provider.idpEntityId,
    idpSsoUrl: provider.idpSsoUrl,
    idpCertificateFingerprints: provider.idpCertificates.map(
      (pem) => summarizeCertificate(pem).fingerprintSha256,
    ),
    allowIdpInitiated: provider.allowIdpInitiated,
    signAuthnRequests: provider.signAuthnRequests,
    wantEncryptedAssertions: provider.wantEncryptedAssertions,
  };
}
