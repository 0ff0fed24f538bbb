import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../common/actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { SignInMethods, Workspace } from './entities/workspace.entity.js';
import { MemberService } from './member.service.js';
import { WorkspaceException } from './workspace.errors.js';
import { lockWorkspace } from './workspace-lock.js';

export interface CreateWorkspaceInput {
  name: string;
  slug?: string;
  firstAdmin?: { email: string; fullName?: string; password?: string };
}

export interface WorkspaceSettingsInput {
  signInMethods?: Partial<SignInMethods>;
  sessionLifetimeSeconds?: number;
  sessionIdleTimeoutSeconds?: number | null;
  scimOnlyProvisioning?: boolean;
}

export interface SettingsWarning {
  code: 'SAML_WITHOUT_PROVIDER' | 'NO_ACTIVE_ADMIN';
  message: string;
}

export function settingsOf(workspace: Workspace) {
  return {
    signInMethods: workspace.signInMethods,
    sessionLifetimeSeconds: workspace.sessionLifetimeSeconds,
    sessionIdleTimeoutSeconds: workspace.sessionIdleTimeoutSeconds,
    scimOnlyProvisioning: workspace.scimOnlyProvisioning,
  };
}

export function slugFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug.length >= 2 ? slug : `workspace-${slug}`.replace(/-$/, '');
}

@Injectable()
export class WorkspaceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly members: MemberService,
  ) {}

  /** Finds a workspace by id or slug (case-insensitive); undefined when there is none. */
  async findByIdOrSlug(idOrSlug: string): Promise<Workspace | null> {
    const repository = this.dataSource.getRepository(Workspace);
    if (isUuid(idOrSlug)) return repository.findOneBy({ id: idOrSlug.toLowerCase() });
    return repository
      .createQueryBuilder('w')
      .where('lower(w.slug) = lower(:slug)', { slug: idOrSlug })
      .getOne();
  }

  async getByIdOrSlug(idOrSlug: string): Promise<Workspace> {
    const workspace = await this.findByIdOrSlug(idOrSlug);
    if (!workspace) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');
    return workspace;
  }

  private async scimEnabled(tx: EntityManager, workspaceId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `SELECT 1 FROM scim_connections WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows.length > 0;
  }

  /**
   * Settings that cannot work as set, for the admin to see: SAML on without an enabled SAML
   * provider means nobody can sign in with SAML.
   */
  async warnings(workspace: Workspace): Promise<SettingsWarning[]> {
    const [row] = await this.dataSource.query<{ providers: number; admins: number }[]>(
      `SELECT (SELECT count(*)::int FROM saml_providers WHERE workspace_id = $1 AND enabled) AS providers,
              (SELECT count(*)::int FROM memberships
                WHERE workspace_id = $1 AND role = 'admin' AND status = 'active') AS admins`,
      [workspace.id],
    );
    const warnings: SettingsWarning[] = [];
    if (workspace.signInSaml && !row?.providers) {
      warnings.push({
        code: 'SAML_WITHOUT_PROVIDER',
        message:
          'SAML sign-in is enabled but this workspace has no enabled SAML provider, so nobody can sign in with SAML yet.',
      });
    }
    if (!row?.admins) {
      warnings.push({
        code: 'NO_ACTIVE_ADMIN',
        message:
          'This workspace has no active admin (the identity provider deactivated or demoted the last one). Grant the admin role in the IdP, or use the internal API.',
      });
    }
    return warnings;
  }

  async list(page: { limit: number; offset: number }): Promise<Page<Workspace>> {
    const [items, total] = await this.dataSource.getRepository(Workspace).findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items, total, ...page };
  }

  async create(input: CreateWorkspaceInput, actor: AuditActor): Promise<Workspace> {
    const explicitSlug = input.slug !== undefined;
    const baseSlug = input.slug ?? slugFromName(input.name);
    for (let attempt = 0; ; attempt++) {
      const slug = attempt === 0 ? baseSlug : `${baseSlug}-${attempt + 1}`;
      try {
        return await this.dataSource.transaction((tx) =>
          this.createWithSlug(tx, { ...input, slug }, actor),
        );
      } catch (error) {
        if (!isUniqueViolation(error, 'workspaces_slug_key')) throw error;
        if (explicitSlug || attempt >= 20) {
          throw new WorkspaceException('SLUG_TAKEN', `The slug "${slug}" is already in use.`);
        }
      }
    }
  }

  private async createWithSlug(
    tx: EntityManager,
    input: CreateWorkspaceInput & { slug: string },
    actor: AuditActor,
  ): Promise<Workspace> {
    const workspace = await tx.save(tx.create(Workspace, { name: input.name, slug: input.slug }));
    await this.audit.record(tx, workspace.id, actor, {
      action: 'workspace.created',
      targetType: 'workspace',
      targetId: workspace.id,
      after: { name: workspace.name, slug: workspace.slug, ...settingsOf(workspace) },
    });
    if (input.firstAdmin) {
      await this.members.addInTransaction(tx, workspace, {
        ...input.firstAdmin,
        role: 'admin',
        source: 'manual',
        actor,
      });
    }
    return workspace;
  }

  async updateSettings(
    workspaceId: string,
    input: WorkspaceSettingsInput,
    actor: AuditActor,
  ): Promise<Workspace> {
    return this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      const before = settingsOf(workspace);
      const methods = { ...workspace.signInMethods, ...input.signInMethods };
      if (!methods.password && !methods.office365 && !methods.saml) {
        throw new WorkspaceException(
          'NO_SIGN_IN_METHOD',
          'At least one sign-in method (password, office365 or saml) must stay enabled.',
        );
      }
      const reEnables =
        (methods.password && !before.signInMethods.password) ||
        (methods.office365 && !before.signInMethods.office365);
      if (reEnables && (await this.scimEnabled(tx, workspaceId))) {
        throw new WorkspaceException(
          'SCIM_REQUIRES_SAML_ONLY',
          'SCIM provisioning is on: people sign in through SAML only. Disable SCIM before enabling password or Office365.',
        );
      }
      const lifetime = input.sessionLifetimeSeconds ?? workspace.sessionLifetimeSeconds;
      const idle =
        input.sessionIdleTimeoutSeconds !== undefined
          ? input.sessionIdleTimeoutSeconds
          : workspace.sessionIdleTimeoutSeconds;
      workspace.signInPassword = methods.password;
      workspace.signInOffice365 = methods.office365;
      workspace.signInSaml = methods.saml;
      workspace.sessionLifetimeSeconds = lifetime;
      workspace.sessionIdleTimeoutSeconds = idle;
      workspace.scimOnlyProvisioning = input.scimOnlyProvisioning ?? workspace.scimOnlyProvisioning;
      const saved = await tx.save(workspace);
      await this.audit.record(tx, workspaceId, actor, {
        action: 'workspace.settings_updated',
        targetType: 'workspace',
        targetId: workspaceId,
        before,
        after: settingsOf(saved),
      });
      return saved;
    });
  }
}
