import { AuthException } from '../auth.errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A workspace's OpenID issuer, refused unless it is an https URL without credentials, query or
 * fragment (OpenID Connect Discovery §2). Plain http only for a provider on this machine, and
 * never in production.
 */
export function issuerUrlOrThrow(value: string, options: { production: boolean }): string {
  const issuer = value.trim();
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw invalid('issuer must be a URL, e.g. https://idp.example.com');
  }
  if (url.username || url.password) throw invalid('issuer must not carry a user name or password');
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#')) {
    throw invalid('issuer must have no query or fragment');
  }
  const local = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(local && !options.production)) {
    throw invalid(
      'issuer must be an https URL (plain http only for a provider on this machine outside production)',
    );
  }
  return issuer;
}

function invalid(message: string): AuthException {
  return new AuthException('OIDC_INVALID_ISSUER', message);
}
