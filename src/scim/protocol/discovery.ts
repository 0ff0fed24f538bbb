import {
  ENTERPRISE_USER_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GATEHOUSE_GROUP_ATTRIBUTES,
  GATEHOUSE_GROUP_SCHEMA,
  GATEHOUSE_USER_ATTRIBUTES,
  GATEHOUSE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  GROUP_SCHEMA,
  MAX_PAGE_SIZE,
  type ScimAttribute,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './schemas.js';
import { SCIM_LIMITS } from '../scim-limits.js';

/**
 * RFC 7643 §5: exactly what this server supports, in §5's attributes only (strict clients refuse
 * any other key). The page size limit is filter.maxResults; the default page size has no place.
 */
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
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

/** RFC 7643 §6. */
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

/** An attribute with every characteristic RFC 7643 §7 defines for its type. */
function describe(name: string, def: ScimAttribute): Record<string, unknown> {
  const textual = def.type === 'string' || def.type === 'reference';
  const mutability = def.mutability ?? 'readWrite';
  return {
    name,
    type: def.type,
    multiValued: def.multiValued ?? false,
    description: def.description,
    required: def.required ?? false,
    ...(def.canonicalValues && { canonicalValues: def.canonicalValues }),
    ...(textual && { caseExact: def.caseExact ?? false }),
    mutability,
    returned: mutability === 'writeOnly' ? 'never' : 'default',
    uniqueness: def.uniqueness ?? 'none',
    ...(def.referenceTypes && { referenceTypes: def.referenceTypes }),
    ...(def.subAttributes && {
      subAttributes: Object.entries(def.subAttributes).map(([n, d]) => describe(n, d)),
    }),
  };
}

/** RFC 7643 §7 Schema resources; names and descriptions of the standard ones from §8.7.1. */
export function schemas(baseUrl: string) {
  const schema = (
    id: string,
    name: string,
    description: string,
    attributes: Record<string, ScimAttribute>,
  ) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    description,
    attributes: Object.entries(attributes).map(([n, d]) => describe(n, d)),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(USER_SCHEMA, 'User', 'User Account', USER_ATTRIBUTES),
    schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_USER_ATTRIBUTES),
    schema(
      GATEHOUSE_USER_SCHEMA,
      'GatehouseUser',
      "Gatehouse's extension of User: the member's role in the workspace",
      GATEHOUSE_USER_ATTRIBUTES,
    ),
    schema(GROUP_SCHEMA, 'Group', 'Group', GROUP_ATTRIBUTES),
    schema(
      GATEHOUSE_GROUP_SCHEMA,
      'GatehouseGroup',
      "Gatehouse's extension of Group: the role the group gives its members",
      GATEHOUSE_GROUP_ATTRIBUTES,
    ),
  ];
}
