import type { AuditActor } from '../../workspace/actor.js';
import type { Json, ListQuery } from '../protocol/list-query.js';
import type { PatchDialect } from '../protocol/patch/patch.js';
import type { Projection } from '../protocol/projection.js';

/** A resource as a read or a write leaves it: projected as asked, its ETag and its URL. */
export interface StoredResource {
  resource: Json;
  /** Weak ETag, also the resource's meta.version. */
  etag: string;
  /** meta.location: where the resource lives. */
  location: string;
}

/** A patched resource, with the non-standard forms the PatchOp used (Entra's legacy dialect). */
export interface PatchedResource extends StoredResource {
  dialect: PatchDialect;
}

/**
 * One SCIM resource type (RFC 7644 §3) over the workspace's store: Users and Groups answer the
 * same six operations with the same shapes, so the HTTP layer handles both alike. Every write
 * runs in one transaction through the Workspace module's ProvisioningService; an `ifMatch`
 * that is not current refuses the write (412) before anything changes.
 */
export interface ScimResourceType {
  /** 'User' or 'Group': meta.resourceType, and the endpoint without its plural s. */
  readonly name: string;
  /** RFC 7644 §3.5.2 leaves PATCH's answer to the server: 204 unless a projection is asked
   * (Groups: Entra and Okta expect it), or 200 with the resource (Users). */
  readonly patchAnswersNoContent: boolean;
  /** A ListResponse page (RFC 7644 §3.4.2). */
  list(workspaceId: string, query: ListQuery): Promise<Json>;
  get(workspaceId: string, id: string, projection?: Projection): Promise<StoredResource>;
  create(
    workspaceId: string,
    body: unknown,
    actor: AuditActor,
    projection?: Projection,
  ): Promise<StoredResource>;
  /** PUT: the whole resource. */
  replace(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
    projection?: Projection,
  ): Promise<StoredResource>;
  patch(
    workspaceId: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    actor: AuditActor,
    projection?: Projection,
  ): Promise<PatchedResource>;
  remove(
    workspaceId: string,
    id: string,
    ifMatch: string | undefined,
    actor: AuditActor,
  ): Promise<void>;
}
