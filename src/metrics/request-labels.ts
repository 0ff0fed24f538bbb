/** How a sign-in or SCIM request ended, from its status. */
export type Result = 'success' | 'failure' | 'throttled' | 'error';

export function resultOf(status: number): Result {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'error';
  return status >= 400 ? 'failure' : 'success';
}

/** The sign-in routes (method and route template) and the sign-in method each one completes. */
const SIGN_IN_ROUTES: Record<string, string> = {
  'POST /auth/password/login': 'password',
  'GET /auth/office365/callback': 'office365',
  'GET /auth/oidc/callback': 'oidc',
  'POST /auth/saml/:providerToken/acs': 'saml',
};

/** The sign-in method a request completes, if it is a sign-in. */
export function signInMethodOf(method: string, route: string): string | undefined {
  return SIGN_IN_ROUTES[`${method} ${route}`];
}

const SCIM_PREFIX = '/scim/v2/';

/**
 * The SCIM resource a request acts on, from its route template: `Users`, `Groups`,
 * `ServiceProviderConfig`, `ResourceTypes`, `Schemas`, or `.search` across resources.
 */
export function scimResourceOf(route: string): string | undefined {
  if (!route.startsWith(SCIM_PREFIX)) return undefined;
  return route.slice(SCIM_PREFIX.length).split('/')[0] || undefined;
}
