import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isEmail } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../../workspace/actor.js';
import { isUuid } from '../../common/ids.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';
import {
  ProvisioningService,
  type ProvisionedProfile,
} from '../../workspace/provisioning.service.js';
import {
  applyPatch,
  canonicalNames,
  type PatchDialect,
  withoutReadOnly,
} from '../protocol/patch/patch.js';
import { ScimError } from '../protocol/scim-error.js';
import { userNames } from '../protocol/user-name.js';
import { assertIfMatch, etagOf } from '../protocol/etag.js';
import { type Json, type ListQuery, listResponse } from '../protocol/list-query.js';
import { type Projection, project, wants } from '../protocol/projection.js';
import { asBoolean, requireObject, requireSchema } from '../protocol/request-body.js';
import {
  ENTERPRISE_USER_SCHEMA,
  GATEHOUSE_USER_SCHEMA,
  USER_PATCH_SCHEMA,
  USER_SCHEMA,
  scimBaseUrl,
} from '../protocol/schemas.js';
import type { PatchedResource, ScimResourceType, StoredResource } from './scim-resource-type.js';
import { ScimReads } from './scim-reads.js';
import type { ScimUserGroup, ScimUserRow } from './users.table.js';

type UserRow = ScimUserRow;

const EXTENSIONS = [ENTERPRISE_USER_SCHEMA, GATEHOUSE_USER_SCHEMA];
/** Attributes with columns of their own, or computed: never stored in scim_data. */
const NOT_STORED = [
  'id',
  'meta',
  'schemas',
  'userName',
  'externalId',
  'active',
  'password',
  'groups',
];

const notFound = () => ScimError.status(404, 'No such User in this workspace.');

/**
 * A User's version: its membership's and its person's, so a change of the account (an email
 * changed by the workspace that owns it) moves the User's ETag in every workspace.
 */
function userEtag(row: UserRow): string {
  return etagOf(row.membership_version, row.user_version);
}

