import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../common/actor.js';
import { isUuid } from '../common/ids.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { ProvisioningService, type ProvisionedGroup } from '../workspace/provisioning.service.js';
import { applyPatch, canonicalNames, type PatchDialect } from './patch/scim-patch.js';
import { ScimError } from './scim-error.js';
import { findPage, type ScimTable } from './scim-page.js';
import {
  assertIfMatch,
  etagOf,
  type Json,
  type ListQuery,
  listResponse,
  project,
  requireObject,
  requireSchema,
  wants,
} from './scim-resources.js';
import {
  ENTRA_GROUP_SCHEMA,
  GATEHOUSE_GROUP_SCHEMA,
  GROUP_FILTER_SCHEMA,
  GROUP_PATCH_SCHEMA,
  GROUP_SCHEMA,
  GROUP_SORT,
  scimBaseUrl,
} from './scim-schemas.js';

interface GroupRow {
  id: string;
  display_name: string;
  scim_external_id: string | null;
  admin_role: boolean;
  created_at: Date;
  updated_at: Date;
}

const GROUP_COLUMNS =
  'g.id, g.display_name, g.scim_external_id, g.admin_role, g.created_at, g.updated_at';
const EXTENSIONS = [GATEHOUSE_GROUP_SCHEMA, ENTRA_GROUP_SCHEMA];
export const GROUPS: ScimTable = {
  resourceType: 'Group',
  from: 'groups g',
  columns: GROUP_COLUMNS,
  workspaceColumn: 'g.workspace_id',
  coreSchemaUrn: GROUP_SCHEMA,
  filterSchema: GROUP_FILTER_SCHEMA,
  sort: GROUP_SORT,
  defaultOrder: 'g.created_at, g.id',
  tieBreaker: 'g.id',
  // The page's ids first (groups_created_idx, index only), then those rows.
  keys: { from: 'groups g', key: 'g.id', joined: /$^/ },
};

const notFound = () => ScimError.status(404, 'No such Group in this workspace.');

function groupFields(resource: Json): ProvisionedGroup {
  const displayName = resource.displayName;
  if (typeof displayName !== 'string' || !displayName.trim() || displayName.length > 200) {
    throw ScimError.of(
      'invalidValue',
      'displayName is required: a non-empty string of at most 200 characters.',
    );
  }
  const extension = resource[GATEHOUSE_GROUP_SCHEMA] as Json | undefined;
  return {
    displayName: displayName.trim(),
    externalId: typeof resource.externalId === 'string' ? resource.externalId : null,
    adminRole: extension?.role === 'admin',
  };
}

/** Member ids of a members list (names canonical); ids that are not user ids cannot be members
 * and are skipped, and so are sub-attributes the schema lacks (Microsoft sends `displayName`). */
function memberIds(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw ScimError.of('invalidValue', 'members must be a list.');
  const ids = value.map((m: unknown) => {
    const id = typeof m === 'object' && m !== null ? (m as Json).value : undefined;
    if (typeof id !== 'string')
      throw ScimError.of('invalidValue', 'Each member needs a "value" (a User id).');
    return id.toLowerCase();
  });
  return [...new Set(ids.filter(isUuid))];
}

