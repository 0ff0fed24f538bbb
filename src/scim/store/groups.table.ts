/**
 * Where SCIM Groups live: the workspace's groups (groups g), their members in group_members.
 * The row a read returns, the columns filters and sorting may name, and the table findPage pages.
 */
import type { FilterSchema } from '../protocol/filter/filter-sql.js';
import { ENTRA_GROUP_SCHEMA, GATEHOUSE_GROUP_SCHEMA, GROUP_SCHEMA } from '../protocol/schemas.js';
import { GROUP_PAGING, type ScimTable } from './scim-page.js';
import { asShown, text } from './sql-attributes.js';

/** A SCIM Group row. */
export interface ScimGroupRow {
  id: string;
  display_name: string;
  scim_external_id: string | null;
  admin_role: boolean;
  created_at: Date;
  updated_at: Date;
  /** bigint, as text: the Group's ETag and meta.version. */
  version: string;
}

/** A member of a SCIM Group. */
export interface ScimGroupMemberRow {
  group_id: string;
  user_id: string;
  display: string;
}

export const GROUP_FILTER_SCHEMA: FilterSchema = {
  coreSchemaUrn: GROUP_SCHEMA,
  extensionUrns: [GATEHOUSE_GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
  attributes: {
    id: text('g.id::text', true),
    displayName: text('g.display_name'),
    externalId: text('g.scim_external_id', true),
    members: {
      kind: 'exists',
      subAttributes: { value: { type: 'string', caseExact: true } },
      columns: { value: 'gm.user_id::text' },
      exists: (condition) =>
        `EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND ${condition})`,
      defaultSubAttribute: 'value',
    },
    'meta.created': { kind: 'scalar', type: 'dateTime', sql: asShown('g.created_at') },
    'meta.lastModified': { kind: 'scalar', type: 'dateTime', sql: asShown('g.updated_at') },
  },
};

export const GROUP_SORT: Record<string, string> = {
  id: 'g.id',
  displayname: 'lower(g.display_name)',
  externalid: 'g.scim_external_id',
  'meta.created': 'g.created_at',
  'meta.lastmodified': 'g.updated_at',
};

export const SCIM_GROUP_COLUMNS =
  'g.id, g.display_name, g.scim_external_id, g.admin_role, g.created_at, g.updated_at, g.version';

/** SCIM Groups of a workspace, as findPage filters, sorts and pages them. */
export const GROUPS: ScimTable = {
  resourceType: 'Group',
  from: 'groups g',
  columns: SCIM_GROUP_COLUMNS,
  workspaceColumn: 'g.workspace_id',
  coreSchemaUrn: GROUP_SCHEMA,
  filterSchema: GROUP_FILTER_SCHEMA,
  sort: GROUP_SORT,
  defaultOrder: 'g.created_at, g.id',
  tieBreaker: 'g.id',
  // The page's ids first (groups_created_idx, index only), then those rows.
  keys: { from: 'groups g', key: 'g.id', joined: /$^/ },
  paging: GROUP_PAGING,
};
