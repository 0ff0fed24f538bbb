import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../../workspace/actor.js';
import { isUuid } from '../../common/ids.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import {
  type GroupMembersChange,
  ProvisioningService,
  type ProvisionedGroup,
} from '../../workspace/provisioning.service.js';
import { applyPatch, canonicalNames, type PatchDialect } from '../protocol/patch/patch.js';
import { ScimError } from '../protocol/scim-error.js';
import { assertIfMatch, etagOf } from '../protocol/etag.js';
import { type Json, type ListQuery, listResponse } from '../protocol/list-query.js';
import { type Projection, project, wants } from '../protocol/projection.js';
import { requireObject, requireSchema } from '../protocol/request-body.js';
import {
  ENTRA_GROUP_SCHEMA,
  GATEHOUSE_GROUP_SCHEMA,
  GROUP_PATCH_SCHEMA,
  GROUP_SCHEMA,
  scimBaseUrl,
} from '../protocol/schemas.js';
import type { ScimGroupRow } from './groups.table.js';
import type { PatchedResource, ScimResourceType, StoredResource } from './scim-resource-type.js';
import { ScimReads } from './scim-reads.js';

type GroupRow = ScimGroupRow;

const EXTENSIONS = [GATEHOUSE_GROUP_SCHEMA, ENTRA_GROUP_SCHEMA];

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
export class ScimGroups implements ScimResourceType {
  readonly name = 'Group';
  readonly patchAnswersNoContent = true;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly provisioning: ProvisioningService,
    private readonly reads: ScimReads,
  ) {}

  private get baseUrl() {
    return scimBaseUrl(this.config.http.publicUrl);
  }

  private location(id: string): string {
    return `${this.baseUrl}/Groups/${id}`;
  }

  async list(workspaceId: string, query: ListQuery): Promise<Json> {
    const db = this.dataSource.manager;
    const { rows, total } = await this.reads.groupPage(db, workspaceId, query);
    const members = wants(query, 'members')
      ? await this.membersOf(
          db,
          workspaceId,
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

  /** The Group (projected when `query` asks for it), its ETag and its location. */
  async get(workspaceId: string, id: string, query: Projection = {}): Promise<StoredResource> {
    const row = await this.load(this.dataSource.manager, workspaceId, id);
    const members = wants(query, 'members')
      ? await this.membersOf(this.dataSource.manager, workspaceId, [row.id])
      : undefined;
    const resource = this.toResource(row, members ? (members.get(row.id) ?? []) : undefined);
    return {
      resource: project(resource, query, GROUP_SCHEMA, EXTENSIONS),
      etag: etagOf(row.version),
      location: this.location(row.id),
    };
  }

  async create(
    workspaceId: string,
    body: unknown,
    actor: AuditActor,
    query?: Projection,
  ): Promise<StoredResource> {
    const resource = canonicalNames(requireObject(body), GROUP_PATCH_SCHEMA);
    requireSchema(resource, GROUP_SCHEMA);
    const fields = groupFields(resource);
    const ids = memberIds(resource.members);
    // Under the workspace lock, like every group write: adding members must serialise with
    // their deactivation, or a deactivated member could land in a group.
    const id = await this.provisioning.provision(workspaceId, actor, (tx) =>
      this.provisioning.createGroup(tx, workspaceId, fields, ids, actor),
    );
    return this.get(workspaceId, id, query);
  }

  /** PUT: name, externalId, role, and the member list when `members` is given. */
  async replace(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
    query?: Projection,
  ): Promise<StoredResource> {
    const resource = canonicalNames(requireObject(body), GROUP_PATCH_SCHEMA);
    requireSchema(resource, GROUP_SCHEMA);
    if (typeof resource.id === 'string' && resource.id.toLowerCase() !== id.toLowerCase()) {
      throw ScimError.of('mutability', 'The id in the body differs from the id in the URL.');
    }
    const fields = groupFields(resource);
    const ids = resource.members === undefined ? undefined : memberIds(resource.members);
    await this.write(workspaceId, id, ifMatch, actor, (tx, row) =>
      this.provisioning.updateGroup(
        tx,
        workspaceId,
        row.id,
        fields,
        ids && { replaceWith: ids },
        actor,
      ),
    );
    return this.get(workspaceId, id, query);
  }

  /** PATCH: applied in one transaction; member operations become set-based deltas. */
  async patch(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
    query?: Projection,
  ): Promise<PatchedResource> {
    let dialect: PatchDialect = { capitalizedOps: false, stringBooleans: false };
    await this.write(workspaceId, id, ifMatch, actor, async (tx, row) => {
      const current = this.toResource(row, undefined);
      delete current.meta;
      const result = applyPatch(current, body, GROUP_PATCH_SCHEMA);
      dialect = result.dialect;
      const delta = result.deltas.members;
      const members: GroupMembersChange | undefined = delta?.replaceWith
        ? { replaceWith: delta.replaceWith.filter(isUuid) }
        : delta && { add: delta.add.filter(isUuid), remove: delta.remove.filter(isUuid) };
      await this.provisioning.updateGroup(
        tx,
        workspaceId,
        row.id,
        groupFields(result.resource),
        members,
        actor,
      );
    });
    return { ...(await this.get(workspaceId, id, query)), dialect };
  }

  async remove(
    workspaceId: string,
    id: string,
    ifMatch: string | undefined,
    actor: AuditActor,
  ): Promise<void> {
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
      assertIfMatch(ifMatch, etagOf(row.version));
      await change(tx, row);
    });
  }

  private async load(
    db: EntityManager,
    workspaceId: string,
    id: string,
    forUpdate = false,
  ): Promise<GroupRow> {
    if (!isUuid(id)) throw notFound();
    const row = await this.reads.group(db, workspaceId, id.toLowerCase(), {
      lock: forUpdate,
    });
    if (!row) throw notFound();
    return row;
  }

  private async membersOf(db: EntityManager, workspaceId: string, groupIds: string[]) {
    const byGroup = new Map<string, Json[]>();
    for (const row of await this.reads.membersOf(db, workspaceId, groupIds)) {
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
        location: this.location(row.id),
        version: etagOf(row.version),
      },
    };
  }
}
