import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SessionService } from './sessions/session.service.js';
import type { AuditActor } from './actor.js';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { Workspace } from './entities/workspace.entity.js';
import { MemberService } from './member.service.js';
import { ScimConnections } from './ports/scim-connection.port.js';
import { SignInSetups } from './ports/sign-in-setups.port.js';
import { MembershipRepository } from './repositories/membership.repository.js';
import {
  assertAllowedWithScimOrThrow,
  assertMayForceOrThrow,
  assertSomeSignInMethodOnOrThrow,
  assertSomeSignInMethodUsableOrThrow,
  SIGN_IN_METHODS,
  type SignInMethods,
  type SignInReadiness,
  type UnusableReason,
  type UnusableSignInMethod,
  unusableSignInMethods,
  unusableSignInWarnings,
} from './sign-in-methods.js';
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
  code: UnusableReason | 'SCIM_ONLY_WITHOUT_SCIM' | 'NO_ACTIVE_ADMIN';
  message: string;
}

/** A change past the no-usable-method rule, which only the internal token may ask for. */
export interface ForceOption {
  force?: boolean;
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
    private readonly sessions: SessionService,
    private readonly memberships: MembershipRepository,
    private readonly signInSetups: SignInSetups,
    private readonly scimConnections: ScimConnections,
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

  /**
   * What the workspace's methods need beyond their switches, as seen inside `tx`: asked of the
   * modules that own them (SignInSetups).
   */
  signInReadiness(tx: EntityManager, workspaceId: string): Promise<SignInReadiness> {
    return this.signInSetups.readiness(tx, workspaceId);
  }

  /**
   * For a change already applied in `tx` that may have taken a method's means away: refuses it
   * when no enabled method can sign anyone in, unless the internal token forces it. Returns what
   * a forced change left unusable (for its audit event), or null.
   */
  async usableSignInOrThrow(
    tx: EntityManager,
    workspaceId: string,
    methods: SignInMethods,
    options: ForceOption,
  ): Promise<UnusableSignInMethod[] | null> {
    const readiness = await this.signInReadiness(tx, workspaceId);
    try {
      assertSomeSignInMethodUsableOrThrow(methods, readiness);
      return null;
    } catch (error) {
      if (!options.force) throw error;
      return unusableSignInMethods(methods, readiness);
    }
  }

  /**
   * Settings that cannot work as set, for the admin to see: a method on without what it needs
   * (SAML without an enabled provider, Office365 without the server's configuration) means
   * nobody can sign in that way; the SCIM-only lock without a SCIM connection means nobody can
   * be added.
   */
  async warnings(workspace: Workspace): Promise<SettingsWarning[]> {
    const manager = this.dataSource.manager;
    const [readiness, scim, admins] = await Promise.all([
      this.signInReadiness(manager, workspace.id),
      this.scimConnections.isEnabled(manager, workspace.id),
      this.memberships.countActiveAdmins(manager, workspace.id),
    ]);
    const warnings: SettingsWarning[] = unusableSignInWarnings(workspace.signInMethods, readiness);
    if (workspace.scimOnlyProvisioning && !scim) {
      warnings.push({
        code: 'SCIM_ONLY_WITHOUT_SCIM',
        message:
          'Only SCIM may provision this workspace, but it has no SCIM connection: nobody can be added until SCIM is enabled.',
      });
    }
    if (admins === 0) {
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

  /**
   * Changes the settings. A method switched off ends the live sessions made with it. A change
   * of methods that leaves none usable is refused unless the internal token forces it.
   */
  async updateSettings(
    workspaceId: string,
    input: WorkspaceSettingsInput,
    actor: AuditActor,
    options: ForceOption = {},
  ): Promise<Workspace> {
    assertMayForceOrThrow(actor, options.force === true);
    return this.dataSource.transaction(async (tx) => {
      const workspace = await lockWorkspace(tx, workspaceId);
      const before = settingsOf(workspace);
      const methods: SignInMethods = { ...workspace.signInMethods, ...input.signInMethods };
      assertSomeSignInMethodOnOrThrow(methods);
      const switchedOn = SIGN_IN_METHODS.filter(
        (method) => methods[method] && !before.signInMethods[method],
      );
      if (switchedOn.length > 0 && (await this.scimConnections.isEnabled(tx, workspaceId))) {
        assertAllowedWithScimOrThrow(switchedOn);
      }
      const switchedOff = SIGN_IN_METHODS.filter(
        (method) => before.signInMethods[method] && !methods[method],
      );
      const methodsChanged = SIGN_IN_METHODS.some(
        (method) => before.signInMethods[method] !== methods[method],
      );
      const forcedOver = methodsChanged
        ? await this.usableSignInOrThrow(tx, workspaceId, methods, options)
        : null;
      const lifetime = input.sessionLifetimeSeconds ?? workspace.sessionLifetimeSeconds;
      const idle =
        input.sessionIdleTimeoutSeconds !== undefined
          ? input.sessionIdleTimeoutSeconds
          : workspace.sessionIdleTimeoutSeconds;
      workspace.signInMethods = methods;
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
        ...(forcedOver && { details: { forced: true, unusableMethods: forcedOver } }),
      });
      for (const method of switchedOff) {
        const revoked = await this.sessions.revokeForMethod(
          tx,
          workspaceId,
          method,
          'sign_in_method_disabled',
        );
        if (revoked === 0) continue;
        await this.audit.record(tx, workspaceId, actor, {
          action: 'workspace.sessions_revoked',
          targetType: 'workspace',
          targetId: workspaceId,
          details: { reason: 'sign_in_method_disabled', method, sessionsRevoked: revoked },
        });
      }
      return saved;
    });
  }
}
