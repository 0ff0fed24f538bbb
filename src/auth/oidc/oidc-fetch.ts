import type { Provider } from '@nestjs/common';
import type { CustomFetch } from 'openid-client';

/**
 * The fetch that openid-client uses for every request to the OpenID provider (discovery, token
 * endpoint, signing keys). Production uses the global fetch; tests replace it to route
 * `https://login.microsoftonline.com/...` to a local provider.
 */
export const OIDC_FETCH = Symbol('OIDC_FETCH');

export type OidcFetch = CustomFetch;

// CustomFetchOptions is what fetch takes (its Uint8Array body type is only wider on paper).
export const defaultOidcFetch: OidcFetch = (url, options) => fetch(url, options as RequestInit);

export const oidcFetchProvider: Provider = { provide: OIDC_FETCH, useValue: defaultOidcFetch };