function isObjectLike(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The person a SCIM User resource describes, as the Workspace module takes it. Attribute
 * names of any case are read, and stored, as the schema spells them; readOnly values
 * (`manager.displayName`) are ignored, as RFC 7644 §3.3 and §3.5.1 ask. */
export function profileFromResource(body: Json): ProvisionedProfile {
  const resource = withoutReadOnly(canonicalNames(body, USER_PATCH_SCHEMA), USER_PATCH_SCHEMA);
  const userName = resource.userName;
  if (typeof userName !== 'string' || !userName.trim()) {
    throw ScimError.of('invalidValue', 'userName is required and must be a non-empty string.');
  }
  const emails = Array.isArray(resource.emails) ? (resource.emails as Json[]) : [];
  const valueOf = (e: Json | undefined) =>
    typeof e?.value === 'string' && e.value.trim() ? e.value.trim() : undefined;
  const isPrimary = (e: Json) =>
    e.primary === true || (typeof e.primary === 'string' && e.primary.toLowerCase() === 'true');
  // The primary email, else the first work email, else the userName when it is an email
  // (Entra's UPN), else the first email of any type.
  const email =
    valueOf(emails.find((e) => isObjectLike(e) && isPrimary(e))) ??
    valueOf(
      emails.find(
        (e) => isObjectLike(e) && typeof e.type === 'string' && e.type.toLowerCase() === 'work',
      ),
    ) ??
    (isEmail(userName.trim()) ? userName.trim() : undefined) ??
    valueOf(emails.find((e) => isObjectLike(e) && valueOf(e) !== undefined));
  if (!email || !isEmail(email)) {
    throw ScimError.of(
      'invalidValue',
      'The User needs an email: a primary or work email, or a userName that is an email address.',
    );
  }
  const name = (resource.name ?? {}) as Json;
  const given = typeof name.givenName === 'string' ? name.givenName.trim() : '';
  const family = typeof name.familyName === 'string' ? name.familyName.trim() : '';
  // Clients echo what Gatehouse derived for a one-word name ("Cher" as both given and family
  // name, and as formatted or displayName): that is one word, not "Cher Cher".
  const echoedOneWord =
    given !== '' &&
    given === family &&
    [name.formatted, resource.displayName].some((v) => typeof v === 'string' && v.trim() === given);
  const fullName =
    (echoedOneWord ? given : [given, family].filter(Boolean).join(' ')) ||
    (typeof resource.displayName === 'string' && resource.displayName.trim()) ||
    (typeof name.formatted === 'string' && name.formatted.trim()) ||
    null;
  const data: Json = {};
  for (const [key, value] of Object.entries(resource)) {
    if (!NOT_STORED.includes(key) && value !== undefined) data[key] = value;
  }
  return {
    userName: userName.trim(),
    externalId: typeof resource.externalId === 'string' ? resource.externalId : null,
    email,
    fullName,
    active: asBoolean(resource.active, 'active') ?? true,
    admin: grantsAdmin(resource),
    data,
  };
}

/**
 * A role's value. Entra's AppRoleAssignmentsComplex sends a later assignment with the app role as
 * a JSON string (`"{\"id\":…,\"value\":\"admin\",\"displayName\":\"Admin\"}"`): then the inner
 * `value` is the role. A value that is not such JSON stays as it is.
 */
function roleValue(role: unknown): unknown {
  const value = isObjectLike(role) ? role.value : role;
  if (typeof value !== 'string' || !value.trimStart().startsWith('{')) return value;
  try {
    const inner: unknown = JSON.parse(value);
    return isObjectLike(inner) && 'value' in inner ? inner.value : value;
  } catch {
    return value;
  }
}

/** `roles` with a value "admin", or a `role` of "admin" (top level or Gatehouse extension). Exact case. */
export function grantsAdmin(resource: Json): boolean {
  const roles = Array.isArray(resource.roles)
    ? (resource.roles as unknown[])
    : resource.roles !== undefined
      ? [resource.roles]
      : [];
  const inRoles = roles.some((r) => roleValue(r) === 'admin');
  const extension = resource[GATEHOUSE_USER_SCHEMA] as Json | undefined;
  return inRoles || resource.role === 'admin' || extension?.role === 'admin';
}

/**
 * SCIM Users: each is a membership of the token's workspace. Reads are one query per page;
 * writes run in one transaction through the Workspace module's ProvisioningService.
 */
@Injectable()
export class ScimUsers implements ScimResourceType {
  readonly name = 'User';
  readonly patchAnswersNoContent = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly provisioning: ProvisioningService,
    private readonly reads: ScimReads,
  ) {}

  private get baseUrl() {
    return scimBaseUrl(this.config.http.publicUrl);
  }

  async list(workspaceId: string, query: ListQuery): Promise<Json> {
    const db = this.dataSource.manager;
    const { rows, total } = await this.reads.userPage(db, workspaceId, query, {
      groups: wants(query, 'groups'),
    });
    return listResponse(
      rows.map((row) =>
        project(
          this.toResource(
            row,
            (row.groups ?? []).map((group) => this.groupRef(group)),
          ),
          query,
          USER_SCHEMA,
          EXTENSIONS,
        ),
      ),
      total,
      query,
    );
  }

  /** The User (projected when `query` asks for it), its ETag and its location. */
  async get(workspaceId: string, id: string, query?: Projection): Promise<StoredResource> {
    const row = await this.load(this.dataSource.manager, workspaceId, id, {
      groups: wants(query ?? {}, 'groups'),
    });
    const resource = this.toResource(
      row,
      (row.groups ?? []).map((g) => this.groupRef(g)),
    );
    return {
      resource: query ? project(resource, query, USER_SCHEMA, EXTENSIONS) : resource,
      etag: userEtag(row),
      location: `${this.baseUrl}/Users/${row.user_id}`,
    };
  }

  async create(
    workspaceId: string,
    body: unknown,
    actor: AuditActor,
    query?: Projection,
  ): Promise<StoredResource> {
    const resource = canonicalNames(requireObject(body), USER_PATCH_SCHEMA);
    requireSchema(resource, USER_SCHEMA);
    const profile = profileFromResource(resource);
    // A new member only adds: no workspace lock, so creates do not queue behind each other.
    // Linking a person who is already a member may demote or deactivate the last admin: that
    // runs again under the lock (see ProvisioningService.provision).
    const userId = await this.provisioning.provision(
      workspaceId,
      actor,
      (tx) => this.provisioning.createMember(tx, workspaceId, profile, actor),
      { optimistic: true },
    );
    return this.get(workspaceId, userId, query);
  }

  /** PUT: the whole resource. An `active` left out keeps the current status (Okta does that). */
  async replace(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
    query?: Projection,
  ): Promise<StoredResource> {
    const resource = canonicalNames(requireObject(body), USER_PATCH_SCHEMA);
    requireSchema(resource, USER_SCHEMA);
    if (typeof resource.id === 'string' && resource.id.toLowerCase() !== id.toLowerCase()) {
      throw ScimError.of('mutability', 'The id in the body differs from the id in the URL.');
    }
    await this.write(workspaceId, id, ifMatch, actor, (row) => {
      const profile = profileFromResource(resource);
      if (resource.active === undefined || resource.active === null) {
        profile.active = row.status === 'active';
      }
      return profile;
    });
    return this.get(workspaceId, id, query);
  }

  async patch(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
    query?: Projection,
  ): Promise<PatchedResource> {
    let dialect: PatchDialect = { capitalizedOps: false, stringBooleans: false };
    await this.write(workspaceId, id, ifMatch, actor, (row) => {
      const current = this.toResource(row, [], false);
      delete current.meta;
      delete current.groups;
      const result = applyPatch(current, body, USER_PATCH_SCHEMA);
      dialect = result.dialect;
      return profileFromResource(result.resource);
    });
    return { ...(await this.get(workspaceId, id, query)), dialect };
  }

  async remove(
    workspaceId: string,
    id: string,
    ifMatch: string | undefined,
    actor: AuditActor,
  ): Promise<void> {
    await this.provisioning.provision(workspaceId, actor, async (tx) => {
      const row = await this.load(tx, workspaceId, id);
      assertIfMatch(ifMatch, userEtag(row));
      await this.provisioning.removeMember(tx, workspaceId, row.user_id, actor);
    });
  }

  private async write(
    workspaceId: string,
    id: string,
    ifMatch: string | undefined,
    actor: AuditActor,
    profileOf: (row: UserRow) => ProvisionedProfile,
  ): Promise<void> {
    await this.provisioning.provision(workspaceId, actor, async (tx) => {
      const row = await this.load(tx, workspaceId, id);
      assertIfMatch(ifMatch, userEtag(row));
      await this.provisioning.updateMember(tx, workspaceId, row.user_id, profileOf(row), actor);
    });
  }

  private async load(
    db: EntityManager,
    workspaceId: string,
    id: string,
    options: { groups: boolean } = { groups: false },
  ) {
    if (!isUuid(id)) throw notFound();
    const row = await this.reads.user(db, workspaceId, id.toLowerCase(), options);
    if (!row) throw notFound();
    return row;
  }

  private groupRef(group: ScimUserGroup): Json {
    return {
      value: group.id,
      display: group.display_name,
      $ref: `${this.baseUrl}/Groups/${group.id}`,
      type: 'direct',
    };
  }

  /**
   * The User resource. `derivedNames` false leaves name and displayName as stored (a full name
   * only as name.formatted): what a PATCH applies to, so that derived parts are never saved.
   */
  toResource(row: UserRow, groups: Json[], derivedNames = true): Json {
    const data = row.scim_data ?? {};
    const schemas = [USER_SCHEMA, ...EXTENSIONS.filter((urn) => urn in data)];
    // Spread twice: placed after userName, and winning over scim_data's own name.
    const names = derivedNames
      ? userNames(row.email, row.full_name, data)
      : row.full_name
        ? { name: { formatted: row.full_name }, displayName: row.full_name }
        : {};
    const resource: Json = {
      schemas,
      id: row.user_id,
      ...(row.scim_external_id !== null && { externalId: row.scim_external_id }),
      userName: row.scim_user_name ?? row.email,
      ...names,
      ...data,
      ...(derivedNames && names),
      emails: data.emails ?? [{ value: row.email, type: 'work', primary: true }],
      active: row.status === 'active',
      groups,
      meta: {
        resourceType: 'User',
        created: row.created_at.toISOString(),
        lastModified: row.last_modified.toISOString(),
        location: `${this.baseUrl}/Users/${row.user_id}`,
        version: userEtag(row),
      },
    };
    return resource;
  }
}
