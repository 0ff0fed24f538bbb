import type { AttributeDef } from './patch/scim-patch.js';
import {
  DEFAULT_PAGE_SIZE,
  ENTERPRISE_USER_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GATEHOUSE_GROUP_SCHEMA,
  GATEHOUSE_USER_SCHEMA,
  GROUP_PATCH_SCHEMA,
  GROUP_SCHEMA,
  MAX_PAGE_SIZE,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './scim-schemas.js';
import { SCIM_LIMITS } from './scim-limits.js';

/** RFC 7643 §5: exactly what this server supports. */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: `${baseUrl.replace(/\/scim\/v2$/, '')}/docs`,
    patch: { supported: true },
    // No bulk endpoint; maxPayloadSize is the only place RFC 7643 §5 has for the body limit.
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: SCIM_LIMITS.maxPayloadBytes },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'The token shown when SCIM was enabled for the workspace.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
    'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Paging': {
      defaultCount: DEFAULT_PAGE_SIZE,
      maxCount: MAX_PAGE_SIZE,
    },
  };
}

export function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A member of the workspace',
      schema: USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_USER_SCHEMA, required: false },
        { schema: GATEHOUSE_USER_SCHEMA, required: false },
      ],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A group of the workspace',
      schema: GROUP_SCHEMA,
      schemaExtensions: [{ schema: GATEHOUSE_GROUP_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

function describe(name: string, def: AttributeDef, unique: string[] = []): Record<string, unknown> {
  return {
    name,
    type: def.type,
    multiValued: def.multiValued ?? false,
    required: def.required ?? false,
    caseExact: def.caseExact ?? false,
    mutability: def.mutability ?? 'readWrite',
    returned: def.mutability === 'writeOnly' ? 'never' : 'default',
    uniqueness: unique.includes(name) ? 'server' : 'none',
    ...(def.subAttributes && {
      subAttributes: Object.entries(def.subAttributes).map(([n, d]) => describe(n, d)),
    }),
  };
}

export function schemas(baseUrl: string) {
  const schema = (
    id: string,
    name: string,
    attributes: Record<string, AttributeDef>,
    unique: string[] = [],
  ) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    attributes: Object.entries(attributes).map(([n, d]) => describe(n, d, unique)),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(USER_SCHEMA, 'User', USER_ATTRIBUTES, ['userName']),
    schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', ENTERPRISE_USER_ATTRIBUTES),
    schema(GATEHOUSE_USER_SCHEMA, 'GatehouseUser', {
      role: { type: 'string', caseExact: true },
    }),
    schema(GROUP_SCHEMA, 'Group', GROUP_PATCH_SCHEMA.attributes, ['displayName']),
    schema(GATEHOUSE_GROUP_SCHEMA, 'GatehouseGroup', {
      role: { type: 'string', caseExact: true },
    }),
  ];
}
