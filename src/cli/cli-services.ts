import type { INestApplicationContext } from '@nestjs/common';
import { SamlProviderService } from '../auth/saml/saml-provider.service.js';
import type { AuditActor } from '../workspace/actor.js';
import { isUuid } from '../common/ids.js';
import { MAX_PAGE_SIZE } from '../common/paging.js';
import { ScimConnectionService } from '../scim/connection/scim-connection.service.js';
import { DomainService } from '../workspace/domain.service.js';
import { normalizeEmail } from '../workspace/email.js';
import type { Workspace } from '../workspace/entities/workspace.entity.js';
import { MemberService, type MemberView } from '../workspace/member.service.js';
import { WorkspaceException } from '../workspace/workspace.errors.js';
import { WorkspaceService } from '../workspace/workspace.service.js';

/** The services the admin API calls, and the operator the CLI audits its changes as. */
export class CliServices {
  readonly workspaces: WorkspaceService;
  readonly members: MemberService;
  readonly domains: DomainService;
  readonly samlProviders: SamlProviderService;
  readonly scim: ScimConnectionService;

  constructor(
    readonly app: INestApplicationContext,
    readonly actor: AuditActor,
  ) {
    this.workspaces = app.get(WorkspaceService, { strict: false });
    this.members = app.get(MemberService, { strict: false });
    this.domains = app.get(DomainService, { strict: false });
    this.samlProviders = app.get(SamlProviderService, { strict: false });
    this.scim = app.get(ScimConnectionService, { strict: false });
  }

  /** A workspace by slug or id (WORKSPACE_NOT_FOUND otherwise). */
  workspace(slugOrId: string): Promise<Workspace> {
    return this.workspaces.getByIdOrSlug(slugOrId);
  }

  /** A member by user id or exact email (MEMBER_NOT_FOUND otherwise). */
  async member(workspaceId: string, idOrEmail: string): Promise<MemberView> {
    if (isUuid(idOrEmail)) return this.members.get(workspaceId, idOrEmail);
    const email = normalizeEmail(idOrEmail);
    // The list filters on a part of the email: walk its pages for the exact one.
    for (let offset = 0; ; offset += MAX_PAGE_SIZE) {
      const page = await this.members.list(
        workspaceId,
        { email },
        { limit: MAX_PAGE_SIZE, offset },
      );
      const member = page.items.find((item) => item.email === email);
      if (member) return member;
      if (offset + MAX_PAGE_SIZE >= page.total) {
        throw new WorkspaceException(
          'MEMBER_NOT_FOUND',
          `No member with the email ${email} in this workspace.`,
        );
      }
    }
  }
}
