import { domainToASCII } from 'node:url';
import { isConsumerMailDomain } from './consumer-domains.js';
import { WorkspaceException } from './workspace.errors.js';

export const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** Longer input is refused before any parsing. */
const MAX_INPUT_LENGTH = 1024;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The name of the TXT record that proves control of `domain`. */
export function challengeRecordName(domain: string): string {
  return `_gatehouse-challenge.${domain}`;
}

function invalid(input: string, reason: string): WorkspaceException {
  const shown = input.length > 80 ? `${input.slice(0, 77)}...` : input;
  return new WorkspaceException(
    'DOMAIN_INVALID',
    `"${shown}" is not a valid domain name: ${reason}`,
  );
}

/**
 * The canonical form of a domain name: trimmed, lower-case, without its trailing dot, IDN in
 * ASCII (punycode). Throws DOMAIN_INVALID unless it is a plain host name of at least two labels:
 * no scheme, path, port, `@`, wildcard or IP address.
 */
export function normalizeDomainName(input: string): string {
  const raw = typeof input === 'string' ? input.trim() : '';
  if (raw === '') {
    throw new WorkspaceException('DOMAIN_INVALID', 'Give a domain name, such as example.com.');
  }
  if (raw.length > MAX_INPUT_LENGTH) {
    throw invalid(raw, `a domain name has at most ${MAX_DOMAIN_LENGTH} characters.`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw invalid(raw, 'give the domain name only, without a scheme such as https://.');
  }
  if (raw.includes('@')) {
    throw invalid(raw, 'give the domain name only, not an email address.');
  }
  if (raw.includes('*')) {
    throw invalid(raw, 'wildcards are not allowed; give one domain name, such as example.com.');
  }
  if (/[/?#\\]/.test(raw)) {
    throw invalid(raw, 'give the domain name only, without a path.');
  }
  if (raw.includes(':')) {
    throw invalid(raw, 'give the domain name only, without a port.');
  }
  if (/\s/.test(raw)) {
    throw invalid(raw, 'it must not contain spaces.');
  }

  let domain = domainToASCII(raw.toLowerCase());
  if (domain === '') {
    throw invalid(raw, 'it is not a host name (labels of letters, digits and hyphens).');
  }
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.length > MAX_DOMAIN_LENGTH) {
    throw invalid(raw, `a domain name has at most ${MAX_DOMAIN_LENGTH} characters.`);
  }

  const labels = domain.split('.');
  if (labels.some((label) => label === '')) {
    throw invalid(raw, 'it has an empty label (two dots in a row, or a leading dot).');
  }
  if (labels.length < 2) {
    throw invalid(raw, 'it needs at least two labels, such as example.com.');
  }
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      throw invalid(raw, `each label has at most ${MAX_LABEL_LENGTH} characters.`);
    }
    if (!LABEL.test(label)) {
      throw invalid(
        raw,
        'labels contain only letters, digits and hyphens, and do not start or end with a hyphen.',
      );
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    throw invalid(raw, 'IP addresses are not domain names.');
  }
  return domain;
}

/**
 * A domain name a workspace may claim: normalised (DOMAIN_INVALID) and not a consumer mail
 * domain nor a subdomain of one (CONSUMER_DOMAIN).
 */
export function claimableDomainName(input: string): string {
  const domain = normalizeDomainName(input);
  if (isConsumerMailDomain(domain)) {
    throw new WorkspaceException(
      'CONSUMER_DOMAIN',
      `${domain} is a public mail provider: anyone can have an address there, so it cannot be claimed by a workspace.`,
    );
  }
  return domain;
}