/**
 * SCIM Groups of the token's workspace. Membership changes are set-based: a push of 10,000
 * members is one INSERT ... SELECT, and a PATCH never loads the group's members.
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly provisioning: ProvisioningService,
  ) {}

  private get baseUrl() {
    return scimBaseUrl(this.config.http.publicUrl);
  }

  async list(workspaceId: string, query: ListQuery): Promise<Json> {
    const { rows, total } = await findPage<GroupRow>(this.dataSource, GROUPS, workspaceId, query);
    const members = wants(query, 'members')
      ? await this.membersOf(
          this.dataSource.manager,
          rows.map((r) => r.id),
        )
      : undefined;
    return listResponse(
      rows.map((row) =>
        project(
          this.toResource(row, members?.get(row.id) ?? (members ? [] : undefined)),
          query,
          GROUP_SCHEMA,
          EXTENSIONS,
        ),
      ),
      total,
      query,
    );
  }

  async get(
    workspaceId: string,
    id: string,
    query: Pick<ListQuery, 'attributes' | 'excludedAttributes'> = {},
  ) {
    const row = await this.load(this.dataSource.manager, workspaceId, id);
    const members = wants(query, 'members')
      ? await this.membersOf(this.dataSource.manager, [row.id])
      : undefined;
    const resource = this.toResource(row, members ? (members.get(row.id) ?? []) : undefined);
    return {
      resource: project(resource, query, GROUP_SCHEMA, EXTENSIONS),
      etag: etagOf(row.updated_at),
    };
  }

  async create(workspaceId: string, body: unknown, actor: AuditActor) {
    const resource = canonicalNames(requireObject(body), GROUP_PATCH_SCHEMA);
    requireSchema(resource, GROUP_SCHEMA);
    const fields = groupFields(resource);
    const ids = memberIds(resource.members);
    // Under the workspace lock, like every group write: adding members must serialise with
    // their deactivation, or a deactivated member could land in a group.
    const id = await this.provisioning.provision(workspaceId, actor, (tx) =>
      this.provisioning.createGroup(tx, workspaceId, fields, ids, actor),
    );
    return this.get(workspaceId, id);
  }

  /** PUT: name, externalId, role, and the member list when `members` is given. */
  async replace(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
  ) {
    const resource = canonicalNames(requireObject(body), GROUP_PATCH_SCHEMA);
    requireSchema(resource, GROUP_SCHEMA);
    if (typeof resource.id === 'string' && resource.id.toLowerCase() !== id.toLowerCase()) {
      throw ScimError.of('mutability', 'The id in the body differs from the id in the URL.');
    }
    const fields = groupFields(resource);
    const ids = resource.members === undefined ? undefined : memberIds(resource.members);
    await this.write(workspaceId, id, ifMatch, actor, async (tx, row) => {
      await this.provisioning.updateGroup(tx, workspaceId, row.id, fields, actor);
      if (ids) await this.provisioning.replaceGroupMembers(tx, workspaceId, row.id, ids, actor);
    });
    return this.get(workspaceId, id);
  }

  /** PATCH: applied in one transaction; member operations become set-based deltas. */
  async patch(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
  ) {
    let dialect: PatchDialect | undefined;
    await this.write(workspaceId, id, ifMatch, actor, async (tx, row) => {
      const current = this.toResource(row, undefined);
      delete current.meta;
      const result = applyPatch(current, body, GROUP_PATCH_SCHEMA);
      dialect = result.dialect;
      await this.provisioning.updateGroup(
        tx,
        workspaceId,
        row.id,
        groupFields(result.resource),
        actor,
      );
      const delta = result.deltas.members;
      if (delta?.replaceWith) {
        await this.provisioning.replaceGroupMembers(
          tx,
          workspaceId,
          row.id,
          delta.replaceWith.filter(isUuid),
          actor,
        );
      } else if (delta) {
        await this.provisioning.removeGroupMembers(
          tx,
          workspaceId,
          row.id,
          delta.remove.filter(isUuid),
          actor,
        );
        await this.provisioning.addGroupMembers(
          tx,
          workspaceId,
          row.id,
          delta.add.filter(isUuid),
          actor,
        );
      }
    });
    return { dialect };
  }

  async delete(workspaceId: string, id: string, ifMatch: string | undefined, actor: AuditActor) {
    await this.write(workspaceId, id, ifMatch, actor, (tx, row) =>
      this.provisioning.deleteGroup(tx, workspaceId, row.id, actor),
    );
  }

  private async write(
    workspaceId: string,
    id: string,
    ifMatch: string | undefined,
    actor: AuditActor,
    change: (tx: EntityManager, row: GroupRow) => Promise<void>,
  ): Promise<void> {
    // Under the workspace lock: a member added here must not be one being deactivated at the
    // same moment (deactivation empties their groups under the same lock). The group row is
    // locked too, so that the If-Match check and the change are one step.
    await this.provisioning.provision(workspaceId, actor, async (tx) => {
      const row = await this.load(tx, workspaceId, id, true);
      assertIfMatch(ifMatch, etagOf(row.updated_at));
      await change(tx, row);
    });
  }

  private async load(
    tx: EntityManager,
    workspaceId: string,
    id: string,
    forUpdate = false,
  ): Promise<GroupRow> {
    if (!isUuid(id)) throw notFound();
    const [row] = await tx.query<GroupRow[]>(
      `SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.workspace_id = $1 AND g.id = $2
       ${forUpdate ? 'FOR NO KEY UPDATE' : ''}`,
      [workspaceId, id.toLowerCase()],
    );
    if (!row) throw notFound();
    return row;
  }

  private async membersOf(tx: EntityManager, groupIds: string[]) {
    const byGroup = new Map<string, Json[]>();
    if (groupIds.length === 0) return byGroup;
    const rows = await tx.query<{ group_id: string; user_id: string; display: string }[]>(
      `SELECT gm.group_id, gm.user_id, coalesce(u.full_name, u.email) AS display
         FROM group_members gm JOIN users u ON u.id = gm.user_id
        WHERE gm.group_id = ANY($1::uuid[]) ORDER BY gm.created_at, gm.user_id`,
      [groupIds],
    );
    for (const row of rows) {
      const list = byGroup.get(row.group_id) ?? [];
      list.push({
        value: row.user_id,
        display: row.display,
        $ref: `${this.baseUrl}/Users/${row.user_id}`,
        type: 'User',
      });
      byGroup.set(row.group_id, list);
    }
    return byGroup;
  }

  private toResource(row: GroupRow, members: Json[] | undefined): Json {
    return {
      schemas: [GROUP_SCHEMA, ...(row.admin_role ? [GATEHOUSE_GROUP_SCHEMA] : [])],
      id: row.id,
      ...(row.scim_external_id !== null && { externalId: row.scim_external_id }),
      displayName: row.display_name,
      ...(members && { members }),
      ...(row.admin_role && { [GATEHOUSE_GROUP_SCHEMA]: { role: 'admin' } }),
      meta: {
        resourceType: 'Group',
        created: row.created_at.toISOString(),
        lastModified: row.updated_at.toISOString(),
        location: `${this.baseUrl}/Groups/${row.id}`,
        version: etagOf(row.updated_at),
      },
    };
  }
}
